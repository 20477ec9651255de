"""The loss functions of ``glassgrad.nn.functional`` (``F.cross_entropy``, ``F.mse_loss``...).

Kept in their own file for size; import them from ``glassgrad.nn.functional``, which
re-exports every public name here. Fused losses call ``glassgrad/ops/lossops.py``; the others
are compositions of tensor ops (their gradients come from those ops).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._dtype import from_numpy_dtype
from ..ops import lossops, nnops
from ..tensor import Tensor, _result_dtype, _wrap

# defined before functional.py imports this file (at its end)
from .functional import _dtype_name, log_softmax, logsigmoid, pairwise_distance


def _reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's legacy (size_average, reduce) arguments mapped to ``reduction``."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='{}' instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        if not reduce:
            return "none"
        return "mean" if size_average else "sum"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _promote(a: Tensor, b):
    """Two loss operands in one dtype (PyTorch's promotion); numbers become tensors."""
    if not isinstance(b, Tensor):
        from ..creation import tensor

        b = tensor(b, dtype=a.dtype)
    if a._data.dtype != b._data.dtype:
        rt = _result_dtype(a._data, b._data)
        if rt.kind != "f":
            rt = np.dtype(np.float32)
        rt = from_numpy_dtype(rt)
        a, b = a.to(rt), b.to(rt)
    return a, b


def _warn_size(input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """mean((input - target)^2) (or 'sum', or 'none': per element)."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _promote(input, target)
    if weight is not None:
        d = input - target
        return _apply_reduction(d * d * weight, reduction)
    return lossops.MseLoss.apply(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight=None) -> Tensor:
    """mean(|input - target|) (composite: Sub, Abs, Mean, as in PyTorch)."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _promote(input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _apply_reduction(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta  (d = input - target)."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _promote(input, target)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return lossops.SmoothL1Loss.apply(input, target, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)  (d = input - target)."""
    if not delta > 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    reduction = _reduction(None, None, reduction)
    input, target = _promote(input, target)
    if weight is not None:
        return _apply_reduction(lossops.HuberLoss.apply(input, target, "none", delta) * weight,
                                reduction)
    return lossops.HuberLoss.apply(input, target, reduction, delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log(p) + (1 - t) log(1 - p)), with p = ``input`` probabilities in [0, 1]."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Found dtype {_dtype_name(target)} but expected {_dtype_name(input)} "
            f"(binary_cross_entropy: convert the target with .to({input.dtype}))"
        )
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, input.shape).astype(input._data.dtype, copy=False)
    return lossops.BinaryCrossEntropy.apply(input, target, w, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(input) computed from the logits directly (stable for any logit)."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    if target._data.dtype.kind != "f" and input._data.dtype.kind == "f":
        raise RuntimeError(
            f"result type {_dtype_name(input)} can't be cast to the desired output type "
            f"{_dtype_name(target)} (binary_cross_entropy_with_logits: convert the target with "
            f".to({input.dtype}))"
        )
    input, target = _promote(input, target)
    dt = input._data.dtype
    w = None if weight is None else weight._data.astype(dt, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(dt, copy=False)
    return lossops.BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction)


def _check_class_target(input: Tensor, target: Tensor, op: str) -> None:
    td = target._data.dtype
    if td != np.int64 and td != np.uint8:
        hint = ""
        if td.kind == "f":
            hint = (f" ({op} takes class indices as int64: use target.long(), or pass class "
                    "probabilities with the same shape as the input)")
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_dtype_name(target)}{hint}"
        )
    ishape = input._data.shape
    tshape = target._data.shape
    if len(ishape) == 2 and len(tshape) == 2:
        raise RuntimeError(
            "0D or 1D target tensor expected, multi-target not supported (class indices have "
            f"shape (N,); got target {list(tshape)}: use target.squeeze(1) or target.view(-1))"
        )
    if len(ishape) >= 2 and len(tshape) >= 1 and ishape[0] != tshape[0]:
        raise ValueError(
            f"Expected input batch_size ({ishape[0]}) to match target batch_size "
            f"({tshape[0]})."
        )
    expected = (ishape[:1] + ishape[2:]) if len(ishape) >= 2 else ()
    if tshape != expected:
        raise RuntimeError(
            f"Expected target size {list(expected)}, got {list(tshape)} ({op}: input of "
            f"shape {list(ishape)} takes one class index per position)"
        )


def _check_class_weight(w, n_classes, prefix):
    """PyTorch's check: a class weight is 1-D with one entry per class."""
    if w.ndim != 1 or w.shape[0] != n_classes:
        raise RuntimeError(
            f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(w.shape)}"
        )


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-input[i, target_i] (times weight[target_i]), averaged over the total weight."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_class_target(input, target, "nll_loss")
    w = None
    if weight is not None:
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"expected scalar type {_dtype_name(input)} but found {_dtype_name(weight)}"
            )
        w = weight._data
    t = target._data
    ishape = input._data.shape
    n_classes = ishape[1] if len(ishape) >= 2 else ishape[0]
    if w is not None:
        _check_class_weight(w, n_classes, "")
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
        if bad.any():
            raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    op = lossops.NllLoss2d if len(ishape) >= 3 else lossops.NllLoss
    return op.apply(input, target._data, w, reduction, ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, 1), target): logits (N, C) or (N, C, d...) or (C,).

    ``target`` holds class indices (int64, shape (N,)...) or class probabilities (float, the
    input's shape). ``label_smoothing`` mixes the target with the uniform distribution.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {_dtype_name(input)} but found {_dtype_name(weight)}"
        )
    if target._data.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        if weight is not None:
            _check_class_weight(weight._data, n_classes, "cross_entropy: ")
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing,
                                    class_dim, n_classes)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # PyTorch's formula: (1 - eps) * nll + eps / C * (-sum_c w_c logp_c), ignored samples zeroed
    wshape = [1] * input.ndim
    wshape[class_dim] = n_classes
    t = target._data
    keep = (t != ignore_index).astype(input._data.dtype)
    if weight is not None:
        smooth = -(logp * weight.reshape(wshape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    # masked_fill, not * keep: an all-ignored 'mean' divides by 0 below, and inf * 0 would make
    # the ignored samples' gradient nan where PyTorch's is 0
    smooth = smooth.masked_fill(_wrap(t == ignore_index, False, None), 0.0)
    if reduction == "mean":
        if weight is not None:
            denom = float(weight._data[t[t != ignore_index]].sum())
        else:
            denom = float(keep.sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim,
                         n_classes):
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        wshape = [1] * logp.ndim
        wshape[class_dim] = n_classes
        prod = prod * weight.reshape(wshape)
    if reduction == "mean":
        n = logp.numel() // n_classes if n_classes else 0
        return -prod.sum() / n if n else -prod.sum() * float("nan")
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """sum target * (log(target) - input), with ``input`` given as log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL divergence's
    definition); ``'mean'`` divides by the element count (PyTorch warns about it).
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, "mean")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", stacklevel=2)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = _promote(input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t) = t log t with 0 log 0 = 0 (the where keeps log's gradient finite at 0)
        from ..functional import where

        safe = where(target > 0, target, 1.0)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)   (target is 1 or -1)."""
    reduction = _reduction(size_average, reduce, reduction)
    return _apply_reduction((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """x where target == 1, max(0, margin - x) where target == -1."""
    from ..functional import where

    reduction = _reduction(size_average, reduce, reduction)
    margin_part = where(target != 1, (margin - input).clamp(min=0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return _apply_reduction(margin_part + self_part, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), computed without overflow."""
    reduction = _reduction(size_average, reduce, reduction)
    return _apply_reduction(nnops.Softplus.apply(-target * input, 1.0, math.inf), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1."""
    from ..functional import where

    reduction = _reduction(size_average, reduce, reduction)
    dim = input1.ndim - 1
    eps = 1e-12  # PyTorch's EPSILON, added to each squared magnitude
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _apply_reduction(pos + neg, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm pairwise distance."""
    from ..functional import minimum

    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((d_pos - d_neg + margin).clamp(min=0), reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """exp(x) - t x (``log_input``), or x - t log(x + eps); ``full`` adds Stirling's term."""
    from ..functional import where

    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = where(target > 1, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """(log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2  (+ log(2 pi) / 2)."""
    from ..creation import tensor
    from ..functional import maximum

    if not isinstance(var, Tensor):
        var = tensor(float(var), dtype=input.dtype)
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)  # heteroscedastic, one variance per sample
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    # the clamp is applied outside the graph, as in PyTorch: its gradient passes unchanged
    floor = _wrap(np.maximum(var._data, eps) - var._data, False, None)
    var = var + floor if var.requires_grad else maximum(var, tensor(eps, dtype=var.dtype))
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    reduction = _reduction(None, None, reduction)
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over the classes."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    n_classes = input.shape[input.ndim - 1]
    loss = loss.sum(input.ndim - 1) / n_classes
    return _apply_reduction(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """sum over j != t of max(0, margin - x[t] + x[j])^p / C   (times weight[t])."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    reduction = _reduction(size_average, reduce, reduction)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target._data.reshape(-1)
    n, c = x.shape
    x_t = x.gather(1, _wrap(t.reshape(-1, 1), False, None))
    hinge = (x - x_t + margin).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    not_target = np.ones((n, c), dtype=x._data.dtype)
    not_target[np.arange(n), t] = 0
    hinge = hinge * _wrap(not_target, False, None)
    if weight is not None:
        hinge = hinge * _wrap(weight._data[t].reshape(-1, 1).astype(x._data.dtype), False, None)
    loss = hinge.sum(1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _apply_reduction(loss, reduction)


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
