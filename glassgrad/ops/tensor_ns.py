"""The Tensor counterpart of ``_ArrayNS``: what ``ctx.ns`` is during a ``create_graph=True`` pass.

A backward formula such as ``g * ns.cos(x)`` runs on NumPy arrays in an ordinary backward. When
``create_graph=True`` asks for a differentiable backward, ``saved_tensors`` hands out Tensors and
``ctx.ns`` is this module, so the same formula records graph nodes through glassgrad's ops and
its result can be differentiated again (DeZero's trick; PyTorch writes its double-backward
formulas the same way, in terms of differentiable ops).

Every function of ``_ArrayNS`` (``glassgrad/autograd/function.py``) has a counterpart here with the
same signature. Values that are constants of the higher-order graph (masks, signs, zeros) come
back as Tensors that do not require grad. A name not defined here falls back to glassgrad's
top-level function of that name (``ns.log1p`` -> ``glassgrad.log1p``), so an op engineer who adds
``_ArrayNS.log1p`` gets a working higher-order version for free when the public op exists.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, _wrap


def _t(x, like=None) -> Tensor:
    """``x`` as a Tensor: Tensors pass through, arrays and numbers become constants."""
    if isinstance(x, Tensor):
        return x
    if like is not None and not isinstance(x, np.ndarray):
        return _wrap(np.asarray(x, dtype=_dt(like)), False, None)
    return _wrap(np.asarray(x), False, None)


def _dt(x):
    return x._data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def _raw(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


# -- elementwise ------------------------------------------------------------------------------


def exp(x):
    return _t(x).exp()


def log(x):
    return _t(x).log()


def sqrt(x):
    return _t(x).sqrt()


def sin(x):
    return _t(x).sin()


def cos(x):
    return _t(x).cos()


def tanh(x):
    return _t(x).tanh()


def abs(x):
    return _t(x).abs()


def sigmoid(x):
    return _t(x).sigmoid()


def erf(x):
    return _t(x).erf()


def sign(x):
    """sign(x): its derivative is 0 wherever it exists, so a constant is the exact answer."""
    return _wrap(np.sign(_raw(x)), False, None)


def where(cond, a, b):
    """cond ? a : b, differentiable in ``a`` and ``b`` (``cond`` is a constant)."""
    from .elementwise import Where

    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a = _t(a, b)
    elif not isinstance(b, Tensor) and isinstance(a, Tensor):
        b = _t(b, a)
    a = _t(a)
    b = _t(b)
    if a._data.dtype != b._data.dtype:
        dt = np.promote_types(a._data.dtype, b._data.dtype)
        a = a.to(dt) if a._data.dtype != dt else a
        b = b.to(dt) if b._data.dtype != dt else b
    return Where.apply(_raw(cond), a, b)


def mask(cond, like):
    """A 0/1 tensor of ``like``'s dtype: a constant of the higher-order graph."""
    return _wrap(_raw(cond).astype(_dt(like)), False, None)


def astype(x, like):
    x = _t(x)
    dt = _dt(like)
    return x if x._data.dtype == dt else x.to(dt)


def zeros(shape, like):
    return _wrap(np.zeros(shape, dtype=_dt(like)), False, None)


def matmul(a, b):
    return _t(a) @ _t(b)


# -- shape ------------------------------------------------------------------------------------


def reshape(x, shape):
    return _t(x).reshape(tuple(shape))


def expand(x, shape):
    x = _t(x)
    if tuple(x._data.shape) == tuple(shape):
        return x
    return x.expand(tuple(shape))


def sum(x, dim=None, keepdim=False):
    return _t(x).sum(dim, keepdim)


def prod(x, dim=None, keepdim=False):
    x = _t(x)
    if dim is None:
        out = x.prod()
        return out.reshape((1,) * x.ndim) if keepdim else out
    return x.prod(dim, keepdim)


def cumsum(x, dim):
    return _t(x).cumsum(dim)


def flip(x, dims):
    return _t(x).flip(tuple(dims) if isinstance(dims, (tuple, list)) else (dims,))


def permute(x, dims):
    return _t(x).permute(tuple(int(d) for d in dims))


def swapaxes(x, a, b):
    return _t(x).transpose(a, b)


def unsqueeze(x, dim):
    return _t(x).unsqueeze(dim)


def cat(parts, dim):
    parts = [_t(p) for p in parts]
    return Cat.apply(dim, *parts)


def index_add(shape, index, g):
    """zeros(shape) with g added at index (repeated indices accumulate)."""
    return IndexAdd.apply(_t(g), tuple(shape), index)


def index_put(shape, index, g):
    """zeros(shape) with g written at index (indices known to be unique: same as adding)."""
    return IndexAdd.apply(_t(g), tuple(shape), index)


def gather(x, index):
    """x[index] (a NumPy index), differentiable: the inverse of ``index_add``."""
    return Index.apply(_t(x), index)


# -- the few ops the higher-order graph needs that have no public method ----------------------


class IndexAdd(Function):
    """y = zeros(shape) with g added at index
    grad_g = gy[index]
    """

    __slots__ = ("index",)
    _raw = True
    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx, gy):
        return ctx.ns.gather(gy, ctx.index), None, None


class Index(Function):
    """y = x[index]
    grad_x = zeros(x.shape) with g added at index
    """

    __slots__ = ("index", "shape")
    _raw = True
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.shape = x.shape
        return np.asarray(x[index])

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.index_add(ctx.shape, ctx.index, g), None


class Cat(Function):
    """y = concatenate(parts, dim)
    grad_part_i = g sliced back to part i's extent along dim
    """

    __slots__ = ("dim", "sizes")
    _raw = True
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *parts):
        ctx.dim = dim
        ctx.sizes = [p.shape[dim] for p in parts]
        return np.concatenate(parts, axis=dim)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        dim = ctx.dim % g.ndim
        out = [None]
        start = 0
        for n in ctx.sizes:
            index = (slice(None),) * dim + (slice(start, start + n),)
            out.append(ns.gather(g, index))
            start += n
        return tuple(out)


def __getattr__(name):
    """Fallback: ``ns.foo`` -> ``glassgrad.foo`` for functions added to ``_ArrayNS`` later."""
    import glassgrad

    fn = getattr(glassgrad, name, None)
    if fn is None or name.startswith("__"):
        raise AttributeError(
            f"glassgrad.ops.tensor_ns has no '{name}': add a Tensor version of _ArrayNS.{name} "
            "here so that create_graph=True works through it"
        )
    return fn
