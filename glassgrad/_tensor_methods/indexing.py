"""Tensor methods: _Indexing (mixed into ``glassgrad.tensor.Tensor``; bodies moved verbatim)."""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from ..autograd.grad_mode import _mode
from ..ops.indexing import (
    CopySlices,
    Gather,
    Index,
    IndexAdd,
    IndexPut,
    MaskedFill,
    MaskedFillTensor,
    MaskedSelect,
    Scatter,
    ScatterAdd,
    ScatterValue,
    Select,
    Slice,
    SplitPiece,
    SplitWithSizesPiece,
    UnbindPiece,
    basic_index_op,
    normalize_key,
)
from ..ops.shape import Flip, Repeat, Roll
from .inplace import _VIEW_OF_LEAF_MSG, _views_grad_leaf

_int = builtins.int

# glassgrad.tensor's names, bound by ``_bind`` once the Tensor class exists (tensor.py
# imports this module before it defines Tensor, so importing them here would be a cycle)
Tensor = _NoGrad = _counter = _inplace_on_view = _norm_dim = _shape_arg = _wrap = None
_NAMES = (
    "Tensor", "_NoGrad", "_counter", "_inplace_on_view", "_norm_dim", "_shape_arg", "_wrap",
)


def _bind(ns) -> None:
    """Set the module globals above from glassgrad.tensor's namespace (called once)."""
    g = globals()
    for name in _NAMES:
        g[name] = ns[name]


