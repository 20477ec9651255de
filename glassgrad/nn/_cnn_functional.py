"""Functional forms for CNN layers that are not single ops: ``batch_norm``, ``dropout2d``.

Re-exported by ``glassgrad.nn.functional`` (PyTorch's names, signatures and defaults).
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import _mode
from ..ops.batchnorm import BatchNorm
from ..random import _rng
from ..tensor import Tensor, _counter, _wrap

_FULL = (np.dtype(np.float32), np.dtype(np.float64))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of (N, C, *) to zero mean and unit variance, then scale and shift.

    Training (``training=True``) uses the batch's statistics and, when running buffers are
    given, updates them in place: ``running = (1 - momentum) * running + momentum * batch``
    (the variance unbiased, as in PyTorch). Evaluation uses the running statistics.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> y = F.batch_norm(gg.tensor([[1.0], [3.0]]), None, None, training=True)
    >>> [round(v, 3) for v in y.flatten().tolist()]
    [-1.0, 1.0]
    """
    x = input._data
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got "
                         f"{list(x.shape)}")
    c = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t._data.shape != (c,):
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (one per "
                               f"channel of input {list(x.shape)}), not {t._data.size}")
        if t is not None and x.dtype in _FULL and t._data.dtype != x.dtype:
            # torch's CPU rule: only a half-precision input may use float32 parameters
            msg = ("expect parameter to have scalar type of Float" if x.dtype == np.float32
                   else "all inputs must share same datatype.")
            raise RuntimeError(f"mixed dtype (CPU): {msg} (batch_norm: input is {x.dtype}, "
                               f"{name} is {t._data.dtype}; use .to())")
    if training:
        n = x.size // c
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(x.shape)}")
        out = BatchNorm.apply(input, weight, bias, None, None, eps)
        if running_mean is not None or running_var is not None:
            axes = (0,) + tuple(range(2, x.ndim))
            if running_mean is not None:
                rm = running_mean._data
                rm *= 1 - momentum
                rm += momentum * x.mean(axis=axes).astype(rm.dtype)
                _counter(running_mean)[0] += 1
            if running_var is not None:
                rv = running_var._data
                rv *= 1 - momentum
                rv += momentum * x.var(axis=axes, ddof=1).astype(rv.dtype)
                _counter(running_var)[0] += 1
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                           "evaluation mode (training=False)")
    return BatchNorm.apply(input, weight, bias, running_mean._data, running_var._data, eps)


def _channel_dropout(name, input, p, training, inplace, min_dim):
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    x = input._data
    if x.ndim < min_dim:
        raise RuntimeError(f"{name}: expected at least a {min_dim}-D input, got "
                           f"{list(x.shape)}")
    # one keep/drop draw per (sample, channel), broadcast over the spatial dims
    spatial = min_dim - 1
    mask_shape = x.shape[:x.ndim - spatial] + (1,) * spatial
    if p == 1:
        mask = np.zeros(mask_shape, dtype=x.dtype)
    else:
        keep = _rng().random(mask_shape) >= p
        mask = (keep / (1 - p)).astype(x.dtype)
    m = _wrap(mask, False, None)
    if inplace and not (_mode.enabled and input.requires_grad):
        input._data *= mask
        _counter(input)[0] += 1
        return input
    return input * m


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) (or unbatched (C, H, W)) with probability ``p`` and
    scale the kept ones by 1 / (1 - p)."""
    return _channel_dropout("dropout2d", input, p, training, inplace, 3)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) (or unbatched (C, L)) with probability ``p``."""
    return _channel_dropout("dropout1d", input, p, training, inplace, 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) (or unbatched (C, D, H, W)) with probability
    ``p``."""
    return _channel_dropout("dropout3d", input, p, training, inplace, 4)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """AlexNet's local response normalisation across channels, composed of primitives:
    ``y = x / (k + alpha * mean of x^2 over ``size`` neighbouring channels) ** beta``.

    The mean runs as an average pool over the channel axis (zero-padded, window ``size``).
    """
    from . import functional as F
    from ._pool_functional import avg_pool2d

    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    shape = tuple(input.shape)
    sq = (input * input).reshape(shape[0], 1, shape[1], -1)  # (N, 1, C, rest)
    sq = F.pad(sq, (0, 0, size // 2, (size - 1) // 2))  # zero channels around
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(shape)
    div = (div * alpha + k) ** beta
    return input / div
