"""Indexing: ``x[key]``, ``x[key] = v``, gather, masked_fill, select/narrow/split/unbind pieces.

Each docstring's first lines are the math. A *basic* key (ints, slices, None, ``...``) picks
each input element at most once, so its gradient is written back (``index_put``); an *advanced*
key (integer arrays, boolean masks) may pick an element several times, so its gradient is
accumulated (``index_add``, NumPy's ``np.add.at``): ``x[[0, 0]]`` sends 2 * g to ``x[0]``.
"""

from __future__ import annotations

import numpy as np

from ..autograd import function as _function
from ..autograd.function import Function

_max = np.maximum.reduce
_min = np.minimum.reduce

_INDEX_TYPE_MSG = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
    "indices (got {})"
)


def normalize_key(key, shape):
    """A user's ``x[key]`` key as a NumPy key; also says whether it is advanced.

    Tensors become arrays, lists become integer or boolean arrays, boolean masks become the
    integer arrays of their nonzero positions (so one gradient rule, ``np.add.at``, serves all).
    Returns ``(key, advanced)``. Raises PyTorch's errors for keys PyTorch rejects.
    """
    if not isinstance(key, tuple):
        key = (key,)
    fast = _basic_fast(key, shape)
    if fast is not None:
        return fast, False
    if len(key) == 1 and type(key[0]) is _function.Tensor and shape:
        # x[idx] with an integer index tensor (a minibatch): checked in two C calls
        a = key[0]._data
        if a.ndim and a.dtype.kind in "iu" and a.size:
            size = shape[0]
            if _max(a, None) < size and _min(a, None) >= -size:
                return (a,), True
    items = [_canonical(k) for k in key]
    # how many input dims the key names (``...`` stands for the rest)
    named = 0
    for k in items:
        if isinstance(k, np.ndarray) and k.dtype == np.bool_:
            named += k.ndim
        elif k is not None and k is not Ellipsis:
            named += 1
    ndim = len(shape)
    if named > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out = []
    advanced = False
    dim = 0  # the input dim the next element indexes
    for k in items:
        if k is None:
            out.append(k)
        elif k is Ellipsis:
            dim += ndim - named
            out.append(k)
        elif isinstance(k, slice):
            dim += 1
            out.append(k)
        elif isinstance(k, int):
            size = shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            dim += 1
            out.append(k)
        elif k.dtype == np.bool_:
            advanced = True
            if k.ndim == 0:  # x[True] adds a dim of size 1 (x[False]: size 0), like NumPy
                out.append(k)
                continue
            # a mask covers k.ndim dims: check it, then use its nonzero positions
            for i, n in enumerate(k.shape):
                if shape[dim + i] != n:
                    raise IndexError(
                        f"The shape of the mask {list(k.shape)} at index {i} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + i}"
                    )
            out.extend(np.nonzero(k))
            dim += k.ndim
        else:
            advanced = True
            size = shape[dim]
            if k.size:
                bad = (k >= size) | (k < -size)
                if bad.any():
                    raise IndexError(
                        f"index {int(k[bad].flat[0])} is out of bounds for dimension {dim} "
                        f"with size {size}"
                    )
            dim += 1
            out.append(k)
    if not advanced and Ellipsis not in out:
        # a trailing ``...``: when ints pick a single element NumPy then returns a 0-d view
        # (like PyTorch) instead of a copied scalar
        out.append(Ellipsis)
    return tuple(out), advanced


def _basic_fast(key, shape):
    """The common keys (Python ints and plain slices only) checked in one pass, or None."""
    if len(key) > len(shape):
        return None
    for dim, k in enumerate(key):
        tk = type(k)
        if tk is int:
            size = shape[dim]
            if not -size <= k < size:
                return None  # the general path raises PyTorch's error
        elif tk is slice:
            step = k.step
            if not (step is None or (type(step) is int and step > 0)):
                return None
            if not (type(k.start) in (int, type(None)) and type(k.stop) in (int, type(None))):
                return None
        else:
            return None
    return key + (Ellipsis,)


