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
