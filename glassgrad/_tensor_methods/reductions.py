"""Tensor methods: _Reductions (mixed into ``glassgrad.tensor.Tensor``; bodies moved verbatim)."""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from ..ops.indexing import IndexSelect, SortValues, TopkValues
from ..ops.reduce import (
    Amax,
    Amin,
    Cumprod,
    Cumsum,
    KthValue,
    LogSumExp,
    Max,
    MaxDim,
    Mean,
    MeanDim,
    Median,
    MedianDim,
    Min,
    MinDim,
    Prod,
    ProdDim,
    Std,
    Sum,
    SumDim,
    SumToSize,
    Var,
    arg_extreme,
)
from ..ops.shape import Reshape

_bool = builtins.bool
_int = builtins.int

# glassgrad.tensor's names, bound by ``_bind`` once the Tensor class exists (tensor.py
# imports this module before it defines Tensor, so importing them here would be a cycle)
Tensor = _floating = _norm_dim = _operand = _shape_arg = _wrap = None
_NAMES = (
    "Tensor", "_floating", "_norm_dim", "_operand", "_shape_arg", "_wrap",
)


def _bind(ns) -> None:
    """Set the module globals above from glassgrad.tensor's namespace (called once)."""
    g = globals()
    for name in _NAMES:
        g[name] = ns[name]


