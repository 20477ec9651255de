"""Reductions: sum, mean, ... over all elements or over ``dim`` (with ``keepdim``)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


def _axes(dim, ndim):
    """PyTorch's ``dim`` (None, int, or tuple) as NumPy's ``axis``."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        return tuple(d % ndim if ndim else 0 for d in dim)
    return dim % ndim if ndim else 0


def _expand_back(g, shape, axis, keepdim, ns):
    """Undo a reduction's squeeze: reshape g so it broadcasts against the input's ``shape``."""
    if axis is None or keepdim:
        if axis is None and not keepdim:
            return ns.expand(g, shape)
        return ns.expand(g, shape)
    kept = list(shape)
    for a in (axis if isinstance(axis, tuple) else (axis,)):
        kept[a] = 1
    return ns.expand(ns.reshape(g, tuple(kept)), shape)


class Sum(Function):
    """y = sum_i x_i   (over dim)
    grad_x = g broadcast back to x's shape
    """

    __slots__ = ("shape", "axis", "keepdim")
    _raw = True
    _unary = True
    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        axis = _axes(dim, x.ndim)
        ctx.shape = x.shape
        ctx.axis = axis
        ctx.keepdim = keepdim
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64  # PyTorch sums integers and bools as int64
        # np.add.reduce: np.sum's C core without its Python-level wrapper
        return np.add.reduce(x, axis=axis, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axis, ctx.keepdim, ctx.ns)


class Mean(Function):
    """y = sum_i x_i / N   (over dim)
    grad_x = g / N broadcast back to x's shape
    """

    __slots__ = ("shape", "axis", "keepdim", "n")
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
        axis = _axes(dim, x.ndim)
        ctx.shape = x.shape
        ctx.axis = axis
        ctx.keepdim = keepdim
        if dtype is None and x.dtype.char != "e":  # "e": float16
            # np.mean's own arithmetic (a sum in the input dtype, then one division) without
            # its Python-level wrapper; float16 keeps np.mean, which sums in float32
            y = np.add.reduce(x, axis, None, None, keepdim)
            n = (x.size // y.size) if y.size else 0
            y = y / n if n else y * np.nan  # the operator: np.true_divide is slow on scalars
        else:
            y = np.mean(x, axis=axis, keepdims=keepdim, dtype=dtype)
            n = (x.size // y.size) if y.size else 0
        ctx.n = n
        return y

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g / ctx.n, ctx.shape, ctx.axis, ctx.keepdim, ctx.ns)
