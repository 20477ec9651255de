"""Public constructors: ``tensor``, ``zeros``, ``randn``, ... (validated, unlike ``_wrap``)."""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import _dtype
from .random import _rng
from .tensor import Size, Tensor, _promote_types, _wrap, device

_float32 = np.dtype(np.float32)


def _np_dtype(dtype, default=_float32):
    return default if dtype is None else _dtype.to_numpy_dtype(dtype)


def _finish(data, requires_grad, dev=None):
    if dev is not None:
        device(dev)
    t = _wrap(data, False, None)
    if requires_grad:
        if data.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t.requires_grad = True
    return t


_PY_DTYPES = {
    builtins.float: _float32,
    builtins.int: np.dtype(np.int64),
    builtins.bool: np.dtype(np.bool_),
}
_SEQUENCES = (list, tuple, range)


def _promote(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return _promote_types(a, b)


def _infer_dtype(x, nested=False):
    """PyTorch's dtype inference, element by element: Python floats -> float32, ints -> int64,
    bools -> bool, NumPy values and tensors keep their dtype; mixed kinds promote (torch's rules).
    None for an empty sequence."""
    pd = _PY_DTYPES.get(type(x))
    if pd is not None:
        return pd
    if isinstance(x, Tensor):
        if nested and x._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return x._data.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(x.dtype).np
    if isinstance(x, _SEQUENCES):
        types = set(map(type, x))
        result = None
        if types <= _PY_DTYPES.keys():  # the common case: one C-level pass, no recursion
            for tp in types:
                result = _promote(result, _PY_DTYPES[tp])
            return result
        for item in x:
            result = _promote(result, _infer_dtype(item, True))
        return result
    if isinstance(x, str):
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _ragged_error(data):
    """PyTorch's error for nested lists that are not rectangular (None if they are)."""
    sizes = []
    x = data
    while isinstance(x, _SEQUENCES):
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]

    def walk(x, dim):
        if dim == len(sizes):
            return None
        if not isinstance(x, _SEQUENCES):
            return TypeError("not a sequence")
        if len(x) != sizes[dim]:
            return ValueError(
                f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})"
            )
        for item in x:
            err = walk(item, dim + 1)
            if err is not None:
                return err
        return None

    return walk(data, 0)


def _infer(data, dtype=None) -> np.ndarray:
    """A new array holding ``data`` with PyTorch's dtype (or ``dtype``), converted once."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=3,
        )
        return np.array(data._data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        _dtype.from_numpy_dtype(data.dtype)  # clear error for unsupported dtypes
        return np.array(data, dtype=dtype)
    target = dtype
    if target is None:
        target = _infer_dtype(data)
        if target is None:  # empty
            target = _float32
    try:
        # built straight in the target dtype: tensor([0.1], dtype=float64) is the double 0.1
        arr = np.array(data, dtype=target)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    except (ValueError, TypeError) as e:
        err = _ragged_error(data)
        if err is None:
            raise RuntimeError(f"tensor(): {e}") from None
        raise err from None
    return arr


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    >>> import glassgrad as gg
    >>> gg.tensor([1, 2, 3], dtype=gg.float32)
    tensor([1., 2., 3.])
    """
    arr = _infer(data, None if dtype is None else _dtype.to_numpy_dtype(dtype))
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


