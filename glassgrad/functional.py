"""Top-level functions (``glassgrad.exp(x)``, ``glassgrad.sum(x, dim)``, ``glassgrad.cat``...).

Each is a thin call into the same op the Tensor method uses.
"""

from __future__ import annotations

import numpy as np

from ._dtype import from_numpy_dtype
from .ops.elementwise import Maximum, Minimum, Where
from .ops.reduce import norm_dim
from .ops.shape import Cat, Stack
from .tensor import Tensor, _binary, _operand, _result_dtype

__all__ = [
    "abs",
    "acos",
    "add",
    "addmm",
    "all",
    "allclose",
    "amax",
    "amin",
    "aminmax",
    "any",
    "arccos",
    "arcsin",
    "arctan",
    "arctan2",
    "argmax",
    "argmin",
    "argsort",
    "asin",
    "atan",
    "atan2",
    "bincount",
    "bmm",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "bucketize",
    "cat",
    "cdist",
    "ceil",
    "chunk",
    "clamp",
    "clip",
    "concat",
    "concatenate",
    "cos",
    "cosh",
    "count_nonzero",
    "cross",
    "cumprod",
    "cumsum",
    "det",
    "diag",
    "diff",
    "div",
    "dot",
    "einsum",
    "eq",
    "equal",
    "erf",
    "exp",
    "expm1",
    "fix",
    "flatten",
    "flip",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "gather",
    "ge",
    "ger",
    "greater",
    "greater_equal",
    "gt",
    "histc",
    "hstack",
    "index_add",
    "index_select",
    "inverse",
    "is_floating_point",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "kthvalue",
    "le",
    "lerp",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsumexp",
    "lt",
    "masked_fill",
    "masked_select",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mm",
    "moveaxis",
    "movedim",
    "mul",
    "mv",
    "nan_to_num",
    "narrow",
    "ne",
    "neg",
    "nonzero",
    "norm",
    "not_equal",
    "outer",
    "permute",
    "pow",
    "prod",
    "quantile",
    "reciprocal",
    "relu",
    "remainder",
    "repeat_interleave",
    "reshape",
    "roll",
    "round",
    "row_stack",
    "rsqrt",
    "scatter",
    "scatter_add",
    "searchsorted",
    "select",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "softmax",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "std_mean",
    "sub",
    "sum",
    "t",
    "tan",
    "tanh",
    "tile",
    "topk",
    "trace",
    "transpose",
    "tril",
    "triu",
    "trunc",
    "unbind",
    "unique",
    "unsqueeze",
    "var",
    "var_mean",
    "vstack",
    "where",
]


def abs(x):
    return x.abs()


def add(x, other, alpha=1):
    return x.add(other, alpha=alpha)


def sub(x, other, alpha=1):
    return x.sub(other, alpha=alpha)


def mul(x, other):
    return x * other


def div(x, other, rounding_mode=None):
    return x.div(other, rounding_mode=rounding_mode)


def pow(x, exponent):
    if not isinstance(x, Tensor):
        return exponent.__rpow__(x)
    return x**exponent


def neg(x):
    return -x


def log1p(x):
    return x.log1p()


def expm1(x):
    return x.expm1()


def square(x):
    return x.square()


def reciprocal(x):
    return x.reciprocal()


def rsqrt(x):
    return x.rsqrt()


def sign(x):
    return x.sign()


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def sin(x):
    return x.sin()


def cos(x):
    return x.cos()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def erf(x):
    return x.erf()


def softmax(x, dim, dtype=None):
    return x.softmax(dim, dtype=dtype)


def log_softmax(x, dim, dtype=None):
    return x.log_softmax(dim, dtype=dtype)


def relu(x):
    return x.relu()


def clamp(x, min=None, max=None):
    return x.clamp(min, max)


clip = clamp


def maximum(a, b):
    return _binary(Maximum, a, b)


def minimum(a, b):
    return _binary(Minimum, a, b)


def where(condition, a=None, b=None):
    """Elementwise ``a`` where ``condition`` else ``b``, with gradients to both.

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.
    """
    if a is None and b is None:
        return condition.nonzero(as_tuple=True)
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    if ref is None:
        from .creation import tensor

        ref = tensor(a)
    a = _operand(a, ref)
    b = _operand(b, ref)
    if a._data.dtype != b._data.dtype:
        from .tensor import _result_dtype

        rt = from_numpy_dtype(_result_dtype(a._data, b._data))
        a, b = a.to(rt), b.to(rt)
    cond = condition._data if isinstance(condition, Tensor) else condition
    return Where.apply(cond, a, b)