class _Indexing:
    """Indexing: ``x[key]`` and ``x[key] = v``, ``select``/``narrow``/``split``/``chunk``,
    ``repeat``/``roll``, ``scatter``/``gather``/``index_add``, ``masked_fill`` and ``flip``."""

    __slots__ = ()

    # -- indexing -----------------------------------------------------------------------------

    def __getitem__(self, key):
        """Basic indexing gives a view (its gradient is written back); integer arrays and
        boolean masks give a copy (its gradient is accumulated: repeated indices add up)."""
        if type(key) is _int:  # the common case first: x[i]
            n = self._data.shape[0] if self._data.ndim else 0
            if not -n <= key < n:
                if self._data.ndim == 0:
                    raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in "
                                     "Python or `tensor.item<T>()` in C++ to convert a 0-dim "
                                     "tensor to a number")
                raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
            # (i, ...): NumPy gives a 0-d view, not a copied scalar, when i picks one element
            out = Select._apply1(self, (key, Ellipsis))
        else:
            key, advanced = normalize_key(key, self._data.shape)
            if advanced:
                if any(type(k) is _int for k in key):
                    return _index_ints_first(self, key)
                return Index._apply1(self, key)
            out = basic_index_op(key).apply(self, key)
        out._vc = _counter(self)  # a view: in-place changes show in both and count for both
        return out

    def __setitem__(self, key, value) -> None:
        """``x[key] = value`` in place (PyTorch's ``index_put_`` / ``CopySlices``)."""
        if _mode.enabled and (
            (self.grad_fn is None and self.requires_grad) or _views_grad_leaf(self)
        ):
            raise RuntimeError(_VIEW_OF_LEAF_MSG)
        key, advanced = normalize_key(key, self._data.shape)
        if advanced and any(type(k) is _int for k in key):
            key = _ints_first_key(self._data.shape, key)
        v_rg = isinstance(value, Tensor) and value.requires_grad
        if isinstance(value, Tensor):
            if value._data.dtype != self._data.dtype:
                value = value.to(_dtype.from_numpy_dtype(self._data.dtype))
            v_data = value._data
        else:
            v_data = np.asarray(value)
        target_shape = np.empty(self._data.shape, dtype=np.bool_)[key].shape
        v_shape = v_data.shape
        while len(v_shape) > len(target_shape) and v_shape[0] == 1:
            v_shape = v_shape[1:]  # leading 1s of the value are dropped, as in PyTorch
        if not _broadcastable(v_shape, target_shape) or \
                np.broadcast_shapes(v_shape, target_shape) != target_shape:
            if advanced:
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(v_data.shape)} cannot be "
                    f"broadcast to indexing result of shape {list(target_shape)}"
                )
            _expand_error(v_shape, target_shape)
        if v_shape != v_data.shape:
            v_data = v_data.reshape(v_shape)
            if isinstance(value, Tensor):
                value = value.reshape(v_shape)
        if _mode.enabled and (self.requires_grad or v_rg):
            old = _wrap(self._data, self.requires_grad, self.grad_fn)
            if not isinstance(value, Tensor):
                value = _wrap(v_data.astype(self._data.dtype, copy=False), False, None)
            res = (IndexPut if advanced else CopySlices).apply(old, value, key)
            # the node keeps no reference to this tensor's memory, so writing into it is safe
            np.copyto(self._data, res._data)
            view_fn = self.grad_fn
            self.grad_fn = res.grad_fn
            self.requires_grad = True
            _counter(self)[0] += 1
            if view_fn is not None and view_fn.inputs:
                _inplace_on_view(self, view_fn)  # x[i][j] = v: x records it too
            return
        else:
            self._data[key] = v_data
        _counter(self)[0] += 1

    def select(self, dim, index):
        nd = self._data.ndim
        d = _norm_dim(dim, nd, "select()")
        size = self._data.shape[d]
        if not -size <= index < size:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size "
                f"{list(self._data.shape)} at dimension {dim}"
            )
        out = Select._apply1(self, (slice(None),) * d + (_int(index),))
        out._vc = _counter(self)
        return out

    def narrow(self, dim, start, length):
        d = _norm_dim(dim, self._data.ndim)
        size = self._data.shape[d]
        if start < 0:
            start += size
        if not 0 <= start <= size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})"
            )
        if start + length > size:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({size})."
            )
        out = Slice._apply1(self, (slice(None),) * d + (slice(start, start + length),))
        out._vc = _counter(self)
        return out

    def split(self, split_size, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the sizes in a
        list."""
        d = _norm_dim(dim, self._data.ndim)
        size = self._data.shape[d]
        if isinstance(split_size, (list, tuple)):
            sizes = [_int(n) for n in split_size]
            if builtins.sum(sizes) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                    f"tensor's size at dimension {dim}), but got split_sizes={sizes}"
                )
        else:
            n = _int(split_size)
            if n <= 0 and size:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {size}")
            sizes = [n] * (size // n) + ([size % n] if size % n else []) if n else [0]
        op = SplitWithSizesPiece if isinstance(split_size, (list, tuple)) else SplitPiece
        lead = (slice(None),) * d
        pieces = []
        start = 0
        for n in sizes:
            piece = op.apply(self, lead + (slice(start, start + n),))
            piece._vc = _counter(self)
            pieces.append(piece)
            start += n
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " f"{chunks}")
        size = self._data.shape[_norm_dim(dim, self._data.ndim)]
        return self.split(max(-(-size // chunks), 1) if size else 1, dim)

    def unbind(self, dim=0):
        d = _norm_dim(dim, self._data.ndim)
        lead = (slice(None),) * d
        pieces = []
        for i in range(self._data.shape[d]):
            piece = UnbindPiece._apply1(self, lead + (i,))
            piece._vc = _counter(self)
            pieces.append(piece)
        return tuple(pieces)

    def repeat(self, *sizes):
        reps = _shape_arg(sizes)
        if len(reps) < self._data.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        return Repeat._apply1(self, reps)

    def tile(self, *dims):
        reps = _shape_arg(dims)
        reps = (1,) * (self._data.ndim - len(reps)) + reps  # fewer reps than dims: pad with 1s
        return self.repeat(*reps)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (``dim=None``: of the flattened tensor) repeated ``repeats`` times."""
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _norm_dim(dim, self._data.ndim)
        n = x._data.shape[d]
        reps = repeats._data if isinstance(repeats, Tensor) else repeats
        index = np.repeat(np.arange(n), reps)
        return x.index_select(d, index)

    def roll(self, shifts, dims=None):
        if isinstance(shifts, (list, tuple)):
            shifts = tuple(_int(s) for s in shifts)
        else:
            shifts = _int(shifts)
        if dims is not None:
            dims = tuple(_norm_dim(d, self._data.ndim) for d in
                         (dims if isinstance(dims, (list, tuple)) else (dims,)))
            if not isinstance(shifts, tuple):
                shifts = (shifts,) * 1
            if len(shifts) != len(dims):
                raise RuntimeError(
                    f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
                )
        return Roll._apply1(self, shifts, dims)

    def broadcast_to(self, size):
        return self.expand(size)

    def masked_select(self, mask):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(
                "masked_select: expected BoolTensor for mask"
            )
        shape = np.broadcast_shapes(m.shape, self._data.shape)
        x = self if self._data.shape == shape else self.expand(shape)
        m = np.broadcast_to(m, shape)
        return MaskedSelect._apply1(x, np.nonzero(m))

    def _scatter_key(self, dim, index, name):
        d = _norm_dim(dim, self._data.ndim)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype != np.int64:
            raise RuntimeError(f"{name}(): Expected dtype int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as self tensor"
            )
        size = self._data.shape[d]
        if idx.size and ((idx >= size) | (idx < -size)).any():
            bad = _int(idx[(idx >= size) | (idx < -size)].flat[0])
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
        grids[d] = idx
        return tuple(grids), idx.shape

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """``out[index[i][j]][j] = src[i][j]`` for dim 0 (likewise for other dims)."""
        if reduce is not None:
            raise NotImplementedError("scatter(reduce=...) is not supported; use scatter_add")
        if src is None:
            src = value
        key, ishape = self._scatter_key(dim, index, "scatter")
        if isinstance(src, Tensor):
            cut = tuple(slice(n) for n in ishape)
            src = src if src._data.shape == ishape else src[cut]
            if src._data.dtype != self._data.dtype:
                src = src.to(self.dtype)
            return Scatter.apply(self, src, key)
        return ScatterValue.apply(self, src, key)

    def scatter_add(self, dim, index, src):
        """``out[index[i][j]][j] += src[i][j]`` for dim 0: repeated indices add up."""
        key, ishape = self._scatter_key(dim, index, "scatter_add")
        cut = tuple(slice(n) for n in ishape)
        src = src if src._data.shape == ishape else src[cut]
        return ScatterAdd.apply(self, src, key)

    def index_add(self, dim, index, source, *, alpha=1):
        """``out[..., index[i], ...] += alpha * source[..., i, ...]`` along ``dim``."""
        d = _norm_dim(dim, self._data.ndim)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if alpha != 1:
            source = source * alpha
        return IndexAdd.apply(self, source, (slice(None),) * d + (idx,))

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._inplace_from(lambda t: t.scatter(dim, index, src, value, reduce=reduce),
                                  src)

    def scatter_add_(self, dim, index, src):
        return self._inplace_from(lambda t: t.scatter_add(dim, index, src), src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace_from(lambda t: t.index_add(dim, index, source, alpha=alpha), source)

    def flip(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        return Flip._apply1(self, tuple(_norm_dim(d, nd) for d in dims))

    def gather(self, dim, index):
        nd = self._data.ndim
        d = _norm_dim(dim, nd)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype != np.int64:
            raise RuntimeError("gather(): Expected dtype int64 for index")
        if idx.ndim != max(nd, 1) and not (nd == 0 and idx.ndim <= 1):
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as input tensor"
            )
        x = self if nd else self.reshape(1)
        for i, n in enumerate(idx.shape):
            if i != d and n > x._data.shape[i]:
                raise RuntimeError(
                    f"Size does not match at dimension {i} expected index {list(idx.shape)} to "
                    f"be smaller than self {list(self._data.shape)} apart from dimension {d}"
                )
        size = x._data.shape[d]
        if idx.size and ((idx >= size) | (idx < -size)).any():
            bad = _int(idx[(idx >= size) | (idx < -size)].flat[0])
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        out = Gather._apply1(x, d, idx)
        return out if nd else out.reshape(idx.shape)

    def masked_fill(self, mask, value):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(
                f"masked_fill_ only supports boolean masks, but got mask with dtype "
                f"{_dtype.from_numpy_dtype(m.dtype).name}"
            )
        try:
            np.broadcast_shapes(m.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({list(self._data.shape)}) must match the size of tensor "
                f"b ({list(m.shape)})"
            ) from None
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(
                    "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                    f"with {value._data.ndim} dimension(s)."
                )
            return MaskedFillTensor.apply(self, m, value)
        return MaskedFill.apply(self, m, value)

    def masked_fill_(self, mask, value):
        self._check_inplace()
        v_rg = isinstance(value, Tensor) and value.requires_grad
        if _mode.enabled and (self.requires_grad or v_rg):
            # record on a stand-in that carries the old history, then take over the new node
            old = _wrap(self._data, self.requires_grad, self.grad_fn)
            return self._take(old.masked_fill(mask, value))
        with _NoGrad():
            res = self.masked_fill(mask, value)
        np.copyto(self._data, res._data)
        _counter(self)[0] += 1
        return self

    def _take(self, res):
        """Become ``res`` in place (an in-place op recorded as its out-of-place version)."""
        np.copyto(self._data, res._data)
        view_fn = self.grad_fn
        self.grad_fn = res.grad_fn
        self.requires_grad = True
        _counter(self)[0] += 1
        if view_fn is not None and view_fn.inputs:
            _inplace_on_view(self, view_fn)  # a view: its base records the change too
        return self


def _index_ints_first(x, key):
    """``x[key]`` with integers and integer arrays: PyTorch selects the integers first (a view),
    then indexes the rest, so an integer never joins the arrays' broadcast as NumPy's does.
    The two steps are two nodes, as in PyTorch (SelectBackward0, then IndexBackward0)."""
    basic = tuple(slice(None) if isinstance(k, np.ndarray) else k for k in key)
    rest = []
    for k in key:
        if type(k) is _int:
            continue  # that dim is gone after the select
        rest.append(k if isinstance(k, np.ndarray) or k is Ellipsis else slice(None))
    if Ellipsis not in basic:
        basic = basic + (Ellipsis,)
    view = basic_index_op(basic).apply(x, basic)
    view._vc = _counter(x)
    return Index._apply1(view, tuple(rest))


def _ints_first_key(shape, key):
    """An all-array key that addresses what ``x[key]`` addresses in PyTorch's layout (integers
    selected first), for ``x[key] = v`` (see ``_index_ints_first``)."""
    basic = tuple(slice(None) if isinstance(k, np.ndarray) else k for k in key)
    rest = tuple(k if isinstance(k, np.ndarray) or k is Ellipsis else slice(None)
                 for k in key if type(k) is not _int)
    positions = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    return np.unravel_index(positions[basic][rest], shape)


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _expand_error(shape, target):
    """PyTorch's error for broadcasting ``shape`` to ``target`` (expand, copy_, x[i] = v)."""
    lead = len(target) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    for i, n in enumerate(shape):
        if n != 1 and n != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({n}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}"
            )
