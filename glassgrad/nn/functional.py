"""``torch.nn.functional``: layers and losses as functions of their inputs and weights.

Where a function is a composition (``l1_loss``, ``kl_div``, ``dropout``, label smoothing), it is
written with Tensor ops and its gradient comes from theirs; fused primitives (softmax, the
activations, the norms, most losses) live in ``glassgrad/ops/nnops.py`` and ``lossops.py``.

>>> import glassgrad as gg
>>> import glassgrad.nn.functional as F
>>> F.linear(gg.ones(1, 2), gg.ones(3, 2), gg.zeros(3))
tensor([[2., 2., 2.]])
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.grad_mode import _mode
from ..ops import nnops
from ..random import _rng
from ..tensor import Tensor, _counter, _wrap

__all__ = [
    "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu",
    "channel_shuffle", "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "dropout",
    "elu", "embedding", "gaussian_nll_loss", "gelu", "glu", "group_norm", "hardshrink",
    "hardsigmoid", "hardswish", "hardtanh", "hinge_embedding_loss", "huber_loss", "instance_norm",
    "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid",
    "margin_ranking_loss", "mish", "mse_loss", "multi_margin_loss", "multilabel_soft_margin_loss",
    "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance", "pixel_shuffle",
    "pixel_unshuffle", "poisson_nll_loss", "prelu", "relu", "relu6",
    "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh",
    "tanhshrink", "threshold", "triplet_margin_loss",
]


def _dtype_name(t: Tensor) -> str:
    return nnops._DTYPE_NAMES[t._data.dtype.name]


def _floating_check(x: Tensor, op: str) -> None:
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f'"{op}" not implemented for \'{_dtype_name(x)}\': {op} needs a floating point input; '
            "convert it with .float()"
        )


# -- linear ----------------------------------------------------------------------------------------

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias   (input: (..., in), weight: (out, in), bias: (out,))."""
    dt = input._data.dtype
    if weight._data.dtype != dt or (bias is not None and bias._data.dtype != dt):
        other = weight if weight._data.dtype != dt else bias
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_dtype_name(input)} and "
            f"{_dtype_name(other)}; cast the input with .to({other.dtype}) or the module with "
            f".to({input.dtype})"
        )
    if bias is None:
        return nnops.LinearNoBias.apply(input, weight)
    return nnops.Linear.apply(input, weight, bias)


