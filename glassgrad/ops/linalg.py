"""Matrix products."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class MatMul(Function):
    """y = a @ b   (1-D, 2-D and batched, NumPy/PyTorch matmul rules)
    grad_a = g @ b^T,  grad_b = a^T @ g   (vectors treated as 1-row / 1-column matrices)
    """

    __slots__ = ()
    _raw = True
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ns = ctx.ns
        inputs = ctx.inputs
        a_nd, b_nd = a.ndim, b.ndim
        if a_nd == 1 and b_nd == 1:
            # a dot product: y = sum_i a_i b_i, g is 0-d
            return (g * b if inputs[0] is not None else None,
                    g * a if inputs[1] is not None else None)
        # promote vectors to matrices so one rule covers every case, then undo
        if a_nd == 1:
            a = ns.unsqueeze(a, 0)  # (k,) -> (1, k)
        if b_nd == 1:
            b = ns.unsqueeze(b, -1)  # (k,) -> (k, 1)
        # give g back the dims the vector cases dropped from the output
        if a_nd == 1 and b_nd == 1:
            g = ns.reshape(g, (1, 1))
        elif a_nd == 1:
            g = ns.unsqueeze(g, -2)
        elif b_nd == 1:
            g = ns.unsqueeze(g, -1)
        grad_a = grad_b = None
        if inputs[0] is not None:
            grad_a = ns.matmul(g, ns.swapaxes(b, -1, -2))
            if a_nd == 1:
                grad_a = ns.reshape(grad_a, grad_a.shape[:-2] + grad_a.shape[-1:])
        if inputs[1] is not None:
            grad_b = ns.matmul(ns.swapaxes(a, -1, -2), g)
            if b_nd == 1:
                grad_b = ns.reshape(grad_b, grad_b.shape[:-1])
        return grad_a, grad_b


class Mv(MatMul):
    """y = A @ v   (a matrix times a vector)
    grad_A = outer(g, v),  grad_v = A^T @ g
    """

    __slots__ = ()
    node_name = "MvBackward0"


class Dot(MatMul):
    """y = a @ b = sum_i a_i * b_i   (two vectors)
    grad_a = g * b,  grad_b = g * a
    """

    __slots__ = ()
    node_name = "DotBackward0"


def matmul_op(a_ndim: int, b_ndim: int):
    """The class whose node name PyTorch shows for ``a @ b`` of these ranks."""
    if b_ndim == 1:
        if a_ndim == 1:
            return Dot
        if a_ndim == 2:
            return Mv
    return MatMul