def matmul(a, b):
    return a @ b


mm = matmul


def sum(x, dim=None, keepdim=False, dtype=None):
    return x.sum(dim, keepdim, dtype=dtype)


def mean(x, dim=None, keepdim=False, dtype=None):
    return x.mean(dim, keepdim, dtype=dtype)


def max(x, dim=None, keepdim=False):
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices); ``max(a, b)``:
    elementwise maximum."""
    return x.max(dim, keepdim)


def min(x, dim=None, keepdim=False):
    """``min(x)``: the smallest value; ``min(x, dim)``: (values, indices); ``min(a, b)``:
    elementwise minimum.

    >>> import glassgrad as gg
    >>> gg.min(gg.tensor([[3.0, 1.0], [0.0, 2.0]]), dim=1).indices.tolist()
    [1, 0]
    """
    return x.min(dim, keepdim)


def amax(x, dim=(), keepdim=False):
    """The largest values over ``dim`` (no indices; tied maxima share the gradient evenly).

    >>> import glassgrad as gg
    >>> gg.amax(gg.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=0).tolist()
    [4.0, 5.0]
    """
    return x.amax(dim, keepdim)


def amin(x, dim=(), keepdim=False):
    """The smallest values over ``dim`` (no indices; tied minima share the gradient evenly)."""
    return x.amin(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    """The index of the first largest value (of the flattened tensor when ``dim`` is None).

    >>> import glassgrad as gg
    >>> gg.argmax(gg.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=1).tolist()
    [1, 0]
    """
    return x.argmax(dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """The index of the first smallest value (of the flattened tensor when ``dim`` is None)."""
    return x.argmin(dim, keepdim)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` with Bessel's correction by default (``correction=1``).

    >>> import glassgrad as gg
    >>> f"{gg.var(gg.tensor([1.0, 2.0, 3.0, 4.0])).item():.4f}"
    '1.6667'
    """
    return x.var(dim, unbiased, keepdim, correction=correction)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: ``sqrt(var)``, Bessel's correction by default."""
    return x.std(dim, unbiased, keepdim, correction=correction)


def prod(x, dim=None, keepdim=False, dtype=None):
    """The product over all elements or one ``dim``; its gradient is exact with zeros.

    >>> import glassgrad as gg
    >>> gg.prod(gg.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1).tolist()
    [2.0, 12.0]
    """
    return x.prod(dim, keepdim, dtype=dtype)


def logsumexp(x, dim, keepdim=False):
    """``log(sum(exp(x), dim))`` computed without overflow."""
    return x.logsumexp(dim, keepdim)


def _same_dtype(tensors, name):
    """The tensors promoted to one dtype with PyTorch's rules (int + float32 -> float32)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{name}(): argument 'tensors' must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    if len(tensors) == 0:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    tensors = list(tensors)
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            dt = _result_dtype(np.empty(1, dt), np.empty(1, t._data.dtype))
    return [t if t._data.dtype == dt else t.to(from_numpy_dtype(dt)) for t in tensors]


def cumsum(x, dim, dtype=None):
    """Running sums along ``dim``.

    >>> import glassgrad as gg
    >>> gg.cumsum(gg.tensor([1, 2, 3]), dim=0).tolist()
    [1, 3, 6]
    """
    return x.cumsum(dim, dtype=dtype)


def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; equal values keep their order.

    >>> import glassgrad as gg
    >>> gg.sort(gg.tensor([3.0, 1.0, 2.0])).indices.tolist()
    [1, 2, 0]
    """
    return x.sort(dim, descending, stable)


def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort ``x`` along ``dim``."""
    return x.argsort(dim, descending, stable)


def topk(x, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) along ``dim``.

    >>> import glassgrad as gg
    >>> gg.topk(gg.tensor([1.0, 4.0, 2.0, 3.0]), 2).values.tolist()
    [4.0, 3.0]
    """
    return x.topk(k, dim, largest, sorted)


def index_select(x, dim, index):
    """Whole slices of ``x`` picked along ``dim`` by a 1-D integer ``index`` (repeats allowed).

    >>> import glassgrad as gg
    >>> gg.index_select(gg.tensor([[1, 2], [3, 4]]), 0, gg.tensor([1, 1])).tolist()
    [[3, 4], [3, 4]]
    """
    return x.index_select(dim, index)


