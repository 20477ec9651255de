"""Gradient descent by hand: linear regression y = 2x + 1, gradients written out."""
import torch

X = torch.linspace(-1, 1, 20)
Y = 2 * X + 1 + 0.1 * torch.sin(5 * X)  # a little deterministic "noise"

w = torch.tensor(0.0)
b = torch.tensor(0.0)
lr = 0.1
for epoch in range(60):
    pred = w * X + b
    err = pred - Y
    loss = (err ** 2).mean()
    grad_w = 2 * (err * X).mean()  # dL/dw
    grad_b = 2 * err.mean()        # dL/db
    w = w - lr * grad_w
    b = b - lr * grad_b
    if epoch % 10 == 0:
        print(f"epoch {epoch:2d}: loss={loss.item():.6f} w={w.item():.4f} b={b.item():.4f}")
print(f"final: w={w.item():.4f} b={b.item():.4f}")
