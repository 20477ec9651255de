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

from .._dtype import from_numpy_dtype
from ..autograd.grad_mode import _mode
from ..ops import lossops, nnops
from ..random import _rng
from ..tensor import Tensor, _counter, _result_dtype, _wrap

__all__ = [
    "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu",
    "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "dropout", "elu", "embedding",
    "gaussian_nll_loss", "gelu", "glu", "group_norm", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hinge_embedding_loss", "huber_loss", "instance_norm", "kl_div", "l1_loss",
    "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid", "margin_ranking_loss",
    "mish", "mse_loss", "multi_margin_loss", "multilabel_soft_margin_loss", "nll_loss",
    "normalize", "one_hot", "pad", "pairwise_distance", "poisson_nll_loss", "prelu", "relu",
    "relu6", "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss",
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
    """y = min(max(x, min_val), max_val)."""
    if inplace:
        return input.clamp_(min_val, max_val)
    return input.clamp(min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """y = x if x > 0 else negative_slope * x."""
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


# -- losses ----------------------------------------------------------------------------------------

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
    input, target = _promote(input, target)
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
    if len(ishape) >= 2 and len(tshape) >= 1 and ishape[0] != tshape[0]:
        raise ValueError(
            f"Expected input batch_size ({ishape[0]}) to match target batch_size "
            f"({tshape[0]})."
        )
    expected = (ishape[:1] + ishape[2:]) if len(ishape) >= 2 else ()
    if tshape != expected:
        raise RuntimeError(
            f"{op}: expected target of shape {list(expected)} for input of shape "
            f"{list(ishape)}, got {list(tshape)}"
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
    smooth = smooth * _wrap(keep, False, None)
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
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v (see ``glassgrad.nn.attention``)."""
    from .attention import scaled_dot_product_attention as sdpa

    return sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)


# -- CNN layers (conv, pooling, batch norm, channel dropout): ops/conv.py, ops/pool.py ---------
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold
from ..ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)
from ._cnn_functional import batch_norm, dropout1d, dropout2d

__all__ += [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "dropout1d",
    "dropout2d",
    "fold",
    "interpolate",
    "max_pool1d",
    "max_pool2d",
    "unfold",
]