# -- activations -----------------------------------------------------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """y = max(x, 0)."""
    if inplace:
        return input.clamp_(min=0)
    return input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.clamp_(min=0)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """y = min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """y = min(max(x, min_val), max_val); its gradient is 0 at the bounds (clamp's is 1)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activation(lambda x: nnops.Hardtanh.apply(x, min_val, max_val), input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """y = x if x > 0 else negative_slope * x."""
    _floating_check(input, "leaky_relu")  # an int input came back float64
    return _activation(lambda x: nnops.LeakyRelu.apply(x, negative_slope), input, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """y = x if x > 0 else alpha * (exp(x) - 1)."""
    _floating_check(input, "elu")
    return _activation(lambda x: nnops.Elu.apply(x, alpha), input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """y = x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu's alpha must not be 0")
    return _activation(lambda x: nnops.Elu.apply(x / alpha, 1.0) * alpha, input, inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """y = scale * elu(x, alpha) with PyTorch's fixed scale and alpha (self-normalising)."""
    return _activation(lambda x: nnops.Elu.apply(x, _SELU_ALPHA) * _SELU_SCALE, input, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """y = x * Phi(x) (the standard normal CDF); ``approximate='tanh'`` uses the tanh form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate}")
    _floating_check(input, "gelu")
    return nnops.Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """y = x * sigmoid(x) (a.k.a. swish)."""
    _floating_check(input, "silu")
    return _activation(nnops.Silu.apply, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """y = x * tanh(softplus(x))."""
    return _activation(lambda x: x * nnops.Softplus.apply(x, 1.0, 20.0).tanh(), input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """y = log(1 + exp(beta * x)) / beta (x itself where beta * x > threshold)."""
    _floating_check(input, "softplus")
    return nnops.Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """y = log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return -nnops.Softplus.apply(-input, 1.0, math.inf)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """y = min(max(x / 6 + 1/2, 0), 1)."""
    return _activation(lambda x: (x + 3.0).clamp(0.0, 6.0) / 6.0, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """y = x * hardsigmoid(x)."""
    return _activation(lambda x: x * ((x + 3.0).clamp(0.0, 6.0) / 6.0), input, inplace)


def softsign(input: Tensor) -> Tensor:
    """y = x / (1 + |x|)."""
    return input / (input.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    """y = x - tanh(x)."""
    return input - input.tanh()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """y = x where x > threshold, else ``value``."""
    from ..functional import where

    return _activation(lambda x: where(x > threshold, x, value), input, inplace)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """y = x where |x| > lambd, else 0."""
    from ..functional import where

    return where(input.abs() > lambd, input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """y = x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    from ..functional import where

    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Split ``dim`` in halves a, b: y = a * sigmoid(b)."""
    if input.shape[dim] % 2 != 0:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{input.shape[dim]}"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _activation(fn, input: Tensor, inplace: bool) -> Tensor:
    """``fn(input)``, or with ``inplace=True`` its values written into ``input``.

    In place with a graph, ``fn`` runs on a snapshot of the old values (which the node saves)
    and ``input`` takes over the new node, as ``Tensor._inplace`` does.
    """
    if not inplace:
        return fn(input)
    input._check_inplace()
    if _mode.enabled and input.requires_grad:
        old = _wrap(input._data.copy(), True, input.grad_fn)
        out = fn(old)
        np.copyto(input._data, out._data)
        input.grad_fn = out.grad_fn
        _counter(input)[0] += 1
        return input
    np.copyto(input._data, fn(input.detach())._data)
    _counter(input)[0] += 1
    return input


def _softmax_dim(name: str, ndim: int, dim):
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _check_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """y = exp(x) / sum(exp(x)) over ``dim`` (computed stably)."""
    dim = _softmax_dim("softmax", input.ndim, dim)
    _check_dim(dim, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    _floating_check(input, "softmax")
    return nnops.Softmax.apply(input, dim)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x)."""
    dim = _softmax_dim("softmin", input.ndim, dim)
    return softmax(-input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """y = x - log(sum(exp(x))) over ``dim`` (computed stably: no overflow, no log(0))."""
    dim = _softmax_dim("log_softmax", input.ndim, dim)
    _check_dim(dim, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    _floating_check(input, "log_softmax")
    return nnops.LogSoftmax.apply(input, dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """y = x if x > 0 else weight * x; ``weight`` (1,) or (C,) applies per channel (dim 1)."""
    from ..functional import where

    w = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = "
                f"{input.shape[1] if input.ndim >= 2 else 1}."
            )
        w = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return where(input > 0, input, input * w)


# -- dropout, embedding, normalisation, padding ----------------------------------------------------

def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only).

    The mask is drawn from glassgrad's global generator; the gradient is the same mask.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dt = input._data.dtype
    if p == 1.0:
        mask = np.zeros(input._data.shape, dtype=dt)
    else:
        keep = _rng().random(input._data.shape) < (1.0 - p)
        mask = keep.astype(dt) * dt.type(1.0 / (1.0 - p))
    m = _wrap(mask, False, None)
    if inplace:
        return input.mul_(m)
    return input * m


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: (*,) -> (*, embedding_dim)."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {idx.dtype.name} instead (call .long() on the indices)"
        )
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx >= n or padding_idx < -n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += n
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    if scale_grad_by_freq:
        raise NotImplementedError("embedding: scale_grad_by_freq=True is not supported")
    return nnops.Embedding.apply(weight, idx, padding_idx)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of the embeddings in each bag, without building (B, N, D).

    Bags are the rows of a 2-D ``input``, or the slices of a 1-D ``input`` that ``offsets``
    starts. Sum and mean are one matmul with a constant (bags, indices) matrix; entries equal to
    ``padding_idx`` are left out (and not counted by the mean); an empty bag gives zeros.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences.")
        n_bags, per = idx.shape
        starts = np.arange(n_bags) * per
        flat = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = offsets._data.astype(np.int64).reshape(-1)
        if include_last_offset:
            starts = starts[:-1]
        flat = idx
        n_bags = starts.shape[0]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    n = weight.shape[0]
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    ends = np.append(starts[1:], flat.shape[0]) if n_bags else starts
    if include_last_offset and offsets is not None and idx.ndim == 1:
        ends = offsets._data.astype(np.int64).reshape(-1)[1:]
    rows = embedding(_wrap(flat, False, None), weight, None, max_norm, norm_type)  # (M, D)
    keep = np.ones(flat.shape[0], dtype=bool) if padding_idx is None else flat != padding_idx
    if mode == "max":
        from .. import stack

        bags = []
        for b in range(n_bags):
            sel = np.nonzero(keep[starts[b]:ends[b]])[0] + starts[b]
            if sel.size:
                bags.append(rows[_wrap(sel, False, None)].max(0)[0])
            else:
                bags.append(rows[:1].sum(0) * 0)
        return stack(bags, 0)
    # (bags, M) pattern: 1 (sum) or 1 / count (mean) where index i belongs to bag b
    pattern = np.zeros((n_bags, flat.shape[0]), dtype=weight._data.dtype)
    for b in range(n_bags):
        members = keep[starts[b]:ends[b]]
        count = members.sum()
        if count:
            pattern[b, starts[b]:ends[b]] = members / (count if mode == "mean" else 1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    return _wrap(pattern, False, None) @ rows


def _embedding_renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale (in place, outside the graph) the looked-up rows whose norm exceeds max_norm."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    if np.any(over):
        scale = max_norm / (norms[over] + 1e-7)
        w[rows[over]] *= scale[:, None].astype(w.dtype)
        _counter(weight)[0] += 1


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    _floating_check(input, "layer_norm")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {what} to be of same shape as normalized_shape, but got {what} of "
                f"shape {list(t.shape)} and normalized_shape = {list(normalized_shape)}"
            )
    return nnops.LayerNorm.apply(input, weight, bias, k, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channel groups of (N, C, *) input, then scale/shift per channel.

    Composed from the fused LayerNorm op on the (N, G, C/G * positions) view.
    """
    shape = tuple(input.shape)
    if input.ndim < 2 or shape[1] % num_groups != 0:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(shape)} and num_groups={num_groups}"
        )
    n = shape[0]
    grouped = input.reshape(n, num_groups, -1)
    y = nnops.LayerNorm.apply(grouped, None, None, 1, eps).reshape(shape)
    cshape = (1, shape[1]) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(cshape)
    if bias is not None:
        y = y + bias.reshape(cshape)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) of (N, C, *) over its positions, then scale/shift.

    With running buffers and ``use_input_stats``, they move toward the batch-averaged instance
    statistics (unbiased variance); ``use_input_stats=False`` normalises with them instead.
    """
    shape = tuple(input.shape)
    n, c = shape[0], shape[1]
    cshape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        from ._cnn_functional import batch_norm

        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    x3 = input.reshape(n, c, -1)
    size = x3.shape[2]
    if size <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {list(shape)}"
        )
    if running_mean is not None or running_var is not None:
        data = x3._data
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - momentum
            rm += (momentum * data.mean(axis=(0, 2))).astype(rm.dtype, copy=False)
            _counter(running_mean)[0] += 1
        if running_var is not None:
            rv = running_var._data
            rv *= 1 - momentum
            rv += (momentum * data.var(axis=2, ddof=1).mean(axis=0)).astype(rv.dtype, copy=False)
            _counter(running_var)[0] += 1
    y = nnops.LayerNorm.apply(x3, None, None, 1, eps).reshape(shape)
    if weight is not None:
        y = y * weight.reshape(cshape)
    if bias is not None:
        y = y + bias.reshape(cshape)
    return y


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad = (left, right)`` for the last dim, then the one before...

    ``mode``: 'constant' (``value``; negative amounts crop), 'reflect', 'replicate',
    'circular' (these pad the last 1-3 dims of a batched or unbatched input).
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           "dimension")
    if mode == "constant":
        return nnops.ConstantPad.apply(input, pad, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"Unrecognised padding mode {mode}: use 'constant', 'reflect', 'replicate' or "
            "'circular'"
        )
    k = len(pad) // 2
    if len(pad) not in (2, 4, 6) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    for i in range(k):
        d = input.ndim - 1 - i
        n = input.shape[d]
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    op = {("reflect", 1): nnops.ReflectionPad1d, ("reflect", 2): nnops.ReflectionPad2d,
          ("reflect", 3): nnops.ReflectionPad3d, ("replicate", 1): nnops.ReplicationPad1d,
          ("replicate", 2): nnops.ReplicationPad2d, ("replicate", 3): nnops.ReplicationPad3d,
          }.get((mode, k), nnops.CircularPad)
    return op.apply(input, pad, mode)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    lead = tuple(lead)
    k = len(lead)
    oc = c // (r * r)
    # (*, oc, r, r, H, W) -> (*, oc, H, r, W, r)
    x = input.reshape(lead + (oc, r, r, h, w))
    x = x.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return x.reshape(lead + (oc, h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r != 0 or w % r != 0:
        raise RuntimeError(
            "pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
            f"got height={h}, width={w} and downscale_factor={r}"
        )
    lead = tuple(lead)
    k = len(lead)
    # (*, C, H/r, r, W/r, r) -> (*, C, r, r, H/r, W/r)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return x.reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *): channel g * (C / groups) + i moves to i * groups + g."""
    shape = tuple(input.shape)
    c = shape[1]
    if c % groups != 0:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} "
            "groups."
        )
    x = input.reshape((shape[0], groups, c // groups) + shape[2:]).transpose(1, 2)
    return x.reshape(shape)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*,) integer classes -> (*, num_classes) int64 with a 1 at each class."""
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return _wrap(out, False, None)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    if p == 2:
        norm = (input * input).sum(dim, keepdim=True).sqrt()
    else:
        norm = (input.abs() ** p).sum(dim, keepdim=True) ** (1.0 / p)
    return input / norm.clamp(min=eps)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = sum_ij x1_i W_kij x2_j + b_k   (x1: (..., in1), x2: (..., in2), W: (out, in1, in2))."""
    out_f, in1, in2 = weight.shape
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out * in2) -> (N, out, in2); then contract in2 with x2
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim."""
    d = (x1 - x2 + eps).abs()
    if p == 2:
        return (d * d).sum(-1, keepdim=keepdim).sqrt()
    return (d**p).sum(-1, keepdim=keepdim) ** (1.0 / p)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / max(||x1|| * ||x2||, eps) along ``dim``."""
    n1 = (x1 * x1).sum(dim).sqrt()
    n2 = (x2 * x2).sum(dim).sqrt()
    return (x1 * x2).sum(dim) / (n1 * n2).clamp(min=eps)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v (see ``glassgrad.nn.attention``)."""
    from .attention import scaled_dot_product_attention as sdpa

    return sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)


# -- losses (in _losses.py for size; imported last: they use the functions above) -------------
# -- CNN layers (conv, pooling, batch norm, channel dropout): _conv/_pool/_cnn_functional.py ---
from ._cnn_functional import batch_norm, dropout1d, dropout2d, dropout3d, local_response_norm
from ._conv_functional import conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold
from ._losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from ._pool_functional import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)

__all__ += [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "fold",
    "interpolate",
    "local_response_norm",
    "max_pool1d",
    "max_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "unfold",
    "upsample",
]


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (as in PyTorch)."""
    return interpolate(input, size, scale_factor, mode, align_corners)
