"""
Logistic regression on scikit-learn's breast-cancer data set: 569 tumours, 30 measurements
each, malignant or benign. One nn.Linear(30, 1) layer gives a logit, BCEWithLogitsLoss turns it
into a loss, SGD updates the weights from mini-batches of a shuffled DataLoader. The features
are standardized with the training set's mean and std; 20% of the tumours are held out to
measure the test accuracy.

    glassgrad demo breast-cancer [--epochs 60] [--lr 0.1] [--batch-size 32] [--seed 0]

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
        from sklearn.datasets import load_breast_cancer
    except ImportError:
        raise SystemExit(
            "the breast-cancer example needs scikit-learn for its data set (bundled with it, "
            "nothing is downloaded): pip install 'glassgrad[datasets]'  (or: pip install "
            "scikit-learn)"
        ) from None
    X, y = load_breast_cancer(return_X_y=True)           # (569, 30) float64, (569,) 0/1
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)  # (569, 1): BCE wants y like the logit
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    n_test = len(X) // 5
    test, train = perm[:n_test], perm[n_test:]
    mean, std = X[train].mean(0), X[train].std(0)          # statistics of the training set only
    return (X[train] - mean) / std, y[train], (X[test] - mean) / std, y[test]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="glassgrad demo breast-cancer",
                                     description="logistic regression on breast-cancer data")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    X_train, y_train, X_test, y_test = load_data(args.seed)
    print(f"breast-cancer: {len(X_train)} training and {len(X_test)} test tumours, "
          f"{X_train.shape[1]} features")

    model = nn.Linear(X_train.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size,
                        shuffle=True, generator=torch.Generator().manual_seed(args.seed))

    losses = []
    bar = progress(range(args.epochs), desc="breast-cancer")
    for epoch in bar:
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        losses.append(total / len(X_train))
        bar.set_postfix(loss=losses[-1])
        if epoch % max(1, args.epochs // 5) == 0 or epoch == args.epochs - 1:
            bar.write(f"epoch {epoch + 1:3d}: train loss {losses[-1]:.4f}")

    model.eval()
    with torch.no_grad():
        predicted = (model(X_test) > 0).float()           # logit > 0  <=>  probability > 0.5
        correct = int((predicted == y_test).sum())
    accuracy = correct / len(X_test)
    print(f"test accuracy: {accuracy:.4f} ({correct}/{len(X_test)}) "
          f"in {time.perf_counter() - start:.1f}s")
    return {"losses": losses, "accuracy": accuracy}


if __name__ == "__main__":
    main()