def _kw_size(size, kw, name) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and PyTorch's keyword form ``zeros(size=(2, 3))``."""
    if kw:
        if set(kw) != {"size"} or size:
            bad = next(iter(set(kw) - {"size"}), "size")
            raise TypeError(f"{name}() got an unexpected keyword argument '{bad}'")
        return (kw["size"],)
    return size


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    out = tuple(int(s) for s in size)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, **kw) -> Tensor:
    size = _kw_size(size, kw, "zeros")
    return _finish(np.zeros(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, **kw) -> Tensor:
    size = _kw_size(size, kw, "ones")
    return _finish(np.ones(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None,
          memory_format=None, **kw) -> Tensor:
    size = _kw_size(size, kw, "empty")
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
    size = _size((size,))
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


def _fma(a, b, c):
    """a * b + c rounded once, as the fused multiply-add PyTorch's compiled kernels use
    (error-free transformations: Dekker's product and Knuth's sum, in float64)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    p = a * b
    split = 134217729.0  # 2**27 + 1
    t = split * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = split * b
    b_hi = t - (t - b)
    b_lo = b - b_hi
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s = p + c
    v = s - p
    s_err = (p - (s - v)) + (c - v)
    return s + (s_err + p_err)


def _arange_values(start, step, n, npd):
    """``start + step * i`` for i < n, rounded the way PyTorch's CPU kernel does.

    PyTorch accumulates in float64 and writes 2 vectors of 32 bytes at a time: each vector
    starts from ``start + step * i`` rounded to the dtype and adds ``k * step`` to it; the tail
    that fills no pair of vectors is computed element by element.
    """
    if npd.kind != "f":
        if isinstance(start, int) and isinstance(step, int):
            return start + step * np.arange(n, dtype=np.int64)
        return _fma(step, np.arange(n), start)
    # float16 accumulates in float32 (rounding a float64 fma to float32 is that fma, nearly always)
    acc = np.float32 if npd == np.float16 else np.float64
    start, step = float(acc(start)), float(acc(step))
    idx = np.arange(n, dtype=np.float64)
    out = _fma(step, idx, start).astype(acc)
    width = 32 // npd.itemsize
    nvec = n // (2 * width) * 2 * width
    if nvec:
        base = out[:nvec:width].astype(npd).astype(np.float64)
        lanes = np.arange(width, dtype=np.float64)
        out[:nvec] = _fma(lanes[None, :], step, base[:, None]).reshape(-1).astype(acc)
    return out


def arange(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``, ``step`` apart.

    >>> import glassgrad as gg
    >>> gg.arange(5)
    tensor([0, 1, 2, 3, 4])
    """
    if end is None:
        start, end = 0, start
    start, end, step = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        ints = builtins.all(isinstance(v, int) for v in (start, end, step))
        npd = np.dtype(np.int64) if ints else _float32
    else:
        npd = _dtype.to_numpy_dtype(dtype)
    n = math.ceil((end - start) / step)
    data = _arange_values(start, step, n, npd).astype(npd)
    return _finish(data, requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch does, in the output dtype: the first half counts up from ``start``,
    the second half down from ``end`` (so both ends are exact).
    """
    start, end = [v.item() if isinstance(v, Tensor) else v for v in (start, end)]
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    npd = _np_dtype(dtype)
    if steps == 1:
        return _finish(np.array([start], dtype=npd), requires_grad, device)
    idx = np.arange(steps)
    half = steps // 2
    if npd == np.float16:
        # half precision rounds after every operation (no fused multiply-add)
        s, e = np.float16(start), np.float16(end)
        step = (e - s) / np.float16(max(steps - 1, 1))
        lo = s + step * idx[:half].astype(np.float16)
        hi = e - step * (steps - idx[half:] - 1).astype(np.float16)
        return _finish(np.concatenate((lo, hi)), requires_grad, device)
    if npd.kind == "f":
        s, e = float(npd.type(start)), float(npd.type(end))
        step = float(npd.type((npd.type(end) - npd.type(start)) / npd.type(max(steps - 1, 1))))
    else:  # integer dtypes step in float64 and truncate
        s, e = float(int(start)), float(int(end))
        step = (e - s) / max(steps - 1, 1)
    out = np.concatenate((
        _fma(step, idx[:half], s),
        _fma(-step, steps - idx[half:] - 1, e),
    ))
    return _finish(out.astype(npd), requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    data = np.logspace(float(start), float(end), int(steps), base=base).astype(_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Uniform on [0, 1)."""
    size = _kw_size(size, kw, "rand")
    data = _rng(generator).random(_size(size), dtype=np.float64).astype(_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False,
          **kw) -> Tensor:
    """Standard normal."""
    size = _kw_size(size, kw, "randn")
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
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    data = _rng(generator).integers(low, high, size=tuple(size)).astype(
        _np_dtype(dtype, np.dtype(np.int64))
    )
    return _finish(data, requires_grad, device)


def randint_like(x, low, high=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high) in the shape (and dtype, unless given) of ``x``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, x._data.shape, dtype=dtype or x.dtype, device=device,
                   requires_grad=requires_grad)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding the number ``s`` (float32 unless ``dtype`` says otherwise)."""
    return _finish(np.array(s, dtype=_np_dtype(dtype)), requires_grad, device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    data = _rng(generator).permutation(int(n)).astype(_np_dtype(dtype, np.dtype(np.int64)))
    return _finish(data, requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, generator=None) -> Tensor:
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast(m, s).shape
    dt = mean._data.dtype if isinstance(mean, Tensor) else _float32
    return _wrap(np.asarray(_rng(generator).normal(m, s, shape)).astype(dt), False, None)
