"""``repr`` of a tensor in PyTorch's format."""

from __future__ import annotations

import numpy as np


def tensor_repr(t) -> str:
    data = t._data
    body = np.array2string(data, separator=", ", prefix="tensor(")
    suffix = []
    if data.dtype not in (np.float32, np.int64, np.bool_):
        suffix.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
