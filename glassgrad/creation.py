"""Public constructors: ``tensor``, ``zeros``, ``randn``, ... (validated, unlike ``_wrap``)."""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _dtype
from .random import _rng
from .tensor import Size, Tensor, _wrap, device

_float32 = np.dtype(np.float32)


def _np_dtype(dtype, default=_float32):
    return default if dtype is None else _dtype.to_numpy_dtype(dtype)


def _finish(data, requires_grad, dev=None):
    if dev is not None:
        device(dev)
    t = _wrap(data, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data) -> np.ndarray:
    """PyTorch's dtype inference: Python floats -> float32, ints -> int64, bools -> bool;
    NumPy arrays keep their dtype."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        if data.dtype == np.float64 or data.dtype.kind != "f":
            _dtype.from_numpy_dtype(data.dtype)  # clear error for unsupported dtypes
        return np.array(data)
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype == object:
        raise TypeError(
            f"tensor(): could not infer a dtype from {type(data).__name__} data; nested lists "
            "must be rectangular and hold only numbers, bools or tensors"
        )
    if arr.dtype.kind == "f" and not _holds_float64(data):
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "fb":
        raise TypeError(f"tensor(): unsupported data of dtype {arr.dtype}")
    return arr


def _holds_float64(data) -> bool:
    """True if the (nested) data holds float64 arrays or tensors (they keep their dtype)."""
    if isinstance(data, (list, tuple)):
        return builtins.any(_holds_float64(d) for d in data[:1])
    if isinstance(data, Tensor):
        return data._data.dtype == np.float64
    if isinstance(data, np.ndarray):
        return data.dtype == np.float64
    return isinstance(data, np.float64)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    >>> import glassgrad as gg
    >>> gg.tensor([1, 2, 3], dtype=gg.float32)
    tensor([1., 2., 3.])
    """
    arr = _infer(data)
    if dtype is not None:
        arr = arr.astype(_dtype.to_numpy_dtype(dtype), copy=False)
    return _finish(arr, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or tensor) when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        npd = data.dtype if dtype is None else _dtype.to_numpy_dtype(dtype)
        _dtype.from_numpy_dtype(npd)
        return _finish(data if npd == data.dtype else data.astype(npd), False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return _wrap(array, False, None)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    out = tuple(int(s) for s in size)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.zeros(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.ones(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None,
          memory_format=None) -> Tensor:
    # zero-filled rather than uninitialised: same speed here, and no garbage to surprise anyone
    return _finish(np.zeros(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        if isinstance(fill_value, bool):
            npd = np.dtype(np.bool_)
        elif isinstance(fill_value, int):
            npd = np.dtype(np.int64)
        else:
            npd = _float32
    else:
        npd = _dtype.to_numpy_dtype(dtype)
    size = _size((size,)) if isinstance(size, (tuple, list, Size)) else _size((size,))
    return _finish(np.full(size, fill_value, dtype=npd), requires_grad, device)


def zeros_like(x, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.zeros(x._data.shape, _np_dtype(dtype, x._data.dtype)), requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.ones(x._data.shape, _np_dtype(dtype, x._data.dtype)), requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return zeros_like(x, dtype=dtype, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    npd = _np_dtype(dtype, x._data.dtype)
    return _finish(np.full(x._data.shape, fill_value, dtype=npd), requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(*x._data.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randn_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(*x._data.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        npd = np.int64 if builtins.all(isinstance(v, int) for v in vals) else _float32
    else:
        npd = _dtype.to_numpy_dtype(dtype)
    start, end, step = vals
    n = max(0, math.ceil((end - start) / step))
    data = (start + np.arange(n, dtype=np.float64) * step).astype(npd)
    return _finish(data, requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    data = np.linspace(float(start), float(end), int(steps)).astype(_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    data = np.logspace(float(start), float(end), int(steps), base=base).astype(_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    data = _rng(generator).random(_size(size), dtype=np.float64).astype(_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    data = _rng(generator).standard_normal(_size(size)).astype(_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers in [low, high)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    data = _rng(generator).integers(low, high, size=tuple(size)).astype(
        _np_dtype(dtype, np.dtype(np.int64))
    )
    return _finish(data, requires_grad, device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    data = _rng(generator).permutation(int(n)).astype(_np_dtype(dtype, np.dtype(np.int64)))
    return _finish(data, requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, generator=None) -> Tensor:
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast(m, s).shape
    dt = mean._data.dtype if isinstance(mean, Tensor) else _float32
    return _wrap(np.asarray(_rng(generator).normal(m, s, shape)).astype(dt), False, None)
