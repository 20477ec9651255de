"""Softmax and cross-entropy: by hand, with F, the gradient softmax - one_hot, a 3-class model."""
import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)
import torch.nn.functional as F

logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], requires_grad=True)
target = torch.tensor([0, 1])

probs = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
print("softmax by hand:", probs)
print("F.softmax:      ", F.softmax(logits, dim=1))
print("log_softmax:    ", F.log_softmax(logits, dim=1))

manual = -torch.log(probs[torch.arange(2), target]).mean()
loss = F.cross_entropy(logits, target)
print(f"cross-entropy by hand {manual.item():.6f}, F.cross_entropy {loss.item():.6f}")
print("nll_loss(log_softmax):", F.nll_loss(F.log_softmax(logits, dim=1), target))

loss.backward()
print("dL/dlogits:", logits.grad)
print("(softmax - one_hot) / N:", (F.softmax(logits, dim=1) - F.one_hot(target, 3)) / 2)

# large logits stay finite: log-softmax subtracts the max first
big = torch.tensor([[1000.0, 0.0, -1000.0]])
print(F.log_softmax(big, dim=1), F.cross_entropy(big, torch.tensor([1])))

print(nn.CrossEntropyLoss(reduction="none")(logits.detach(), target))
print(nn.CrossEntropyLoss(label_smoothing=0.1)(logits.detach(), target))

# a 3-class linear classifier on points around three centres
centres = torch.tensor([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
offsets = torch.tensor([[0.3, 0.1], [-0.2, 0.3], [0.1, -0.3], [-0.3, -0.2]])
X = (centres.unsqueeze(1) + offsets.unsqueeze(0)).reshape(-1, 2)
y = torch.arange(3).repeat_interleave(4)
model = nn.Linear(2, 3)
with torch.no_grad():
    model.weight.zero_()
    model.bias.zero_()
opt = torch.optim.SGD(model.parameters(), lr=0.3)
for step in range(30):
    opt.zero_grad()
    loss = nn.CrossEntropyLoss()(model(X), y)
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.5f}")
pred = model(X).argmax(dim=1)
print("predictions", pred, "accuracy", (pred == y).float().mean().item())
