"""Reductions: sum, mean, max, min, var, std, prod, logsumexp over all elements or over ``dim``.

Each docstring's first lines are the math. ``g`` is dL/dy; ``g_b`` is ``g`` with the reduced
dims put back as size 1 so that it broadcasts against ``x`` (what ``keepdim=True`` would give).
``N`` is the number of elements reduced into each output element.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, state, sum_all

_add_reduce = np.add.reduce
_asarray = np.asarray
_ndarray = np.ndarray


def norm_dim(dim, ndim: int) -> int:
    """One dim in [-ndim, ndim) made non-negative, with PyTorch's error otherwise."""
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, like PyTorch
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def _axes(dim, ndim):
    """PyTorch's ``dim`` (None, int, or tuple/list) as NumPy's ``axis``, checked."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(norm_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            dup = next(a for a in axes if axes.count(a) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        if ndim == 0:
            return None
        return axes
    d = norm_dim(dim, ndim)
    return None if ndim == 0 else d


def _kept_shape(shape, axis):
    """``shape`` with the reduced axes set to 1 (the keepdim shape)."""
    if axis is None:
        return (1,) * len(shape)
    kept = list(shape)
    for a in axis if isinstance(axis, tuple) else (axis,):
        kept[a] = 1
    return tuple(kept)


def _keep(g, shape, axis, ns):
    """``g`` reshaped to the keepdim shape, so that it broadcasts against the input."""
    if axis is None:
        return g  # a full reduction: g is 0-d (or all 1s with keepdim), it broadcasts as is
    kept = _kept_shape(shape, axis)
    if g.shape != kept:
        g = ns.reshape(g, kept)
    return g


def _count(shape, axis) -> int:
    """How many input elements each output element reduces (N)."""
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    n = 1
    for a in axis if isinstance(axis, tuple) else (axis,):
        n *= shape[a]
    return n


class Sum(Function):
    """y = sum_i x_i   (over all elements)
    grad_x = g broadcast back to x's shape
    """

    __slots__ = ("axis", "shape")
    _raw = True
    _unary = True
    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        axis = None if dim is None else _axes(dim, x.ndim)
        ctx.shape = x.shape
        ctx.axis = axis
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64  # PyTorch sums integers and bools as int64
        # np.add.reduce: np.sum's C core without its Python-level wrapper (a full reduction
        # gives a NumPy scalar: made an array here, one C call)
        if axis is None and dtype is None and not keepdim:
            return _asarray(sum_all(x))
        return _asarray(_add_reduce(x, axis, dtype, None, keepdim))

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        if ctx.axis is not None:  # a full reduction's g broadcasts as it is
            g = _keep(g, ctx.shape, ctx.axis, ns)
        return ns.expand(g, ctx.shape)


class SumDim(Sum):
    """y = sum_i x_i   (over dim, keepdim)
    grad_x = g_b broadcast back to x's shape
    """

    __slots__ = ()
    node_name = "SumBackward1"


class SumToSize(Function):
    """y = x summed (keepdim) over the dims where size is 1: the inverse of broadcasting
    grad_x = g broadcast back to x's shape
    """

    __slots__ = ("shape",)
    _raw = True
    _unary = True
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, size):
        # size has x's ndim here; Tensor.sum_to_size views away the leading 1s afterwards
        ctx.shape = x.shape
        axes = tuple(i for i, n in enumerate(size) if n == 1 and x.shape[i] != 1)
        return np.sum(x, axis=axes, keepdims=True) if axes else x

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.expand(g, ctx.shape), None


class Mean(Function):
    """y = sum_i x_i / N   (over all elements)
    grad_x = g / N broadcast back to x's shape
    """

    __slots__ = ("axis", "n", "shape")
    _raw = True
    _unary = True
    node_name = "MeanBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if x.dtype.kind not in "fc" and dtype is None:
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {x.dtype.name.capitalize()}"
            )
        axis = None if dim is None else _axes(dim, x.ndim)
        ctx.shape = x.shape
        ctx.axis = axis
        if dtype is None and x.dtype.char != "e":  # "e": float16
            # np.mean's own arithmetic (a sum in the input dtype, then one division) without
            # its Python-level wrapper; float16 keeps np.mean, which sums in float32
            if axis is None and not keepdim:
                y = sum_all(x)
                n = x.size
            else:
                y = np.add.reduce(x, axis, None, None, keepdim)
                n = (x.size // y.size) if y.size else 0
            y = y / n if n else y * np.nan  # the operator: np.true_divide is slow on scalars
        else:
            y = np.mean(x, axis=axis, keepdims=keepdim, dtype=dtype)
            n = (x.size // y.size) if y.size else 0
        ctx.n = n
        return _asarray(y)  # a full reduction's NumPy scalar as an array

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        if g.__class__ is _ndarray:
            # g[()]: a full reduction's 0-d g as a NumPy scalar, which divides in a tenth of
            # the time a 0-d array takes (the same IEEE division); other shapes are unchanged
            g = g[()] / ctx.n
        else:
            g = g / ctx.n
        if ctx.axis is not None:
            g = _keep(g, ctx.shape, ctx.axis, ns)
        return ns.expand(g, ctx.shape)


class MeanDim(Mean):
    """y = sum_i x_i / N   (over dim, keepdim)
    grad_x = g_b / N broadcast back to x's shape
    """

    __slots__ = ()
    node_name = "MeanBackward1"


def _evenly(ctx, g):
    """Gradient of max/min/amax/amin over all or several dims: ties share it evenly."""
    x, y = ctx.saved_tensors
    ns = ctx.ns
    shape = ctx.shape
    is_extreme = ns.mask(x == _keep(y, shape, ctx.axis, ns), g)
    count = ns.sum(is_extreme, ctx.axis, True)
    return is_extreme * (_keep(g, shape, ctx.axis, ns) / count)


def _empty_check(x, axis, name):
    if x.size == 0:
        if axis is None:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        for a in axis if isinstance(axis, tuple) else (axis,):
            if x.shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


class Max(Function):
    """y = max_i x_i   (over all elements)
    grad_x = g * (x == y) / count(x == y)   (ties share the gradient evenly, as in PyTorch)
    """

    __slots__ = ("axis", "shape")
    _raw = True
    _unary = True
    node_name = "MaxBackward1"

    @staticmethod
    def forward(ctx, x):
        _empty_check(x, None, "max")
        y = np.asarray(np.max(x))
        ctx.shape = x.shape
        ctx.axis = None
        ctx.save_for_backward(x, y)
        return y

    backward = staticmethod(_evenly)


class Min(Function):
    """y = min_i x_i   (over all elements)
    grad_x = g * (x == y) / count(x == y)   (ties share the gradient evenly, as in PyTorch)
    """

    __slots__ = ("axis", "shape")
    _raw = True
    _unary = True
    node_name = "MinBackward1"

    @staticmethod
    def forward(ctx, x):
        _empty_check(x, None, "min")
        y = np.asarray(np.min(x))
        ctx.shape = x.shape
        ctx.axis = None
        ctx.save_for_backward(x, y)
        return y

    backward = staticmethod(_evenly)


class Amax(Function):
    """y = max_i x_i   (over dim, keepdim; no indices)
    grad_x = g_b * (x == y_b) / count(x == y_b)   (ties share the gradient evenly)
    """

    __slots__ = ("axis", "shape")
    _raw = True
    _unary = True
    node_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim=(), keepdim=False):
        axis = _axes(dim, x.ndim)
        _empty_check(x, axis, "amax")
        y = np.asarray(np.max(x, axis=axis, keepdims=keepdim))
        ctx.shape = x.shape
        ctx.axis = axis
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        return _evenly(ctx, g), None, None


class Amin(Function):
    """y = min_i x_i   (over dim, keepdim; no indices)
    grad_x = g_b * (x == y_b) / count(x == y_b)   (ties share the gradient evenly)
    """

    __slots__ = ("axis", "shape")
    _raw = True
    _unary = True
    node_name = "AminBackward0"

    @staticmethod
    def forward(ctx, x, dim=(), keepdim=False):
        axis = _axes(dim, x.ndim)
        _empty_check(x, axis, "amin")
        y = np.asarray(np.min(x, axis=axis, keepdims=keepdim))
        ctx.shape = x.shape
        ctx.axis = axis
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        return _evenly(ctx, g), None, None


def arg_extreme(x, dim, keepdim, name):
    """argmax/argmin as an int64 array: the first index of the extreme value (NaN counts as the
    extreme, as in PyTorch). ``dim=None`` indexes the flattened tensor."""
    fn = np.argmax if name.endswith("max") else np.argmin
    if dim is None:
        _empty_check(x, None, name)
        idx = np.asarray(fn(x), dtype=np.int64)
        return idx.reshape((1,) * x.ndim) if keepdim else idx
    axis = _axes(dim, x.ndim)
    if axis is None:  # a 0-d tensor
        return np.zeros((), dtype=np.int64)
    _empty_check(x, axis, name)
    return np.asarray(fn(x, axis=axis, keepdims=keepdim), dtype=np.int64)


def _full_index(idx, axis):
    """The NumPy index that picks ``idx`` (keepdim indices along ``axis``) from each slice."""
    grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
    grids[axis] = idx
    return tuple(grids)


class _SelectAlongDim(Function):
    """Shared code for max(dim)/min(dim): pick the values at precomputed indices."""

    __slots__ = ("axis", "index", "keepdim", "shape")
    _raw = True
    _unary = True

    @staticmethod
    def forward(ctx, x, axis, keepdim, idx):
        # idx: the keepdim (..., 1, ...) int64 indices along axis
        index = _full_index(idx, axis)
        y = x[index]
        ctx.shape = x.shape
        ctx.index = index
        ctx.axis = axis
        return y if keepdim else np.squeeze(y, axis)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        g = _keep(g, ctx.shape, ctx.axis, ns)
        return ns.index_put(ctx.shape, ctx.index, g), None, None, None


class MaxDim(_SelectAlongDim):
    """values = max over dim of x, indices = the first argmax
    grad_x = g put at the argmax positions, 0 elsewhere
    """

    __slots__ = ()
    node_name = "MaxBackward0"


class MinDim(_SelectAlongDim):
    """values = min over dim of x, indices = the first argmin
    grad_x = g put at the argmin positions, 0 elsewhere
    """

    __slots__ = ()
    node_name = "MinBackward0"


def _correction(x_shape, axis, correction):
    return _count(x_shape, axis) - correction


def _dof_warning(name):
    import warnings

    warnings.warn(
        f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
        "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=6,
    )


class Var(Function):
    """y = sum_i (x_i - mean)**2 / (N - correction)
    grad_x = g_b * 2 * (x - mean) / (N - correction)
    """

    __slots__ = ("axis", "denom")
    _raw = True
    _unary = True
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        if x.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        axis = _axes(dim, x.ndim)
        denom = _correction(x.shape, axis, correction)
        if denom <= 0:
            _dof_warning("var")
        mean = np.mean(x, axis=axis, keepdims=True)
        diff = x - mean
        # N - correction <= 0 gives inf/nan, as in PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.sum(diff * diff, axis=axis, keepdims=keepdim) / x.dtype.type(max(denom, 0))
        ctx.axis = axis
        ctx.denom = denom
        ctx.save_for_backward(x)
        return np.asarray(y, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ns = ctx.ns
        n = _count(x.shape, ctx.axis)
        mean = ns.sum(x, ctx.axis, True) / n
        if ctx.denom <= 0:  # N - correction <= 0: inf/nan, as in PyTorch, without a warning
            with np.errstate(divide="ignore", invalid="ignore"):
                grad = _keep(g, x.shape, ctx.axis, ns) * (2 * (x - mean) / ctx.denom)
            return grad, None, None, None
        return _keep(g, x.shape, ctx.axis, ns) * (2 * (x - mean) / ctx.denom), None, None, None


class Std(Function):
    """y = sqrt(sum_i (x_i - mean)**2 / (N - correction))
    grad_x = g_b * (x - mean) / ((N - correction) * y_b)   (0 where y == 0, as in PyTorch)
    """

    __slots__ = ("axis", "denom")
    _raw = True
    _unary = True
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        if x.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        axis = _axes(dim, x.ndim)
        denom = _correction(x.shape, axis, correction)
        if denom <= 0:
            _dof_warning("std")
        mean = np.mean(x, axis=axis, keepdims=True)
        diff = x - mean
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.sum(diff * diff, axis=axis, keepdims=keepdim) / x.dtype.type(max(denom, 0))
        y = np.asarray(np.sqrt(var), dtype=x.dtype)
        ctx.axis = axis
        ctx.denom = denom
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ns = ctx.ns
        n = _count(x.shape, ctx.axis)
        mean = ns.sum(x, ctx.axis, True) / n
        y_b = _keep(y, x.shape, ctx.axis, ns)
        zero = y_b == 0
        # where y == 0 every x - mean is 0 too: define the gradient as 0, not 0/0
        safe_y = y_b + ns.mask(zero, y_b)
        with np.errstate(divide="ignore", invalid="ignore"):  # N - correction <= 0: inf/nan
            grad = _keep(g, x.shape, ctx.axis, ns) * (x - mean) / (ctx.denom * safe_y)
        return grad * (1 - ns.mask(zero, y_b)), None, None, None


class Prod(Function):
    """y = prod_i x_i   (over all elements)
    grad_x_i = g * prod_{j != i} x_j   (exact with zeros: no division by x_i)
    """

    __slots__ = ("axis",)
    _raw = True
    _unary = True
    node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        axis = _axes(dim, x.ndim)
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64  # PyTorch multiplies integers and bools as int64
        ctx.axis = axis
        ctx.save_for_backward(x)
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ns = ctx.ns
        axis = ctx.axis
        if state.higher:
            # differentiable and exact with zeros (the masks below would be constants)
            return _keep(g, x.shape, axis, ns) * _leave_one_out_prod(x, axis, ns), None, None, \
                None
        is_zero = ns.mask(x == 0, x)
        # the product of the nonzero entries, and how many zeros each slice has
        nonzero_prod = ns.prod(x + is_zero, axis, True)
        zeros = ns.sum(is_zero, axis, True)
        # x_i != 0: others = prod / x_i if the slice has no zero, else 0
        # x_i == 0: others = prod of nonzeros if x_i is the only zero, else 0
        no_zero = ns.mask(zeros == 0, nonzero_prod)
        one_zero = ns.mask(zeros == 1, nonzero_prod)
        others = (1 - is_zero) * no_zero * nonzero_prod / (x + is_zero) \
            + is_zero * one_zero * nonzero_prod
        return _keep(g, x.shape, axis, ns) * others, None, None, None


def _leave_one_out_prod(x, axis, ns):
    """others_i = prod_{j != i} x_j along ``axis`` (all elements if None), for create_graph.

    Row i of an (n, n) matrix holds the slice with x_i replaced by 1; its product is others_i.
    O(n^2), but built from differentiable ops only, so every order stays exact at zeros.
    """
    shape = x.shape
    if axis is None:
        xm = ns.reshape(x, (-1,))
    elif isinstance(axis, tuple):
        keep = [d for d in range(len(shape)) if d not in axis]
        xm = ns.permute(x, tuple(keep) + axis)
        moved = xm.shape
        xm = ns.reshape(xm, tuple(moved[:len(keep)]) + (-1,))
    else:
        xm = ns.swapaxes(x, axis, -1)
    n = xm.shape[-1]
    rows = ns.expand(ns.unsqueeze(xm, -2), tuple(xm.shape[:-1]) + (n, n))
    loo = ns.where(np.eye(n, dtype=bool), 1.0, rows)
    others = ns.prod(loo, -1, False)
    if axis is None:
        return ns.reshape(others, shape)
    if isinstance(axis, tuple):
        others = ns.reshape(others, moved)
        return ns.permute(others, tuple(np.argsort(tuple(keep) + axis)))
    return ns.swapaxes(others, axis, -1)


class ProdDim(Prod):
    """y = prod_i x_i   (over dim, keepdim)
    grad_x_i = g_b * prod_{j != i} x_j
    """

    __slots__ = ()
    node_name = "ProdBackward1"


class LogSumExp(Function):
    """y = log(sum_i exp(x_i))   (computed as m + log(sum_i exp(x_i - m)), m = max_i x_i)
    grad_x = g_b * exp(x - y_b)   (the softmax of x)
    """

    __slots__ = ("axis",)
    _raw = True
    _unary = True
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        axis = _axes(dim, x.ndim)
        m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros((), x.dtype)
        # subtract the max before exp: no overflow; an all -inf slice keeps m = 0 (y = -inf)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):
            y = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        if not keepdim:
            y = np.reshape(y, np.sum(x, axis=axis).shape) if axis is not None else y.reshape(())
        ctx.axis = axis
        ctx.save_for_backward(x, y)
        return np.asarray(y, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ns = ctx.ns
        y_b = _keep(y, x.shape, ctx.axis, ns)
        return _keep(g, x.shape, ctx.axis, ns) * ns.exp(x - y_b), None, None


class Cumsum(Function):
    """y_i = sum_{j <= i} x_j   (along dim)
    grad_x_i = sum_{j >= i} g_j   (a cumulative sum from the other end)
    """

    __slots__ = ("axis",)
    _raw = True
    _unary = True
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        axis = norm_dim(dim, x.ndim)
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64  # PyTorch accumulates integers and bools as int64
        ctx.axis = axis
        if x.ndim == 0:
            return x.astype(dtype or x.dtype)
        return np.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        if g.ndim == 0:
            return g, None, None
        dims = (ctx.axis,)
        return ns.flip(ns.cumsum(ns.flip(g, dims), ctx.axis), dims), None, None


class Cumprod(Function):
    """y_i = prod_{j <= i} x_j   (along dim)
    grad_x_i = sum_{j >= i} g_j * prod_{k <= j, k != i} x_k   (= reverse-cumsum(g * y)_i / x_i
    where no x is 0; the exact sum is used where one is)
    """

    __slots__ = ("axis",)
    _raw = True
    _unary = True
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        axis = norm_dim(dim, x.ndim)
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64
        ctx.axis = axis
        if x.ndim == 0:
            y = x.astype(dtype or x.dtype)
        else:
            y = np.cumprod(x, axis=axis, dtype=dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return g, None, None
        ns = ctx.ns
        axis = ctx.axis
        if isinstance(x, np.ndarray) and (x == 0).any():
            # exact where a zero makes y / x undefined: O(n^2) along the axis, arrays only
            return _cumprod_grad_exact(x, g, axis), None, None
        dims = (axis,)
        rev_cumsum = ns.flip(ns.cumsum(ns.flip(g * y, dims), axis), dims)
        return rev_cumsum / x, None, None


def _cumprod_grad_exact(x, g, axis):
    # x, g: ndarrays; move the axis last and loop over its positions
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(g, axis, -1)
    n = xm.shape[-1]
    grad = np.zeros_like(xm)
    for i in range(n):
        others = xm.copy()
        others[..., i] = 1
        partial = np.cumprod(others, axis=-1)  # prod_{k <= j, k != i} x_k for every j
        grad[..., i] = np.sum(gm[..., i:] * partial[..., i:], axis=-1)
    return np.moveaxis(grad, -1, axis)


class Median(Function):
    """y = the middle value of x's sorted elements (the lower one of two for an even count)
    grad_x = g * (x == y) / count(x == y)   (tied medians share the gradient evenly)
    """

    __slots__ = ("axis", "shape")
    _raw = True
    _unary = True
    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x):
        _empty_check(x, None, "median")
        flat = np.sort(x, axis=None)
        y = np.asarray(flat[(flat.size - 1) // 2])
        if np.isnan(flat[-1:]).any() if x.dtype.kind == "f" else False:
            y = np.asarray(np.nan, dtype=x.dtype)  # NaN propagates (it sorts last)
        ctx.shape = x.shape
        ctx.axis = None
        ctx.save_for_backward(x, y)
        return y

    backward = staticmethod(_evenly)


class MedianDim(_SelectAlongDim):
    """values = the median along dim, indices = where it sits in x
    grad_x = g put at those indices, 0 elsewhere
    """

    __slots__ = ()
    node_name = "MedianBackward1"


class KthValue(_SelectAlongDim):
    """values = the k-th smallest along dim, indices = where it sits in x
    grad_x = g put at those indices, 0 elsewhere
    """

    __slots__ = ()
    node_name = "KthvalueBackward0"
