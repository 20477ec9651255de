"""Higher-order gradients: d2y/dx2 with create_graph, Newton's method, a Hessian, a penalty."""
import torch
from torch.autograd.functional import hessian, jacobian

x = torch.tensor(2.0, requires_grad=True)
y = x ** 3 - 2 * x
(dy,) = torch.autograd.grad(y, x, create_graph=True)
(d2y,) = torch.autograd.grad(dy, x)
print(f"y={y.item()} dy/dx={dy.item()} d2y/dx2={d2y.item()}")

# Newton's method for the minimum of f(w) = w^4 - 3w^2 + w, from w = 2
w = torch.tensor(2.0, requires_grad=True)
for step in range(6):
    f = w ** 4 - 3 * w ** 2 + w
    (g,) = torch.autograd.grad(f, w, create_graph=True)
    (h,) = torch.autograd.grad(g, w)
    with torch.no_grad():
        w -= g / h
    print(f"step {step}: w={w.item():.6f} f'={g.item():.4f}")


def loss(p):
    return (p[0] ** 2 * p[1] + torch.sin(p[1]) * p[0]).sum()


p = torch.tensor([1.0, 0.5])
print("hessian", hessian(loss, p))
print("jacobian", jacobian(lambda v: torch.stack([v[0] * v[1], v[0] + v[1] ** 2]), p))

# a gradient penalty: the loss depends on the gradient's norm, so backward goes through grad
model = torch.nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.3, -0.7]]))
    model.bias.fill_(0.1)
inp = torch.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)
out = torch.tanh(model(inp)).sum()
(gin,) = torch.autograd.grad(out, inp, create_graph=True)
penalty = (gin.norm(2, dim=1) - 1).pow(2).mean()
penalty.backward()
print(f"penalty {penalty.item():.6f}")
print("weight grad", model.weight.grad)
