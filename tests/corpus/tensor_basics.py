"""Tensor basics: creation, dtypes, shapes, arithmetic, broadcasting, indexing, reductions."""
import torch

a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(a)
print(a.shape, a.dtype, a.ndim, a.numel())
print(torch.zeros(2, 3))
print(torch.ones(3, dtype=torch.int64))
print(torch.arange(6).reshape(2, 3))
print(torch.linspace(0, 1, 5))
print(torch.eye(3))
print(torch.full((2, 2), 7.5))

# arithmetic is elementwise; shapes broadcast
b = torch.tensor([10.0, 20.0, 30.0])
print(a + b)
print(a * 2 - 1)
print(a / b)
print(a ** 2)
print(a @ a.T)

# indexing and slicing give views
print(a[0], a[:, 1], a[1, 2].item())
print(a[a > 2.5])
row = a[1]
row[0] = 40.0
print(a)

# reshaping
c = torch.arange(12.0)
print(c.view(3, 4))
print(c.reshape(2, -1).shape)
print(c.view(3, 4).transpose(0, 1).contiguous().view(-1))
print(c.unsqueeze(0).shape, c.view(1, 12, 1).squeeze().shape)

# reductions
print(a.sum(), a.mean(), a.sum(dim=0), a.mean(dim=1, keepdim=True))
print(a.max(), a.argmax(), a.max(dim=1))

# dtypes and conversion
i = torch.tensor([1, 2, 3])
print(i.dtype, (i / 2).dtype, (i * 1.5).dtype, i.float().dtype)
print(torch.tensor([1.0, 2.0], dtype=torch.float64) * 3)
print(a.tolist())
print(torch.cat([a, a], dim=0).shape, torch.stack([b, b]).shape)
