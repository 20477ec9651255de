"""Helpers shared by the optimizers: hyperparameter checks and state tensors."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap


def check_betas(betas) -> tuple:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    return tuple(b.item() if isinstance(b, Tensor) else b for b in betas)


def check_nonneg(**values) -> None:
    """``ValueError("Invalid <name> value: <v>")`` for a negative hyperparameter (PyTorch's)."""
    for name, v in values.items():
        if not 0.0 <= v:
            label = {"lr": "learning rate: ", "eps": "epsilon value: "}.get(name,
                                                                           f"{name} value: ")
            raise ValueError(f"Invalid {label}{v}")


def zeros_state(p) -> Tensor:
    return _wrap(np.zeros_like(p._data), False, None)
