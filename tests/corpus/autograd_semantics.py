"""Autograd semantics: leaves, grad_fn, accumulation, no_grad, detach, retain_graph."""
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * x + 2 * x
z = y.sum()
print(x.is_leaf, y.is_leaf, x.grad_fn, z)
print(y.grad_fn.name(), z.grad_fn.name())
z.backward()
print(x.grad)  # dz/dx = 2x + 2

# gradients accumulate until zeroed
(x * 3).sum().backward()
print(x.grad)
x.grad.zero_()
print(x.grad)

# no_grad: nothing is recorded
with torch.no_grad():
    w = x * 2
print(w.requires_grad, w.grad_fn)

# detach cuts the graph
d = (x * 2).detach()
print(d.requires_grad, d.is_leaf)

# retain_graph lets backward run twice through the same graph
x.grad = None
q = (x ** 3).sum()
q.backward(retain_graph=True)
print(x.grad)
q.backward()
print(x.grad)

# a second backward through a freed graph is an error
try:
    q.backward()
except RuntimeError as e:
    print("RuntimeError:", str(e).split(".")[0])

# non-scalar outputs need a gradient argument
x.grad = None
v = x * torch.tensor([1.0, 10.0, 100.0])
v.backward(torch.ones(3))
print(x.grad)

# retain_grad keeps the gradient of an intermediate
a = torch.tensor(2.0, requires_grad=True)
b = a * 3
b.retain_grad()
c = b ** 2
c.backward()
print(a.grad, b.grad, c.item())

# requires_grad flows through ops; integer tensors cannot require grad
print((torch.ones(2) + torch.ones(2, requires_grad=True)).requires_grad)
try:
    torch.tensor([1, 2]).requires_grad_()
except RuntimeError as e:
    print("RuntimeError:", e)

# chain rule through a small expression
u = torch.tensor(0.5, requires_grad=True)
f = torch.sigmoid(u) * torch.tanh(u) + torch.exp(-u)
f.backward()
print(f"f={f.item():.6f} df/du={u.grad.item():.6f}")
