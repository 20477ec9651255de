"""Convolutions: Conv2d, pooling, BatchNorm2d with fixed weights; shapes, values, one SGD step."""
import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)
import torch.nn.functional as F

img = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6) / 36
edge = torch.tensor([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]])
print(F.conv2d(img, edge)[0, 0])
print(F.conv2d(img, edge, padding=1, stride=2).shape)
print(F.max_pool2d(img, 2)[1, 0])
print(F.avg_pool2d(img, 3).squeeze())


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(2 * 3 * 3, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


model = SmallCNN()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (1 + i % 2))
print(model)
target = torch.tensor([0, 1])
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(img), target)
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.5f} conv grad norm {model.conv.weight.grad.abs().sum().item():.5f}")
print("running mean", model.bn.running_mean, "running var", model.bn.running_var)
model.eval()
with torch.no_grad():
    print(model(img))