def _canonical(k):
    """One key element as int, slice, None, Ellipsis or an int/bool ndarray."""
    Tensor = _function.Tensor

    if k is None or k is Ellipsis:
        return k
    if isinstance(k, slice):
        if k.step is not None and int(k.step) <= 0:
            raise ValueError("step must be greater than zero")
        return slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
    if isinstance(k, (bool, np.bool_)):
        return np.asarray(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, Tensor):
        k = k._data
        if k.ndim == 0 and k.dtype.kind in "iu":
            return int(k)
    elif isinstance(k, (list, tuple)):
        k = np.asarray([v._data if isinstance(v, Tensor) else v for v in k])
        if k.size == 0:
            k = k.astype(np.int64)
    elif not isinstance(k, np.ndarray):
        raise IndexError(_INDEX_TYPE_MSG.format(type(k).__name__))
    if k.dtype.kind not in "iub":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return k


class _BasicIndex(Function):
    """Shared code of the basic-indexing nodes: y = x[key] (a view), grad_x = g put at key."""

    __slots__ = ("key", "shape")
    _raw = True
    _unary = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.index_put(ctx.shape, ctx.key, g), None


class Select(_BasicIndex):
    """y = x[..., i, ...]   (an integer index: that dim disappears)
    grad_x = zeros with g written at [..., i, ...]
    """

    __slots__ = ()
    node_name = "SelectBackward0"


class Slice(_BasicIndex):
    """y = x[..., start:stop:step, ...]   (a view)
    grad_x = zeros with g written at [..., start:stop:step, ...]
    """

    __slots__ = ()
    node_name = "SliceBackward0"


class Alias(_BasicIndex):
    """y = x[...]   (the same elements)
    grad_x = g
    """

    __slots__ = ()
    node_name = "AliasBackward0"


class IndexUnsqueeze(_BasicIndex):
    """y = x[..., None, ...]   (a new dim of size 1)
    grad_x = g with that dim removed
    """

    __slots__ = ()
    node_name = "UnsqueezeBackward0"


class SplitPiece(_BasicIndex):
    """y_k = x[..., start_k:start_k + n_k, ...]   (one piece of split / chunk)
    grad_x = zeros with g written at piece k's place
    """

    __slots__ = ()
    node_name = "SplitBackward0"


class SplitWithSizesPiece(_BasicIndex):
    """y_k = x[..., start_k:start_k + n_k, ...]   (one piece of split with a list of sizes)
    grad_x = zeros with g written at piece k's place
    """

    __slots__ = ()
    node_name = "SplitWithSizesBackward0"


class UnbindPiece(_BasicIndex):
    """y_k = x[..., k, ...]   (one piece of unbind)
    grad_x = zeros with g written at [..., k, ...]
    """

    __slots__ = ()
    node_name = "UnbindBackward0"


def basic_index_op(key):
    """The node class PyTorch would show last for a basic key (it applies them left to right)."""
    if key and key[-1] is Ellipsis:  # a trailing ``...`` selects nothing
        key = key[:-1]
    for k in reversed(key):
        if k is Ellipsis:
            continue
        if k is None:
            return IndexUnsqueeze
        if isinstance(k, slice):
            if k == slice(None) and len(key) > 1:
                continue
            return Slice
        return Select
    return Alias


class Index(Function):
    """y = x[idx]   (integer arrays and/or boolean masks: a copy)
    grad_x = zeros with g added at idx   (repeated indices accumulate: np.add.at)
    """

    __slots__ = ("key", "shape")
    _raw = True
    _unary = True
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.index_add(ctx.shape, ctx.key, g), None


class CopySlices(Function):
    """y = x with y[key] = v   (``x[key] = v`` with a basic key, recorded in place)
    grad_x = g with zeros at key,  grad_v = g[key]
    """

    __slots__ = ("keep", "key")
    _raw = True
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, v, key):
        y = x.copy()
        y[key] = v
        keep = np.ones(x.shape, dtype=bool)
        keep[key] = False
        ctx.key = key
        ctx.keep = keep
        return y

    @staticmethod
    def backward(ctx, g):
        grad_x = grad_v = None
        if ctx.inputs[0] is not None:
            grad_x = g * ctx.ns.mask(ctx.keep, g)
        if ctx.inputs[1] is not None:
            grad_v = g[ctx.key]
        return grad_x, grad_v, None


class IndexPut(CopySlices):
    """y = x with y[idx] = v   (``x[idx] = v`` with integer arrays or a mask)
    grad_x = g with zeros at idx,  grad_v = g[idx]
    """

    __slots__ = ()
    node_name = "IndexPutBackward0"


