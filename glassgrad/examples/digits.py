"""
A multilayer perceptron on scikit-learn's bundled 8x8 handwritten digits: 1797 images, 64 pixels
each, ten classes. nn.Sequential(Linear(64, 128), ReLU, Linear(128, 10)) gives ten logits,
CrossEntropyLoss compares them with the label, AdamW updates the weights from shuffled
mini-batches while CosineAnnealingLR lowers its learning rate to 0 over the epochs. Pixels are standardized with the training set's statistics; 20% of the images are
held out for the test accuracy (about 98%).

    glassgrad demo digits [--epochs 20] [--lr 0.002] [--batch-size 32] [--hidden 128] [--seed 0]

Needs scikit-learn for the data (bundled with it, nothing is downloaded).
"""
import argparse
import time

import glassgrad as torch
from glassgrad import nn
from glassgrad.utils.data import DataLoader, TensorDataset
from glassgrad.utils.progress import progress


def load_data(seed):
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit(
            "the digits example needs scikit-learn for its data set (bundled with it, nothing "
            "is downloaded): pip install 'glassgrad[datasets]'  (or: pip install scikit-learn)"
        ) from None
    X, y = load_digits(return_X_y=True)                   # (1797, 64) in 0..16, (1797,) 0..9
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y)                                    # int64 class indices
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    n_test = len(X) // 5
    test, train = perm[:n_test], perm[n_test:]
    # + 1: some border pixels are always 0 (std 0); this keeps them at 0 instead of 0/0
    mean, std = X[train].mean(0), X[train].std(0) + 1.0
    return (X[train] - mean) / std, y[train], (X[test] - mean) / std, y[test]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="glassgrad demo digits",
                                     description="an MLP on the 8x8 digits")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    X_train, y_train, X_test, y_test = load_data(args.seed)
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of "
          f"{X_train.shape[1]} pixels")

    model = nn.Sequential(
        nn.Linear(64, args.hidden),
        nn.ReLU(),
        nn.Linear(args.hidden, 10),
    )
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)   # weight_decay=0.01
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size,
                        shuffle=True, generator=torch.Generator().manual_seed(args.seed))

    losses = []
    bar = progress(range(args.epochs), desc="digits")
    for epoch in bar:
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        scheduler.step()                                   # once per epoch, after the updates
        losses.append(total / len(X_train))
        bar.set_postfix(loss=losses[-1])
        if epoch % max(1, args.epochs // 5) == 0 or epoch == args.epochs - 1:
            bar.write(f"epoch {epoch + 1:3d}: train loss {losses[-1]:.4f}")

    model.eval()
    with torch.no_grad():
        predicted = model(X_test).argmax(dim=1)           # the class with the largest logit
        correct = int((predicted == y_test).sum())
    accuracy = correct / len(X_test)
    print(f"test accuracy: {accuracy:.4f} ({correct}/{len(X_test)}) "
          f"in {time.perf_counter() - start:.1f}s")
    return {"losses": losses, "accuracy": accuracy}


if __name__ == "__main__":
    main()
