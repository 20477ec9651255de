"""
A convolutional network on scikit-learn's 8x8 handwritten digits, written as a PyTorch script
with `import torch` replaced by `import glassgrad as torch`.

The two conv blocks learn 3x3 stroke detectors (edges, corners, curves) shared across the image;
max pooling keeps the strongest response in each 2x2 patch, so a digit shifted by a pixel still
excites the same features. Batch norm keeps every channel's activations centred while the
weights move, which lets Adam use a larger step; the learning rate then anneals to zero.

    glassgrad demo digits-cnn                   # 12 epochs (~99% test accuracy)
    glassgrad demo digits-cnn --epochs 3        # a quick look
    glassgrad demo digits-cnn --trace runs/cnn  # the glass-box report of the training steps
"""
import argparse
import time

import numpy as np

import glassgrad as torch
from glassgrad import nn
from glassgrad.utils.data import DataLoader, TensorDataset
from glassgrad.utils.progress import progress


class DigitsCNN(nn.Module):
    """(N, 1, 8, 8) -> conv 16 -> pool -> (N, 16, 4, 4) -> conv 32 -> pool -> (N, 32, 2, 2) -> 10."""

    def __init__(self):
        super().__init__()
        # no conv bias: batch norm subtracts each channel's mean right after, so a bias there
        # would get a zero gradient (the glass-box trace flags it as a parameter that never learns)
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(32),
            nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_digits_tensors(seed):
    """Digits as (N, 1, 8, 8) float32 images in [0, 1], split 80/20 (stratified)."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit(
            "the digits-cnn example needs scikit-learn for its data set (bundled with it, "
            "nothing is downloaded): pip install 'glassgrad[datasets]'  (or: pip install "
            "scikit-learn)"
        ) from None

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 8, 8) -> (1797, 1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target, test_size=0.2,
                                              random_state=seed, stratify=digits.target)
    return (torch.tensor(x_tr), torch.tensor(y_tr), torch.tensor(x_te), torch.tensor(y_te))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(x).numpy().argmax(axis=1)
    model.train()
    return float((pred == y.numpy()).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description="a CNN on the 8x8 digits")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="only the final metric line")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_digits_tensors(args.seed)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, generator=torch.Generator().manual_seed(args.seed))
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # the step size glides from lr down to 0 over the run: big steps early, fine ones at the end
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    if not args.quiet:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{len(x_train)} training / {len(x_test)} test images, {n_params} parameters")

    start = time.perf_counter()
    losses = []
    for epoch in range(args.epochs):
        bar = progress(loader, desc=f"epoch {epoch + 1:2d}/{args.epochs}",
                       disable=True if args.quiet else None)
        total = 0.0
        for xb, yb in bar:
            logits = model(xb)             # 1. forward
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()                # 2-3. local gradients, chained backwards
            optimizer.step()               # 4. update
            total += loss.item() * len(xb)
            bar.set_postfix(loss=loss.item())
        scheduler.step()
        losses.append(total / len(x_train))
        if not args.quiet and (epoch % 5 == 4 or epoch == args.epochs - 1):
            bar.write(f"epoch {epoch + 1:2d}: train loss {losses[-1]:.4f}, "
                      f"test accuracy {accuracy(model, x_test, y_test):.2%}")

    acc = accuracy(model, x_test, y_test)
    n_right = round(acc * len(y_test))
    print(f"test accuracy: {acc:.4f} ({n_right}/{len(y_test)}) "
          f"in {time.perf_counter() - start:.1f}s")
    return {"losses": losses, "accuracy": acc}


if __name__ == "__main__":
    main()
