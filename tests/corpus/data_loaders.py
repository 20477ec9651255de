"""Datasets and DataLoaders: batching, the last batch, shuffling, a custom Dataset, training."""
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor([float(i)]), torch.tensor([float(i * i)])


ds = Squares(10)
print(len(ds), ds[3])
for xb, yb in DataLoader(ds, batch_size=4):
    print(xb.shape, xb.squeeze(1).tolist(), yb.squeeze(1).tolist())
print(len(DataLoader(ds, batch_size=4)), len(DataLoader(ds, batch_size=4, drop_last=True)))
print([xb.shape[0] for xb, _ in DataLoader(ds, batch_size=4, drop_last=True)])

X = torch.arange(12.0).reshape(6, 2)
y = torch.tensor([0, 1, 0, 1, 0, 1])
tds = TensorDataset(X, y)
print(tds[2])
for xb, yb in DataLoader(tds, batch_size=3):
    print(xb, yb)

# shuffle: the order depends on the random stream, the epoch's contents do not
torch.manual_seed(0)
for epoch in range(2):
    seen = []
    for xb, yb in DataLoader(tds, batch_size=2, shuffle=True):
        seen += xb[:, 0].tolist()
    print("epoch", epoch, "saw", sorted(seen))

train, test = random_split(tds, [4, 2])
print(len(train), len(test), sorted(list(train.indices) + list(test.indices)))

# dicts are collated key by key; numbers become tensors
class Pairs(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return {"x": torch.tensor([i, i + 1.0]), "label": i % 2}


for batch in DataLoader(Pairs(), batch_size=2):
    print(batch["x"], batch["label"])

# training through a loader (no shuffle, so the numbers match exactly)
Xr = torch.linspace(0, 1, 32).unsqueeze(1)
Yr = 3 * Xr - 0.5
model = torch.nn.Linear(1, 1)
torch.nn.init.constant_(model.weight, 0.1)
torch.nn.init.constant_(model.bias, 0.0)
opt = torch.optim.SGD(model.parameters(), lr=0.2)
loader = DataLoader(TensorDataset(Xr, Yr), batch_size=8)
for epoch in range(20):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    if epoch % 5 == 4:
        print(f"epoch {epoch + 1}: mean loss {total / len(Xr):.6f}")
print(f"w={model.weight.item():.4f} b={model.bias.item():.4f}")
