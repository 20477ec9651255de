"""A custom autograd Function (PyTorch's LegendrePolynomial3 tutorial), plus a clipped ReLU."""
import math

import torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative 1.5 (5x^2 - 1) written by hand."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class ClippedReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, limit):
        ctx.save_for_backward(x)
        ctx.limit = limit
        return x.clamp(0, limit)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        inside = ((x > 0) & (x < ctx.limit)).float()
        return g * inside, None


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

a = torch.full((), 0.0, requires_grad=True)
b = torch.full((), -1.0, requires_grad=True)
c = torch.full((), 0.0, requires_grad=True)
d = torch.full((), 0.3, requires_grad=True)

learning_rate = 5e-6
P3 = LegendrePolynomial3.apply
for t in range(1000):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, f"{loss.item():.4f}")
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None

print(f"Result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
out = LegendrePolynomial3.apply(torch.tensor([0.5], requires_grad=True))
print(out, out.grad_fn is not None)

v = torch.tensor([-1.0, 0.5, 2.0, 4.0], requires_grad=True)
r = ClippedReLU.apply(v, 3.0)
r.sum().backward()
print(r.detach(), v.grad)
