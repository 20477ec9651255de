"""nn + optim: a two-layer network with weights set explicitly, trained with SGD and Adam."""
import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(1, 4)
        self.act = nn.Tanh()
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


def make_net():
    net = Net()
    with torch.no_grad():  # fixed weights: the run does not depend on the random stream
        net.hidden.weight.copy_(torch.tensor([[0.5], [-0.3], [0.8], [-0.6]]))
        net.hidden.bias.copy_(torch.tensor([0.1, -0.2, 0.0, 0.3]))
        net.out.weight.copy_(torch.tensor([[0.2, -0.4, 0.6, -0.1]]))
        net.out.bias.fill_(0.05)
    return net


X = torch.linspace(-2, 2, 16).reshape(-1, 1)
Y = X ** 2 - 1

net = make_net()
print(net)
print([(name, tuple(p.shape)) for name, p in net.named_parameters()])
print(sum(p.numel() for p in net.parameters()), "parameters")

loss_fn = nn.MSELoss()
for opt_name, make_opt in [
    ("SGD", lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9)),
    ("Adam", lambda params: torch.optim.Adam(params, lr=0.05)),
]:
    net = make_net()
    opt = make_opt(net.parameters())
    for step in range(100):
        opt.zero_grad()
        loss = loss_fn(net(X), Y)
        loss.backward()
        opt.step()
        if step % 20 == 0:
            print(f"{opt_name} step {step:3d}: loss={loss.item():.5f}")
    print(f"{opt_name} final loss={loss_fn(net(X), Y).item():.5f}")
    print(f"{opt_name} out.bias={net.out.bias.item():.4f}")

net.eval()
with torch.no_grad():
    print(net(torch.tensor([[0.0], [1.0]])).squeeze(1))
