"""Fused loss ops. Each docstring's first lines are the math: forward, then gradient.

``reduction`` is applied inside the op ('none': per element, 'sum', 'mean'), so a loss is one node
whose ``grad_fn`` has PyTorch's name (``MseLossBackward0``...). In the gradients, ``g`` is the
upstream gradient, divided by the element count (or the total weight, for nll) under 'mean'.

Fused for stability (``BinaryCrossEntropyWithLogits`` never forms exp of a large logit; BCE clamps
its logs at -100 as PyTorch does) and speed (one node instead of 3-5).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function

# PyTorch clamps BCE's gradient denominator at a float32 1e-12 (also in float64)
_BCE_EPS = float(np.float32(1e-12))


def _reduce(loss, reduction):
    if reduction == "mean":
        if loss.size and loss.dtype.char in "fd":
            # np.mean's own arithmetic (a sum in the loss's dtype, then one division) without
            # its Python-level wrapper; float16 keeps np.mean, which sums in float32
            return np.asarray(np.add.reduce(loss, None) / loss.size)
        return np.mean(loss)
    if reduction == "sum":
        return np.sum(loss)
    return loss


def _scale(g, n, reduction):
    """The upstream gradient for each element: g / n under 'mean'."""
    return g / n if reduction == "mean" else g


class MseLoss(Function):
    """loss = reduce((x - y)^2)
    grad_x = 2 (x - y) g,  grad_y = -grad_x
    """

    __slots__ = ("n", "reduction")
    _raw = True
    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        ctx.save_for_backward(x, y)
        d = x - y
        ctx.reduction = reduction
        ctx.n = d.size
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        diff = x - y
        grad = (diff + diff) * _scale(g, ctx.n, ctx.reduction)  # 2 (x - y), as in Pow
        inputs = ctx.inputs
        return (grad if inputs[0] is not None else None,
                -grad if inputs[1] is not None else None, None)


class SmoothL1Loss(Function):
    """loss = reduce(0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta),  d = x - y
    grad_x = g * (d / beta if |d| < beta else sign(d)),  grad_y = -grad_x
    """

    __slots__ = ("beta", "n", "reduction")
    _raw = True
    node_name = "SmoothL1LossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction="mean", beta=1.0):
        ctx.save_for_backward(x, y)
        d = x - y
        ad = np.abs(d)
        ctx.reduction = reduction
        ctx.n = d.size
        ctx.beta = beta
        loss = np.where(ad < beta, 0.5 * d * d / beta if beta else 0 * d, ad - 0.5 * beta)
        return _reduce(loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ns = ctx.ns
        d = x - y
        inside = ns.mask(ns.abs(d) < ctx.beta, d)
        slope = inside * d / ctx.beta if ctx.beta else 0 * d
        grad = (slope + (1 - inside) * ns.sign(d)) * _scale(g, ctx.n, ctx.reduction)
        inputs = ctx.inputs
        return (grad if inputs[0] is not None else None,
                -grad if inputs[1] is not None else None, None, None)


class HuberLoss(Function):
    """loss = reduce(0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)),  d = x - y
    grad_x = g * (d if |d| < delta else delta sign(d)),  grad_y = -grad_x
    """

    __slots__ = ("delta", "n", "reduction")
    _raw = True
    node_name = "HuberLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction="mean", delta=1.0):
        ctx.save_for_backward(x, y)
        d = x - y
        ad = np.abs(d)
        ctx.reduction = reduction
        ctx.n = d.size
        ctx.delta = delta
        loss = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
        return _reduce(loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ns = ctx.ns
        d = x - y
        inside = ns.mask(ns.abs(d) < ctx.delta, d)
        grad = (inside * d + (1 - inside) * ctx.delta * ns.sign(d)) \
            * _scale(g, ctx.n, ctx.reduction)
        inputs = ctx.inputs
        return (grad if inputs[0] is not None else None,
                -grad if inputs[1] is not None else None, None, None)


class BinaryCrossEntropy(Function):
    """loss = reduce(-w (y log(x) + (1 - y) log(1 - x)))   (each log clamped at >= -100)
    grad_x = g w (x - y) / max(x (1 - x), 1e-12),  grad_y = g w (log(1 - x) - log(x))
    """

    __slots__ = ("n", "reduction", "w")
    _raw = True
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, w=None, reduction="mean"):
        if x.size and (np.min(x) < 0 or np.max(x) > 1):
            raise RuntimeError(
                "all elements of input should be between 0 and 1 (binary_cross_entropy takes "
                "probabilities; for logits use binary_cross_entropy_with_logits or "
                "BCEWithLogitsLoss)"
            )
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        ctx.w = w
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if w is not None:
            loss = loss * w
        ctx.n = loss.size
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ns = ctx.ns
        gs = _scale(g, ctx.n, ctx.reduction)
        if ctx.w is not None:
            gs = gs * ctx.w
        inputs = ctx.inputs
        grad_x = grad_y = None
        if inputs[0] is not None:
            denom = x * (1 - x)
            denom = ns.where(denom > _BCE_EPS, denom, _BCE_EPS + 0 * denom)
            grad_x = gs * (x - y) / denom
        if inputs[1] is not None:
            grad_y = gs * (ns.log(1 - x) - ns.log(x))
        return grad_x, grad_y, None, None


class BinaryCrossEntropyWithLogits(Function):
    """loss = reduce(w ((1 - y) x + L softplus(-x))),  L = 1 + (pos_weight - 1) y
    grad_x = g w ((1 - y) - L sigmoid(-x)),  grad_y = g w ((pos_weight - 1) softplus(-x) - x)

    softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0): no overflow for any logit.
    """

    __slots__ = ("n", "pw", "reduction", "w")
    _raw = True
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, w=None, pos_weight=None, reduction="mean"):
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        ctx.w = w
        ctx.pw = pos_weight
        sp = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)  # softplus(-x)
        if pos_weight is not None:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * sp
        else:
            loss = (1 - y) * x + sp
        if w is not None:
            loss = loss * w
        ctx.n = loss.size
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ns = ctx.ns
        gs = _scale(g, ctx.n, ctx.reduction)
        if ctx.w is not None:
            gs = gs * ctx.w
        pw = ctx.pw
        inputs = ctx.inputs
        grad_x = grad_y = None
        if inputs[0] is not None:
            s_neg = ns.sigmoid(-x)
            if pw is not None:
                grad_x = gs * ((1 - y) - (1 + (pw - 1) * y) * s_neg)
            else:
                grad_x = gs * ((1 - y) - s_neg)
        if inputs[1] is not None:
            if pw is not None:
                neg = ns.mask(x < 0, x)
                sp = ns.log(1 + ns.exp(-ns.abs(x))) - x * neg
                grad_y = gs * ((pw - 1) * sp - x)
            else:
                grad_y = gs * -x
        return grad_x, grad_y, None, None, None


class NllLoss(Function):
    """loss_i = -w[t_i] * x[i, t_i]   (0 where t_i == ignore_index; 'mean': sum / sum_i w[t_i])
    grad_x[i, c] = -g_i w[t_i] [c == t_i]   (/ total weight under 'mean')

    x: (N, C), (C,) or (N, C, d1, ...); t: (N,), () or (N, d1, ...). Fused for speed: a gather
    and a scatter, where composing would build an (N, C) one-hot product graph.
    """

    __slots__ = ("ndim", "pick", "reduction", "scale", "shape")
    _raw = True
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight=None, reduction="mean", ignore_index=-100):
        # class dim last: (N, C, d...) -> (N, d..., C); (C,) -> (1, C)
        if x.ndim == 2:
            xs = x
        else:
            xs = x[None] if x.ndim == 1 else np.moveaxis(x, 1, -1)
        t = target.reshape(xs.shape[:-1])
        keep = t != ignore_index
        tc = np.where(keep, t, 0)
        # pick[i] = (i, t_i) in the (M, C) flattening; one fancy index gathers x[i, t_i]
        flat = xs.reshape(-1, xs.shape[-1])
        rows = np.arange(flat.shape[0])
        tflat = tc.reshape(-1)
        picked = flat[rows, tflat]
        if weight is not None:
            w_t = weight[tflat].astype(x.dtype, copy=False) * keep.reshape(-1)
        else:
            w_t = keep.reshape(-1).astype(x.dtype)
        loss = -picked * w_t
        total = None
        if reduction == "mean":
            total = w_t.sum()
            out = loss.sum() / total if total != 0 else np.array(np.nan, dtype=x.dtype)
        elif reduction == "sum":
            out = loss.sum()
        else:
            out = loss.reshape(t.shape) if x.ndim > 1 else loss[0]
        ctx.pick = (rows, tflat)
        # gradient at (i, t_i): -w[t_i] (/ total weight under 'mean'); zero elsewhere
        if total is None:
            ctx.scale = -w_t
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # total 0: nan, as torch
                ctx.scale = -w_t / total
            if total == 0:  # torch skips ignored targets: their gradient stays 0, never nan
                ctx.scale[~keep.reshape(-1)] = 0
        ctx.shape = xs.shape
        ctx.reduction = reduction
        ctx.ndim = x.ndim
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        n_rows = ctx.pick[0].shape[0]
        # the constant pattern: -w[t_i] / total at (i, t_i) of the (M, C) view
        coef = np.zeros((n_rows, shape[-1]), dtype=ctx.scale.dtype)
        coef[ctx.pick] = ctx.scale
        coef = coef.reshape(shape)
        if ctx.ndim == 1:
            coef = coef[0]
        elif ctx.ndim > 2:
            coef = np.moveaxis(coef, -1, 1)
        if ctx.reduction == "none" and ctx.ndim > 1:
            g = ctx.ns.unsqueeze(g, 1)  # (N, d...) -> (N, 1, d...): broadcast over classes
        return g * coef, None, None, None, None


class NllLoss2d(NllLoss):
    """loss = NllLoss on (N, C, d1, ...) input: the same math, PyTorch's name for it
    grad_x[i, c, ...] = -g w[t] [c == t]
    """

    __slots__ = ()
    node_name = "NllLoss2DBackward0"
