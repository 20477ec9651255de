"""Hooks: watch and change gradients on tensors, activations and gradients of modules."""
import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
handle = y.register_hook(lambda g: print("grad reaching y:", g))
y.register_hook(lambda g: g * 10)  # a hook may replace the gradient
(y ** 2).sum().backward()
print("x.grad", x.grad)
handle.remove()

net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1) / 2)

activations = {}


def save_output(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


handles = [m.register_forward_hook(save_output(f"{i}:{type(m).__name__}"))
           for i, m in enumerate(net)]
pre = net[0].register_forward_pre_hook(lambda m, inp: print("input to first layer:", inp[0]))
grads = []
net[2].register_full_backward_hook(lambda m, gin, gout: grads.append(gout[0]))

out = net(torch.tensor([[0.5, -1.0]]))
out.sum().backward()
for name, a in activations.items():
    print(name, a)
print("grad at the last layer's output:", grads[0])
for h in handles + [pre]:
    h.remove()
net(torch.tensor([[0.5, -1.0]]))
print("after remove:", len(activations), "activations kept, pre-hook silent")
