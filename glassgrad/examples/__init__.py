"""Runnable examples, each a plain script: ``glassgrad demo NAME`` runs one as ``__main__``."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (file, one-line description)
EXAMPLES = {
    "seed": ("seed.py", "the seed tutorial: y = w*x trained with autograd (prints PyTorch's output)"),
    "digits-cnn": ("digits_cnn.py", "a CNN (conv, batch norm, max pool) on the 8x8 digits, ~99%"),
}


def path_of(name: str) -> Path:
    if name not in EXAMPLES:
        known = ", ".join(sorted(EXAMPLES))
        raise SystemExit(f"glassgrad demo: no example named '{name}' (known: {known})")
    return HERE / EXAMPLES[name][0]