def nonzero(x, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one per dim."""
    return x.nonzero(as_tuple=as_tuple)


def cat(tensors, dim=0):
    """Join tensors along an existing ``dim``; all other sizes must match.

    >>> import glassgrad as gg
    >>> gg.cat([gg.zeros(1, 2), gg.ones(2, 2)]).shape
    glassgrad.Size([3, 2])
    """
    tensors = _same_dtype(tensors, "cat")
    ref = tensors[0]._data
    d = norm_dim(dim, ref.ndim)
    for i, t in enumerate(tensors[1:], 1):
        shape = t._data.shape
        if len(shape) != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {len(shape)}"
            )
        for k, (a, b) in enumerate(zip(ref.shape, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                    f"got size {b} for tensor number {i} in the list."
                )
    if ref.ndim == 0:
        raise RuntimeError(
            "zero-dimensional tensor (at position 0) cannot be concatenated"
        )
    return Cat.apply(d, *tensors)


concat = cat
concatenate = cat


def stack(tensors, dim=0):
    """Join equal-shaped tensors along a new ``dim``.

    >>> import glassgrad as gg
    >>> gg.stack([gg.zeros(2), gg.ones(2)], dim=1).shape
    glassgrad.Size([2, 2])
    """
    tensors = _same_dtype(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    return Stack.apply(norm_dim(dim, len(ref) + 1), *tensors)


def split(x, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes.

    >>> import glassgrad as gg
    >>> [p.shape[0] for p in gg.split(gg.zeros(5, 2), 2)]
    [2, 2, 1]
    """
    return x.split(split_size_or_sections, dim)


def chunk(x, chunks, dim=0):
    """``chunks`` pieces of equal size along ``dim`` (the last may be smaller, or fewer pieces).

    >>> import glassgrad as gg
    >>> [p.shape[0] for p in gg.chunk(gg.zeros(5), 3)]
    [2, 2, 1]
    """
    return x.chunk(chunks, dim)


def unbind(x, dim=0):
    """The slices along ``dim`` as a tuple (that dim removed from each)."""
    return x.unbind(dim)


def narrow(x, dim, start, length):
    """The view ``x[..., start:start + length, ...]`` along ``dim``."""
    return x.narrow(dim, start, length)


def select(x, dim, index):
    """The view ``x[..., index, ...]`` along ``dim`` (that dim removed)."""
    return x.select(dim, index)


def flip(x, dims):
    """``x`` reversed along ``dims``.

    >>> import glassgrad as gg
    >>> gg.flip(gg.tensor([[1, 2], [3, 4]]), (1,)).tolist()
    [[2, 1], [4, 3]]
    """
    return x.flip(dims)


def gather(x, dim, index):
    """``out[i][j] = x[index[i][j]][j]`` for ``dim=0`` (likewise for other dims).

    >>> import glassgrad as gg
    >>> x = gg.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> gg.gather(x, 1, gg.tensor([[1], [0]])).tolist()
    [[2.0], [3.0]]
    """
    return x.gather(dim, index)


def masked_fill(x, mask, value):
    """``value`` where the boolean ``mask`` (broadcast to ``x``) is True, else ``x``.

    >>> import glassgrad as gg
    >>> gg.masked_fill(gg.tensor([1.0, 2.0]), gg.tensor([True, False]), 0.0).tolist()
    [0.0, 2.0]
    """
    return x.masked_fill(mask, value)


def reshape(x, shape):
    return x.reshape(shape)


def flatten(x, start_dim=0, end_dim=-1):
    return x.flatten(start_dim, end_dim)


def squeeze(x, dim=None):
    """``x`` without size-1 dims (only ``dim``, if given; a dim of another size stays)."""
    return x.squeeze(dim)


def unsqueeze(x, dim):
    """``x`` with a new size-1 dim at ``dim``."""
    return x.unsqueeze(dim)


def permute(x, dims):
    return x.permute(dims)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def t(x):
    return x.t()


# -- more elementwise ----------------------------------------------------------------------------


def tan(x):
    return x.tan()


def asin(x):
    return x.asin()


def acos(x):
    return x.acos()


def atan(x):
    return x.atan()


arcsin = asin
arccos = acos
arctan = atan


def sinh(x):
    return x.sinh()


def cosh(x):
    return x.cosh()


def log2(x):
    return x.log2()


def log10(x):
    return x.log10()


def floor(x):
    return x.floor()


def ceil(x):
    return x.ceil()


def trunc(x):
    return x.trunc()


fix = trunc


def round(x, decimals=0):
    return x.round(decimals=decimals)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return x.nan_to_num(nan, posinf, neginf)


def frac(x):
    return x.frac()


def atan2(a, b):
    """The angle of the point (b, a), in (-pi, pi]."""
    return a.atan2(b)


arctan2 = atan2


def remainder(a, b):
    """``a - floor(a / b) * b``: the sign of b, like Python's ``%``."""
    if not isinstance(a, Tensor):
        return b.__rmod__(a)
    return a.remainder(b)


def fmod(a, b):
    """``a - trunc(a / b) * b``: the sign of a, like C's fmod."""
    return a.fmod(b)


def floor_divide(a, b):
    return a // b


def lerp(start, end, weight):
    """``start + weight * (end - start)``.

    >>> import glassgrad as gg
    >>> gg.lerp(gg.tensor([0.0, 10.0]), gg.tensor([1.0, 20.0]), 0.5).tolist()
    [0.5, 15.0]
    """
    return start.lerp(end, weight)


# -- comparisons and tests (no gradient) ---------------------------------------------------------


def eq(a, b):
    return a == b


def ne(a, b):
    return a != b


def lt(a, b):
    return a < b


def le(a, b):
    return a <= b


def gt(a, b):
    return a > b


def ge(a, b):
    return a >= b


greater = gt
greater_equal = ge
less = lt
less_equal = le
not_equal = ne


def equal(a, b) -> bool:
    """True if ``a`` and ``b`` have the same shape and values."""
    return a.equal(b)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return a.isclose(b, rtol, atol, equal_nan)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True if ``|a - b| <= atol + rtol * |b|`` everywhere.

    >>> import glassgrad as gg
    >>> gg.allclose(gg.tensor([1.0, 2.0]), gg.tensor([1.0, 2.0 + 1e-7]))
    True
    """
    return a.allclose(b, rtol, atol, equal_nan)


def isnan(x):
    return x.isnan()


def isinf(x):
    return x.isinf()


def isfinite(x):
    return x.isfinite()


def all(x, dim=None, keepdim=False):
    return x.all(dim, keepdim)


def any(x, dim=None, keepdim=False):
    return x.any(dim, keepdim)


def count_nonzero(x, dim=None):
    return x.count_nonzero(dim)


def logical_and(a, b):
    return a.logical_and(b)


def logical_or(a, b):
    return a.logical_or(b)


def logical_xor(a, b):
    return a.logical_xor(b)


def logical_not(x):
    return x.logical_not()


# -- matrix products and matrices ----------------------------------------------------------------


def bmm(a, b):
    """Batched matrix product of two 3-D tensors: ``out[n] = a[n] @ b[n]``."""
    return a.bmm(b)


def mv(a, v):
    return a.mv(v)


def dot(a, b):
    return a.dot(b)


def outer(a, b):
    """``a[:, None] * b[None, :]``.

    >>> import glassgrad as gg
    >>> gg.outer(gg.tensor([1, 2]), gg.tensor([3, 4])).tolist()
    [[3, 4], [6, 8]]
    """
    return a.outer(b)


ger = outer


def einsum(equation, *operands):
    """Sums of products named by index letters, e.g. ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    >>> import glassgrad as gg
    >>> a = gg.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> gg.einsum("ij,ij->i", a, a).tolist()
    [5.0, 25.0]
    """
    from .ops.linalg import Einsum

    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    dt = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(
                f"einsum(): expected all operands to have the same dtype, got "
                f"{operands[0].dtype} and {t.dtype}"
            )
    return Einsum.apply(equation, *operands)


def trace(x):
    return x.trace()


def diag(x, diagonal=0):
    """A vector's diagonal matrix, or a matrix's ``diagonal``-th diagonal as a vector."""
    return x.diag(diagonal)


def tril(x, diagonal=0):
    return x.tril(diagonal)


def triu(x, diagonal=0):
    return x.triu(diagonal)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of ``x`` over ``dim`` (all elements by default).

    >>> import glassgrad as gg
    >>> gg.norm(gg.tensor([3.0, 4.0])).item()
    5.0
    """
    return x.norm(p, dim, keepdim, dtype=dtype)


# -- more shape and indexing ---------------------------------------------------------------------


def median(x, dim=None, keepdim=False):
    """``median(x)``: the middle value (the lower of two); ``median(x, dim)``: (values,
    indices)."""
    return x.median(dim, keepdim)


def kthvalue(x, k, dim=-1, keepdim=False):
    return x.kthvalue(k, dim, keepdim)


def quantile(x, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-quantiles of ``x`` (along ``dim``), linearly interpolated by default.

    >>> import glassgrad as gg
    >>> gg.quantile(gg.tensor([1.0, 2.0, 3.0, 4.0]), 0.5).item()
    2.5
    """
    return x.quantile(q, dim, keepdim, interpolation=interpolation)


def aminmax(x, *, dim=None, keepdim=False):
    return x.aminmax(dim=dim, keepdim=keepdim)


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(variance, mean) over ``dim``."""
    return (x.var(dim, unbiased, keepdim, correction=correction),
            x.mean(dim if not isinstance(dim, bool) else None, keepdim))


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(standard deviation, mean) over ``dim``."""
    return (x.std(dim, unbiased, keepdim, correction=correction),
            x.mean(dim if not isinstance(dim, bool) else None, keepdim))


def movedim(x, source, destination):
    return x.movedim(source, destination)


moveaxis = movedim


def cumprod(x, dim, dtype=None):
    return x.cumprod(dim, dtype=dtype)


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return x.unique(sorted, return_inverse, return_counts, dim)


def diff(x, n=1, dim=-1, prepend=None, append=None):
    return x.diff(n, dim, prepend, append)


def tile(x, dims):
    return x.tile(dims)


def repeat_interleave(x, repeats, dim=None, *, output_size=None):
    """Each element repeated ``repeats`` times (along ``dim``, or of the flattened tensor).

    >>> import glassgrad as gg
    >>> gg.repeat_interleave(gg.tensor([1, 2]), 2).tolist()
    [1, 1, 2, 2]
    """
    return x.repeat_interleave(repeats, dim)


def roll(x, shifts, dims=None):
    """``x`` shifted along ``dims`` with wrap-around (of the flattened tensor if no dims).

    >>> import glassgrad as gg
    >>> gg.roll(gg.tensor([1, 2, 3]), 1).tolist()
    [3, 1, 2]
    """
    return x.roll(shifts, dims)


def masked_select(x, mask):
    return x.masked_select(mask)


def scatter(x, dim, index, src=None, value=None, *, reduce=None):
    return x.scatter(dim, index, src, value, reduce=reduce)


def scatter_add(x, dim, index, src):
    return x.scatter_add(dim, index, src)


def index_add(x, dim, index, source, *, alpha=1):
    return x.index_add(dim, index, source, alpha=alpha)


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = list(tensors)
    return cat(tensors, 0 if tensors and tensors[0].dim() == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0, 1-D tensors first becoming rows."""
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


row_stack = vstack


def broadcast_to(x, size):
    return x.expand(size)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    from .tensor import Size

    return Size(np.broadcast_shapes(*shapes))


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: with ``indexing="ij"`` (the default) output k varies along dim k."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings

        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}"
        )
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for k, t in enumerate(tensors):
        pos = k
        if swap and k < 2:
            pos = 1 - k
        shape = [1] * len(tensors)
        shape[pos] = t.numel()
        out.append(t.reshape(shape).expand(*sizes))
    return tuple(out)


