"""Shape ops: they move or select elements; their gradients move them back."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Reshape(Function):
    """y = x viewed with a new shape
    grad_x = g reshaped to x's shape
    """

    __slots__ = ("shape",)
    _raw = True
    _unary = True
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.reshape(g, ctx.shape), None


class Expand(Function):
    """y = x broadcast to a larger shape (a view)
    grad_x = g summed back to x's shape (done by the engine)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Permute(Function):
    """y = x with its dims reordered
    grad_x = g with the inverse order
    """

    __slots__ = ("dims",)
    _raw = True
    _unary = True
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.permute(g, tuple(np.argsort(ctx.dims))), None


class Transpose(Function):
    """y = x with dims d0 and d1 swapped
    grad_x = g with them swapped back
    """

    __slots__ = ("d0", "d1")
    _raw = True
    _unary = True
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.d0 = d0
        ctx.d1 = d1
        return np.swapaxes(x, d0, d1)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.swapaxes(g, ctx.d0, ctx.d1), None, None