class Gather(Function):
    """y[i][j] = x[index[i][j]][j]   (dim 0; likewise for other dims)
    grad_x = zeros with g added at the gathered positions   (repeats accumulate)
    """

    __slots__ = ("key", "shape")
    _raw = True
    _unary = True
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        # index may be smaller than x in the other dims (PyTorch allows it): use index's grid
        grids = list(np.ogrid[tuple(slice(n) for n in index.shape)])
        grids[dim] = index
        key = tuple(grids)
        ctx.shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.index_add(ctx.shape, ctx.key, g), None, None


class MaskedFill(Function):
    """y = value where mask else x
    grad_x = g where not mask else 0,  grad_value = sum(g where mask)
    """

    __slots__ = ()
    _raw = True
    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        ns = ctx.ns
        grad_x = grad_value = None
        zero = ns.zeros(g.shape, g)  # not 0 * g: an inf g would give nan where torch gives 0
        if ctx.inputs[0] is not None:
            grad_x = ns.where(mask, zero, g)
        if ctx.inputs[2] is not None:
            grad_value = ns.sum(ns.where(mask, g, zero))
        return grad_x, None, grad_value


class MaskedFillTensor(MaskedFill):
    """y = value where mask else x   (value a 0-dim tensor)
    grad_x = g where not mask else 0,  grad_value = sum(g where mask)
    """

    __slots__ = ()
    node_name = "MaskedFillBackward1"


class IndexSelect(Index):
    """y = x[..., idx, ...]   (``index_select(dim, idx)``: whole slices picked along dim)
    grad_x = zeros with g added at those slices   (repeats accumulate)
    """

    __slots__ = ()
    node_name = "IndexSelectBackward0"


class SortValues(Gather):
    """values = x sorted along dim (indices: where each value came from)
    grad_x = zeros with g put back at the indices
    """

    __slots__ = ()
    node_name = "SortBackward0"


class TopkValues(Gather):
    """values = the k largest (or smallest) of x along dim
    grad_x = zeros with g put back at their indices
    """

    __slots__ = ()
    node_name = "TopkBackward0"


class MaskedSelect(Index):
    """y = the elements of x where mask is True, as a 1-D tensor (row-major order)
    grad_x = zeros with g written back at the mask's positions
    """

    __slots__ = ()
    node_name = "MaskedSelectBackward0"


class Diagonal(Index):
    """y_i = x[i, i + k]   (``diag(matrix, k)``: the k-th diagonal as a vector)
    grad_x = zeros with g written back on that diagonal
    """

    __slots__ = ()
    node_name = "DiagonalBackward0"


class DiagEmbed(Function):
    """Y[i, i + k] = v_i, 0 elsewhere   (``diag(vector, k)``: a square matrix)
    grad_v = g[i, i + k]   (the diagonal of g)
    """

    __slots__ = ("key",)
    _raw = True
    _unary = True
    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, v, n, key):
        out = np.zeros((n, n), dtype=v.dtype)
        out[key] = v
        ctx.key = key
        return out

    @staticmethod
    def backward(ctx, g):
        return g[ctx.key], None, None


class Scatter(CopySlices):
    """y = x with y[index[i][j]][j] = src[i][j]   (dim 0; likewise for other dims)
    grad_x = g with zeros where something was written,  grad_src = g gathered at index

    The same rule as ``x[key] = v``: ``key`` is the full NumPy index built from ``index`` (src
    is cut to index's shape first).
    """

    __slots__ = ()
    node_name = "ScatterBackward0"


class ScatterValue(Scatter):
    """y = x with y[index[i][j]][j] = value   (a Python number)
    grad_x = g with zeros where the value was written
    """

    __slots__ = ()
    node_name = "ScatterBackward1"


class ScatterAdd(Function):
    """y = x with src[i][j] added at y[index[i][j]][j]   (repeats accumulate)
    grad_x = g,  grad_src = g gathered at index
    """

    __slots__ = ("key",)
    _raw = True
    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, src, key):
        y = x.copy()
        np.add.at(y, key, src)
        ctx.key = key
        return y

    @staticmethod
    def backward(ctx, g):
        grad_src = g[ctx.key] if ctx.inputs[1] is not None else None
        return g, grad_src, None


class IndexAdd(ScatterAdd):
    """y = x with source's slices added at y[..., index[i], ...]   (along dim; repeats add up)
    grad_x = g,  grad_source = g[..., index, ...]
    """

    __slots__ = ()
    node_name = "IndexAddBackward0"
