"""Batch normalisation over (N, C, *) inputs: one fused op (for speed and a stable gradient).

Statistics are per channel C, over the batch and every spatial position. Composing it from
primitives would record ~10 nodes and save as many intermediates; the fused rule below is
PyTorch's ``native_batch_norm_backward`` and needs only x_hat and 1/std.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, state


def _axes_and_shape(x):
    """Reduction axes (all but C) and the (1, C, 1, ...) shape per-channel values broadcast as."""
    axes = (0,) + tuple(range(2, x.ndim))
    return axes, (1, x.shape[1]) + (1,) * (x.ndim - 2)


class BatchNorm(Function):
    """x_hat = (x - mean) / sqrt(var + eps),  y = w * x_hat + b   (mean, biased var over N, *)
    grad_x = w/std/n * (n*g - sum(g) - x_hat * sum(g * x_hat))   (training; with batch stats)
    grad_x = g * w / std   (eval: running stats are constants),
    grad_w = sum(g * x_hat),  grad_b = sum(g)

    ``mean``, ``var``: the statistics to use (None in training: the batch's own).
    """

    __slots__ = ("eps", "training")
    _raw = True
    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, mean, var, eps):
        axes, shape = _axes_and_shape(x)
        training = mean is None
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        x_hat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        y = x_hat if w is None else x_hat * w.reshape(shape)
        if b is not None:
            y = y + b.reshape(shape)
        ctx.eps = eps
        ctx.training = training
        ctx.save_for_backward(x, w, x_hat, invstd, mean)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, x_hat, invstd, mean = ctx.saved_tensors
        ns = ctx.ns
        axes, shape = _axes_and_shape(g)
        need_x, need_w, need_b = (t is not None for t in ctx.inputs[:3])
        if state.higher and ctx.training:
            # recompute the statistics from x so that they stay connected to the graph
            n = x.numel() // x.shape[1]
            mean = ns.sum(x, axes, True) / n
            centred = x - mean
            invstd = (ns.sum(centred * centred, axes, True) / n + ctx.eps) ** -0.5
            x_hat = centred * invstd
        else:
            invstd = ns.reshape(invstd, shape)
            if state.higher:  # x_hat from x, so that grad_w's own gradient reaches x
                x_hat = (x - ns.reshape(mean, shape)) * invstd
        grad_b = ns.sum(g, axes) if need_b else None
        grad_w = ns.sum(g * x_hat, axes) if need_w else None
        grad_x = None
        if need_x:
            scale = invstd if w is None else ns.reshape(w, shape) * invstd
            if ctx.training:
                n = g.size if hasattr(g, "size") and not callable(g.size) else g.numel()
                n = n // g.shape[1]
                sum_g = ns.sum(g, axes, True)
                sum_gx = ns.sum(g * x_hat, axes, True)
                grad_x = scale * (g - sum_g / n - x_hat * (sum_gx / n))
            else:
                grad_x = g * scale
        return grad_x, grad_w, grad_b, None, None, None