def inverse(x):
    return x.inverse()


def det(x):
    return x.det()


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def cross(input, other, dim=None):
    return input.cross(other, dim)


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M).

    >>> import glassgrad as gg
    >>> gg.cdist(gg.tensor([[0.0, 0.0]]), gg.tensor([[3.0, 4.0]])).tolist()
    [[5.0]]
    """
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return diff.norm(p, dim=-1)


def is_floating_point(x) -> bool:
    return x.is_floating_point()


def bincount(x, weights=None, minlength=0):
    """How often each non-negative integer occurs in the 1-D ``x`` (summed ``weights`` if
    given)."""
    from .tensor import _wrap

    w = None if weights is None else weights._data
    out = np.bincount(x._data, w, minlength)
    if w is None:
        out = out.astype(np.int64)
    elif weights._data.dtype == np.float32:
        out = out.astype(np.float32)
    return _wrap(out, False, None)


def histc(x, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over [min, max] (the data's range if both are 0);
    values outside are ignored."""
    from .tensor import _wrap

    data = x._data
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(data, bins=bins, range=(lo, hi))
    return _wrap(counts.astype(data.dtype), False, None)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value would be inserted into the sorted last dim to keep it sorted."""
    from .tensor import Tensor, _wrap

    seq = sorted_sequence._data
    vals = values._data if isinstance(values, Tensor) else np.asarray(values)
    how = side or ("right" if right else "left")
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in
                        zip(seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1]))])
        out = out.reshape(vals.shape)
    return _wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64), False, None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket index of each value: ``boundaries[i-1] < x <= boundaries[i]`` (``right``:
    ``boundaries[i-1] <= x < boundaries[i]``)."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
