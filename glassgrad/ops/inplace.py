"""Ops that exist only as in-place methods: ``zero_`` and ``fill_``.

They overwrite every element, so nothing flows back to the old values (a zero gradient, as in
PyTorch, not None); a tensor fill value receives the sum of the gradient.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Zero(Function):
    """y = 0   (``x.zero_()``)
    grad_x = 0
    """

    __slots__ = ()
    _raw = True
    node_name = "ZeroBackward0"

    @staticmethod
    def forward(ctx, x, _unused=None):
        return np.zeros_like(x)

    @staticmethod
    def backward(ctx, g):
        return 0 * g, None


class Fill(Function):
    """y = v everywhere   (``x.fill_(v)``, v a Python number)
    grad_x = 0
    """

    __slots__ = ()
    _raw = True
    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, x, value):
        return np.full_like(x, value)

    @staticmethod
    def backward(ctx, g):
        return 0 * g, None


class FillTensor(Function):
    """y = v everywhere   (``x.fill_(v)``, v a 0-d tensor)
    grad_x = 0,  grad_v = sum(g)   (the engine sums g down to v's shape)
    """

    __slots__ = ()
    _raw = True
    node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, x, value):
        return np.full_like(x, value)

    @staticmethod
    def backward(ctx, g):
        return 0 * g, g


def view_of(arr: np.ndarray, region: tuple) -> np.ndarray:
    """The part of ``arr`` (C-contiguous, the base's shape) that a view covers.

    ``region``: (shape, strides, byte offset) of the view inside its C-contiguous base; the same
    bytes of any array laid out like the base are that view.
    """
    shape, strides, offset = region
    return np.ndarray(shape, dtype=arr.dtype, buffer=arr, offset=offset, strides=strides)


class ViewScatter(Function):
    """y = base with y[view] = v   (a view of base was changed in place)
    grad_base = g with zeros in the view,  grad_v = g[view]
    """

    __slots__ = ("keep", "region")
    _raw = True
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, v, region, keep):
        # base's memory already holds the new values (the view shares it)
        ctx.region = region
        ctx.keep = keep
        return base

    @staticmethod
    def backward(ctx, g):
        # NumPy on g: the view is described by strides, which only an ndarray has (so no
        # create_graph through in-place changes of views)
        g = np.ascontiguousarray(g)
        grad_base = g * ctx.keep if ctx.inputs[0] is not None else None
        grad_v = view_of(g, ctx.region).copy() if ctx.inputs[1] is not None else None
        return grad_base, grad_v, None, None


class AsView(Function):
    """y = base[view]   (a view, after an in-place change, read again from its base)
    grad_base = zeros with g written into the view
    """

    __slots__ = ("region",)
    _raw = True
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, old_view, base, region):
        # old_view: the view's history before (first, as for every rebasing node); its values
        # now come from base alone, so it gets no gradient
        ctx.region = region
        return old_view

    @staticmethod
    def backward(ctx, g):
        grad_base = None
        if ctx.inputs[1] is not None:
            grad_base = np.zeros(ctx.inputs[1]._data.shape, dtype=np.asarray(g).dtype)
            view_of(grad_base, ctx.region)[...] = g
        return None, grad_base, None
