"""Fit a curve with a cubic four ways: tensors by hand, autograd, nn + manual step, nn + optim."""
import math

import torch

x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x) + 0.1 * x ** 2 - 0.2  # not odd: every coefficient has a real gradient

# 1. tensors only: gradients derived by hand
a, b, c, d = (torch.tensor(v) for v in (0.0, 0.5, 0.0, -0.05))
lr = 1e-5
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    a = a - lr * grad_y_pred.sum()
    b = b - lr * (grad_y_pred * x).sum()
    c = c - lr * (grad_y_pred * x ** 2).sum()
    d = d - lr * (grad_y_pred * x ** 3).sum()
print(f"by hand:  loss {loss.item():.4f}  y = {a.item():.4f} + {b.item():.4f}x "
      f"+ {c.item():.4f}x^2 + {d.item():.4f}x^3")

# 2. autograd computes the same gradients
coef = torch.tensor([0.0, 0.5, 0.0, -0.05], requires_grad=True)
powers = torch.stack([x ** 0, x, x ** 2, x ** 3], dim=1)  # (200, 4)
for t in range(300):
    loss = (powers @ coef - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        coef -= lr * coef.grad
        coef.grad = None
print(f"autograd: loss {loss.item():.4f}  coef {[round(v, 4) for v in coef.tolist()]}")

# 3. nn: Linear on the powers, Flatten(0, 1), MSELoss(reduction="sum"), a manual step
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)  # (200, 3)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.5, 0.0, -0.05]]))
    model[0].bias.zero_()
loss_fn = torch.nn.MSELoss(reduction="sum")
for t in range(300):
    loss = loss_fn(model(xx), y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= lr * param.grad
layer = model[0]
print(f"nn:       loss {loss.item():.4f}  bias {layer.bias.item():.4f} "
      f"weight {[round(v, 4) for v in layer.weight[0].tolist()]}")

# 4. the same model with an optimizer doing the step
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.5, 0.0, -0.05]]))
    model[0].bias.zero_()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-4)
for t in range(300):
    loss = loss_fn(model(xx), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if t % 100 == 99:
        print(f"RMSprop step {t + 1}: loss {loss.item():.4f}")
