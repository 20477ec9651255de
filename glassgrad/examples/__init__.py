"""Runnable examples, each a plain script: ``glassgrad demo NAME`` runs one as ``__main__``."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (file, one-line description)
EXAMPLES = {
    "seed": ("seed.py", "the seed tutorial: y = w*x trained with autograd (prints PyTorch's output)"),
    "seed-nn": ("seed_nn.py", "the seed problem with nn.Linear + nn.MSELoss + optim.SGD"),
    "breast-cancer": ("breast_cancer.py",
                      "logistic regression on scikit-learn's breast-cancer data (test accuracy)"),
    "digits": ("digits.py", "an MLP on scikit-learn's 8x8 digits, about 98% test accuracy"),
    "digits-cnn": ("digits_cnn.py", "a CNN (conv, batch norm, max pool) on the 8x8 digits, ~99%"),
    "higher-order": ("higher_order.py",
                     "d2y/dx2, Newton's method, a Hessian, a custom Function, a hook, anomaly mode"),
}


def path_of(name: str) -> Path:
    if name not in EXAMPLES:
        known = ", ".join(sorted(EXAMPLES))
        raise SystemExit(f"glassgrad demo: no example named '{name}' (known: {known})")
    return HERE / EXAMPLES[name][0]
