"""Fused neural-network ops. Each docstring's first lines are the math: forward, then gradient.

These could be composed from elementwise ops and reductions; each is one node instead because
composing would cost speed (``Linear``: one node instead of transpose + matmul + add) or numerical
stability (``LogSoftmax``, the cross-entropy: exp of large logits overflows unless the max is
subtracted first). The reason is given per class.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function

_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


def _mat_error(x, w) -> RuntimeError:
    rows = x.size // x.shape[-1] if x.ndim and x.shape[-1] else (1 if x.ndim == 1 else 0)
    cols = x.shape[-1] if x.ndim else 1
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
        f"{w.shape[1]}x{w.shape[0]}); linear: input's last dim ({cols}) must equal "
        f"in_features ({w.shape[1]})"
    )


class Linear(Function):
    """y = x @ W^T + b        x: (..., in), W: (out, in), b: (out,)
    grad_x = g @ W,  grad_W = g^T @ x,  grad_b = sum of g over all but the last dim

    Fused for speed: one node and one BLAS call instead of transpose, matmul and add nodes.
    """

    __slots__ = ()
    _raw = True
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b=None):
        if x.ndim == 0 or x.shape[-1] != w.shape[1]:
            raise _mat_error(x, w)
        ctx.save_for_backward(x, w)
        y = np.matmul(x, w.T)
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one allocation
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        ns = ctx.ns
        inputs = ctx.inputs
        grad_x = grad_w = grad_b = None
        if inputs[0] is not None:
            grad_x = ns.matmul(g, w)
        if inputs[1] is not None:
            # (..., out) and (..., in) -> (N, out) and (N, in); grad_W = g^T @ x: (out, in)
            g2 = ns.reshape(g, (-1, g.shape[-1]))
            x2 = ns.reshape(x, (-1, x.shape[-1]))
            grad_w = ns.matmul(g2.T, x2)
        if len(inputs) > 2 and inputs[2] is not None:
            grad_b = ns.sum(ns.reshape(g, (-1, g.shape[-1])), 0)
        return grad_x, grad_w, grad_b


class LinearNoBias(Linear):
    """y = x @ W^T
    grad_x = g @ W,  grad_W = g^T @ x   (``Linear`` without its bias: PyTorch's MmBackward0)
    """

    __slots__ = ()
    node_name = "MmBackward0"
