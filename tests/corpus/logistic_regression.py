"""Logistic regression on a deterministic two-class problem, zero-initialised."""
import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)

t = torch.linspace(0, 6.28, 40)
X = torch.stack([torch.cos(t) * (1 + t / 7), torch.sin(t) * (1 + t / 7)], dim=1)
y = (X[:, 0] + 0.5 * X[:, 1] > 0).float().unsqueeze(1)
print("inputs", X.shape, "positives", int(y.sum().item()))

model = nn.Linear(2, 1)
nn.init.zeros_(model.weight)
nn.init.zeros_(model.bias)
loss_fn = nn.BCEWithLogitsLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.5)

for epoch in range(101):
    logits = model(X)
    loss = loss_fn(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 20 == 0:
        with torch.no_grad():
            acc = ((torch.sigmoid(model(X)) > 0.5).float() == y).float().mean()
        print(f"epoch {epoch:3d} loss {loss.item():.4f} accuracy {acc.item():.3f}")

print("weight", model.weight.data, "bias", model.bias.data)
p = torch.sigmoid(model(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])))
print("P(y=1)", p.detach().squeeze())
# the same loss written with sigmoid + BCELoss
with torch.no_grad():
    print(f"{nn.BCELoss()(torch.sigmoid(model(X)), y).item():.4f}")
