"""Views share memory; in-place ops; what autograd refuses and why."""
import torch

a = torch.arange(6.0)
v = a.view(2, 3)
v[0, 0] = 100.0
print(a, v.is_contiguous(), v.t().is_contiguous())
a.add_(1)
print(v)
b = a.clone()
b.mul_(0)
print(a.sum().item(), b.sum().item())


def first_sentence(e):
    return str(e).split(". ")[0].split("\n")[0]


# an in-place op on a leaf that requires grad
w = torch.ones(3, requires_grad=True)
try:
    w.add_(1)
except RuntimeError as e:
    print("RuntimeError:", first_sentence(e))

# modifying a tensor that backward needs
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x.exp()
z = y.sum()
y.add_(1)
try:
    z.backward()
except RuntimeError as e:
    print("RuntimeError:", first_sentence(e))

# the same update is fine under no_grad, and .data bypasses autograd
with torch.no_grad():
    w.add_(1)
print(w)
w.data.mul_(2)
print(w, w.requires_grad)

# in-place ops on non-leaves are recorded
p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
q = p * 2
q.relu_()
q.sum().backward()
print(q.grad_fn.name(), p.grad)

# zero_ and fill_ on gradients
p.grad.zero_()
print(p.grad)
print(torch.zeros(2, 2).fill_(7.0))
