"""Randomly initialised MLP on a deterministic two-spirals-like problem.

The random streams of glassgrad and PyTorch differ, so only seed-independent results are
printed: the task is easy enough that any reasonable initialisation solves it.
"""
import math

import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)

torch.manual_seed(0)
n = 64
t = torch.arange(n, dtype=torch.float32) / n * 2 * math.pi
inner = torch.stack([torch.cos(t), torch.sin(t)], dim=1) * 0.5
outer = torch.stack([torch.cos(t), torch.sin(t)], dim=1) * 1.5
X = torch.cat([inner, outer])
y = torch.cat([torch.zeros(n), torch.ones(n)]).long()

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(200):
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    opt.step()

with torch.no_grad():
    acc = (model(X).argmax(dim=1) == y).float().mean().item()
print(f"parameters: {sum(p.numel() for p in model.parameters())}")
print(f"accuracy: {acc:.2f}")
print(f"final loss below 0.1: {loss.item() < 0.1}")
