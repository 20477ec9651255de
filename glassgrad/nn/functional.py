"""``torch.nn.functional``: layers and losses as functions of their inputs and weights.

Composite functions are written with Tensor ops (their gradients come from those ops); fused
primitives live in ``glassgrad/ops/nnops.py`` where speed or stability needs one.

>>> import glassgrad as gg
>>> import glassgrad.nn.functional as F
>>> F.linear(gg.ones(1, 2), gg.ones(3, 2), gg.zeros(3))
tensor([[2., 2., 2.]])
"""

from __future__ import annotations

from ..ops import nnops
from ..tensor import Tensor

__all__ = ["linear", "relu"]


def _dtype_name(t: Tensor) -> str:
    return nnops._DTYPE_NAMES[t._data.dtype.name]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias   (input: (..., in), weight: (out, in), bias: (out,))."""
    dt = input._data.dtype
    if weight._data.dtype != dt or (bias is not None and bias._data.dtype != dt):
        other = weight if weight._data.dtype != dt else bias
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_dtype_name(input)} and "
            f"{_dtype_name(other)}; cast the input with .to({other.dtype}) or the module with "
            f".to({input.dtype})"
        )
    if bias is None:
        return nnops.LinearNoBias.apply(input, weight)
    return nnops.Linear.apply(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """y = max(x, 0)."""
    if inplace:
        return input.clamp_(min=0)
    return input.relu()


# -- CNN layers (conv, pooling, batch norm, channel dropout): ops/conv.py, ops/pool.py ---------
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)
from ._cnn_functional import batch_norm, dropout1d, dropout2d

__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "dropout1d", "dropout2d",
    "interpolate", "max_pool1d", "max_pool2d",
]
