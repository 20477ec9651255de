"""Gradient descent with autograd: the same regression, gradients from backward()."""
import torch

X = torch.linspace(-1, 1, 20).reshape(-1, 1)
Y = 2 * X + 1 + 0.1 * torch.sin(5 * X)

w = torch.zeros(1, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
for epoch in range(60):
    pred = X @ w + b
    loss = ((pred - Y) ** 2).mean()
    loss.backward()
    if epoch == 0:
        print("first gradients:", w.grad, b.grad)
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 10 == 0:
        print(f"epoch {epoch:2d}: loss={loss.item():.6f}")
print("w:", w)
print("b:", b)
print(f"prediction at x=0.5: {(torch.tensor([[0.5]]) @ w + b).item():.4f}")
