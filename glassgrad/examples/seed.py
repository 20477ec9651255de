"""
The seed tutorial on glassgrad: train y = w*x with autograd.
1. forward pass  2. local gradients  3. backward pass (chain rule)  4. optimizer step (gradient descent)

The same program as PyTorch's version with `import torch` replaced; it prints the same numbers.
"""
import glassgrad as torch

X = torch.tensor([1, 2, 3, 4], dtype=torch.float32)
y = torch.tensor([2, 4, 6, 8], dtype=torch.float32)

w = torch.tensor(0.0, dtype=torch.float32, requires_grad=True)


def forward(x):
    return w*x


def loss_fn(y, y_hat):
    return ((y-y_hat)**2).mean()


print(f"Prediction before training: f(5) = {forward(5):.3f}, weights: {w:.3f}")
epochs = 20
learning_rate = 0.01
print('+'*20, 'training', '+'*20)
for epoch in range(epochs):
    y_hat = forward(X)
    loss = loss_fn(y, y_hat)
    loss.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    w.grad.zero_()
    if epoch % 2 == 0:
        print(f"Epoch {epoch+1}: w={w:.3f} loss={loss:.10f}")
print('+'*20, 'done', '+'*20)
print(f'weights after training: {w:.3f}, lets do a prediction.')
print(f"Prediction after training: f(5) = {forward(5):.3f}")