class _Reductions:
    """Reductions (``sum``, ``mean``, ``max``, ``var``, ``median``, ``quantile`` ...), scans,
    sorting, ``topk``, ``unique``, ``diff`` and a few helpers that return new tensors."""

    __slots__ = ()

    # -- reductions ---------------------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, dtype=None, axis=None):
        if axis is not None:
            dim = axis
        if dim is None and dtype is None and not keepdim:
            return Sum._apply1(self)  # the common loss.sum(): the forward's defaults
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return (Sum if dim is None else SumDim).apply(self, dim, keepdim, npd)

    def mean(self, dim=None, keepdim=False, dtype=None, axis=None):
        if axis is not None:
            dim = axis
        if dim is None and dtype is None and not keepdim:
            return Mean._apply1(self)
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return (Mean if dim is None else MeanDim).apply(self, dim, keepdim, npd)

    def sum_to_size(self, *size):
        """Sum dims away until the shape is ``size`` (the inverse of broadcasting to self)."""
        size = _shape_arg(size)
        shape = self._data.shape
        lead = len(shape) - len(size)
        if lead < 0 or any(n != 1 and n != shape[lead + i] for i, n in enumerate(size)):
            raise RuntimeError(
                f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}."
            )
        size = tuple(size)
        if size == shape:
            return self
        # like PyTorch: sum with keepdim (SumBackward1), then view away the leading dims
        padded = (1,) * lead + size
        out = SumToSize._apply1(self, padded) if padded != shape else self
        return Reshape._apply1(out, size) if lead else out

    def max(self, dim=None, keepdim=False):
        """``max()``: the largest value; ``max(dim)``: (values, indices); ``max(other)``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return Max._apply1(self)
        return _with_indices(MaxDim, self, dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        """``min()``: the smallest value; ``min(dim)``: (values, indices); ``min(other)``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return Min._apply1(self)
        return _with_indices(MinDim, self, dim, keepdim, "min")

    def amax(self, dim=(), keepdim=False):
        return Amax._apply1(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return Amin._apply1(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _wrap(arg_extreme(self._data, dim, keepdim, "argmax"), False, None)

    def argmin(self, dim=None, keepdim=False):
        return _wrap(arg_extreme(self._data, dim, keepdim, "argmin"), False, None)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _var_std(Var, self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _var_std(Std, self, dim, unbiased, keepdim, correction)

    def prod(self, dim=None, keepdim=False, dtype=None):
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        if dim is None:
            return Prod._apply1(self, None, False, npd)
        if not isinstance(dim, (_int, np.integer)):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        return ProdDim._apply1(self, dim, keepdim, npd)

    def logsumexp(self, dim, keepdim=False):
        return LogSumExp._apply1(_floating(self), dim, keepdim)

    def median(self, dim=None, keepdim=False):
        """``median()``: the middle value (lower of two); ``median(dim)``: (values, indices)."""
        if dim is None:
            return Median._apply1(self)
        return self._select_sorted(MedianDim, dim, keepdim, None, "median")

    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the ``k``-th smallest element along ``dim`` (k counts from 1)."""
        return self._select_sorted(KthValue, dim, keepdim, k, "kthvalue")

    def _select_sorted(self, op, dim, keepdim, k, name):
        from .. import return_types

        data = self._data
        x = self if data.ndim else self.reshape(1)
        d = _norm_dim(dim, data.ndim)
        n = x._data.shape[d]
        if n == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        pos = (n - 1) // 2 if k is None else k - 1
        if not 0 <= pos < n:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        order = _argsort(x._data, d, False)
        idx = np.take(order, [pos], axis=d)  # keepdim indices, NaN sorted last
        values = op.apply(x, d, keepdim or not data.ndim, idx)
        indices = idx if keepdim else np.squeeze(idx, d)
        if not data.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        return getattr(return_types, name)(values, _wrap(indices, False, None))

    def aminmax(self, *, dim=None, keepdim=False):
        from .. import return_types

        return return_types.aminmax(self.amin(() if dim is None else dim, keepdim),
                                    self.amax(() if dim is None else dim, keepdim))

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The ``q``-quantile(s) along ``dim`` (of all elements by default), interpolating
        between the sorted values around position ``q * (n - 1)``."""
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _norm_dim(dim, self._data.ndim)
        if isinstance(q, Tensor) and q._data.dtype != self._data.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        qs = q._data if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64)
        if ((qs < 0) | (qs > 1)).any():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        n = x._data.shape[d]
        pos = qs.reshape(-1).astype(np.float64) * (n - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = np.round(pos).astype(np.int64)
        elif interpolation not in ("linear", "midpoint"):
            raise ValueError(f"quantile() interpolation must be one of linear, lower, higher, "
                             f"midpoint or nearest. Got {interpolation}")
        frac = 0.5 if interpolation == "midpoint" else pos - lo
        srt = x.sort(d).values
        below = srt.index_select(d, lo)
        above = srt.index_select(d, hi)
        shape = [1] * below.dim()
        shape[d] = -1
        w = _wrap(np.asarray(frac, dtype=x._data.dtype).reshape(shape) if np.ndim(frac) else
                  np.asarray(frac, dtype=x._data.dtype), False, None)
        out = below + (above - below) * w  # (..., len(q), ...) along d
        # PyTorch's layout: the q dim first (for a 1-D q), the reduced dim kept as 1 or dropped
        if keepdim:
            if dim is None:
                lead = (-1,) if qs.ndim else ()
                return out.reshape(lead + (1,) * self._data.ndim)
            return out.movedim(d, 0).unsqueeze(d + 1) if qs.ndim else out
        return out.movedim(d, 0) if qs.ndim else out.squeeze(d)

    def movedim(self, source, destination):
        nd = self._data.ndim
        src = _norm_dim(source, nd)
        dst = _norm_dim(destination, nd)
        order = [i for i in range(nd) if i != src]
        order.insert(dst, src)
        return self.permute(order) if order != list(range(nd)) else self

    moveaxis = movedim

    def cumsum(self, dim, dtype=None):
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return Cumsum._apply1(self, dim, npd)

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim``; ties keep their order."""
        from .. import return_types

        data = self._data
        d = _norm_dim(dim, data.ndim)
        if data.ndim == 0:
            return return_types.sort(self.clone(), _wrap(np.zeros((), np.int64), False, None))
        idx = _argsort(data, d, descending)
        return return_types.sort(SortValues._apply1(self, d, idx), _wrap(idx, False, None))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        """(values, indices) of the ``k`` largest (``largest=False``: smallest) along ``dim``."""
        from .. import return_types

        data = self._data
        d = _norm_dim(dim, data.ndim)
        size = data.shape[d] if data.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError("selected index k out of range")
        x = self if data.ndim else self.reshape(1)
        idx = np.take(_argsort(x._data, d, largest), np.arange(k), axis=d)
        values = TopkValues._apply1(x, d, idx)
        if not data.ndim:
            return return_types.topk(values.reshape(()), _wrap(idx.reshape(()), False, None))
        return return_types.topk(values, _wrap(idx, False, None))

    def index_select(self, dim, index):
        d = _norm_dim(dim, self._data.ndim)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if idx.ndim > 1:
            raise RuntimeError("index_select(): Index is supposed to be a vector")
        idx = idx.reshape(-1)
        size = self._data.shape[d] if self._data.ndim else 1
        if idx.size and ((idx >= size) | (idx < -size)).any():
            bad = _int(idx[(idx >= size) | (idx < -size)][0])
            raise IndexError(f"index out of range in self: index {bad} for dimension {d} with "
                             f"size {size}")
        x = self if self._data.ndim else self.reshape(1)
        out = IndexSelect._apply1(x, (slice(None),) * d + (idx,))
        return out if self._data.ndim else out.reshape(())

    def nonzero(self, as_tuple=False):
        found = np.nonzero(self._data if self._data.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(_wrap(i.astype(np.int64), False, None) for i in found)
        return _wrap(np.stack(found, axis=1).astype(np.int64), False, None)

    def cumprod(self, dim, dtype=None):
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return Cumprod._apply1(self, dim, npd)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct values, sorted (with where each element went, and how many of each)."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...) is not supported by glassgrad")
        vals, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True)
        out = [_wrap(vals, False, None)]
        if return_inverse:
            out.append(_wrap(inverse.reshape(self._data.shape).astype(np.int64), False, None))
        if return_counts:
            out.append(_wrap(counts.astype(np.int64), False, None))
        return out[0] if len(out) == 1 else tuple(out)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """Differences of neighbours along ``dim``: ``x[i + 1] - x[i]`` (``n`` times)."""
        from ..functional import cat

        x = self
        d = _norm_dim(dim, self._data.ndim)
        if prepend is not None or append is not None:
            parts = [t for t in (prepend, x, append) if t is not None]
            x = cat([t if isinstance(t, Tensor) else _operand(t, self) for t in parts], d)
        for _ in range(n):
            size = x._data.shape[d]
            if size == 0:
                break
            x = x.narrow(d, 1, size - 1) - x.narrow(d, 0, size - 1)
        return x

    def where(self, condition, other):
        """``self`` where ``condition`` else ``other`` (``torch.where(condition, self, other)``)."""
        from ..functional import where

        return where(condition, self, other)

    def type_as(self, other):
        return self.to(other.dtype)


def _argsort(data, axis, descending):
    """Stable argsort along ``axis`` as int64; NaN counts as the largest value (PyTorch)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable").astype(np.int64)
    if data.dtype.kind == "b":
        data = data.astype(np.int8)
    if data.dtype.kind == "f":
        # primary key: NaN first; secondary: larger first (lexsort is stable, last key primary)
        return np.lexsort((-data, ~np.isnan(data)), axis=axis).astype(np.int64)
    return np.argsort(-data.astype(np.int64) if data.dtype.kind == "u" else -data, axis=axis,
                      kind="stable").astype(np.int64)


def _with_indices(op, x, dim, keepdim, name):
    """max(dim) / min(dim): (values, indices); the op picks the values at the indices."""
    from .. import return_types

    axis = _norm_dim(dim, x._data.ndim)
    data = x._data
    if data.ndim == 0:
        values = op.apply(x.reshape(1), 0, False, np.zeros(1, dtype=np.int64))
        return getattr(return_types, name)(values, _wrap(np.zeros((), np.int64), False, None))
    idx = arg_extreme(data, axis, True, "arg" + name)
    values = op.apply(x, axis, keepdim, idx)
    indices = idx if keepdim else np.squeeze(idx, axis)
    return getattr(return_types, name)(values, _wrap(indices, False, None))


def _var_std(op, x, dim, unbiased, keepdim, correction):
    """var/std argument handling: ``var(False)`` (old positional unbiased), ``correction``."""
    if isinstance(dim, _bool):
        unbiased, dim = dim, None
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise RuntimeError("var/std: pass either unbiased or correction, not both")
    return op.apply(x, dim, correction, keepdim)
