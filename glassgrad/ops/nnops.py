"""Fused neural-network ops. Each docstring's first lines are the math: forward, then gradient.

These could be composed from elementwise ops and reductions; each is one node instead because
composing would cost speed (``Linear``: one node instead of transpose + matmul + add) or numerical
stability (``LogSoftmax``, the cross-entropy: exp of large logits overflows unless the max is
subtracted first). The reason is given per class.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, array_ns

_sigmoid = array_ns.sigmoid
_erf = array_ns.erf

_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


def _mat_error(x, w) -> RuntimeError:
    if x.ndim == 0 or w.ndim == 0:
        return RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                            f"{x.ndim}D and {w.ndim}D")
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
    # PyTorch's graph: addmm(bias, x, weight.t()), the weight behind a TBackward0 node, so hooks
    # on the leaves see bias and x first, then weight
    _torch_leaf_groups = ((2, 0), (1,))

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
    _torch_leaf_groups = ((0,), (1,))  # mm(x, weight.t())


# -- activations ---------------------------------------------------------------------------------
# Fused for speed (one node and one NumPy pass instead of 3-6 nodes) and, for softplus and the
# softmaxes, for stability.


class LeakyRelu(Function):
    """y = x if x > 0 else slope * x
    grad_x = g * (1 if x > 0 else slope)
    """

    __slots__ = ("slope",)
    _raw = True
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope=0.01):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        pos = ctx.ns.mask(x > 0, g)
        return g * (pos + (1 - pos) * ctx.slope), None


class Hardtanh(Function):
    """y = min(max(x, lo), hi)
    grad_x = g * (lo < x < hi)   (0 at the bounds, unlike clamp)
    """

    __slots__ = ()
    _raw = True
    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi).astype(x.dtype, copy=False)  # integers stay integers

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        return g * ctx.ns.mask((x > lo) & (x < hi), g), None, None


class Elu(Function):
    """y = x if x > 0 else alpha * (exp(x) - 1)
    grad_x = g * (1 if x > 0 else alpha * exp(x))
    """

    __slots__ = ("alpha",)
    _raw = True
    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        ctx.alpha = alpha
        ctx.save_for_backward(x)
        # expm1 of min(x, 0): exact near 0 and no overflow for large positive x
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        pos = ctx.ns.mask(x > 0, g)
        neg = 1 - pos
        # exp(x * neg) is exp(x) where x <= 0 and exp(0) elsewhere: never overflows
        return g * (pos + neg * ctx.alpha * ctx.ns.exp(x * neg)), None


_SQRT1_2 = 0.7071067811865476  # 1 / sqrt(2)
_INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)
_SQRT_2_PI = 0.7978845608028654  # sqrt(2 / pi)


class Gelu(Function):
    """y = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt(2))) / 2      (approximate='none')
    grad_x = g * (Phi(x) + x * phi(x)),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)

    approximate='tanh': y = x/2 * (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi), and
    grad_x = g * (1/2 (1 + t) + x/2 (1 - t^2) k (1 + 3 * 0.044715 x^2)).
    """

    __slots__ = ("tanh",)
    _raw = True
    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.tanh = approximate == "tanh"
        ctx.save_for_backward(x)
        if ctx.tanh:
            t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + t)
        return 0.5 * x * (1 + _erf(x * _SQRT1_2))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ns = ctx.ns
        if ctx.tanh:
            x2 = x * x
            t = ns.tanh(_SQRT_2_PI * (x + 0.044715 * x2 * x))
            dinner = _SQRT_2_PI * (1 + 3 * 0.044715 * x2)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner), None
        cdf = 0.5 * (1 + ns.erf(x * _SQRT1_2))
        pdf = ns.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (cdf + x * pdf), None


class Silu(Function):
    """y = x * s,  s = sigmoid(x)
    grad_x = g * s * (1 + x * (1 - s))
    """

    __slots__ = ()
    _raw = True
    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = ctx.ns.sigmoid(x)
        return g * s * (1 + x * (1 - s))


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta,  or x where beta x > threshold
    grad_x = g * sigmoid(beta x),  or g where beta x > threshold

    Fused for stability: log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)) never overflows.
    """

    __slots__ = ("beta", "threshold")
    _raw = True
    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.beta = beta
        ctx.threshold = threshold
        ctx.save_for_backward(x)
        z = x * beta
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        z = x * ctx.beta
        linear = ctx.ns.mask(z > ctx.threshold, g)
        return g * (linear + (1 - linear) * ctx.ns.sigmoid(z)), None, None


def _softmax_dim(dim, ndim):
    if ndim == 0:
        return None
    return dim % ndim


class Softmax(Function):
    """y_i = exp(x_i - m) / sum_j exp(x_j - m)   (over dim; m = max_j x_j)
    grad_x = y * (g - sum_j(g_j * y_j))

    Fused for stability: subtracting the max keeps exp from overflowing (same value).
    """

    __slots__ = ("dim",)
    _raw = True
    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        dim = _softmax_dim(dim, x.ndim)
        ctx.dim = dim
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        return gy - y * ctx.ns.sum(gy, ctx.dim, True), None


class LogSoftmax(Function):
    """y_i = x_i - m - log(sum_j exp(x_j - m))   (over dim; m = max_j x_j)
    grad_x = g - exp(y) * sum_j g_j

    Fused for stability: log(softmax(x)) underflows to -inf for large logits; this does not.
    """

    __slots__ = ("dim",)
    _raw = True
    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        dim = _softmax_dim(dim, x.ndim)
        ctx.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        ns = ctx.ns
        return g - ns.exp(y) * ns.sum(g, ctx.dim, True), None


# -- normalisation -------------------------------------------------------------------------------


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b   (mean, biased var over the last k dims)
    with xhat = (x - mean) * rstd and gh = g * w (N = elements normalised together):
    grad_x = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)),
    grad_w = sum over leading dims of g * xhat,  grad_b = sum over leading dims of g

    Fused for speed (one node instead of ~10). Backward recomputes mean and rstd from the saved
    x, so the same formula is differentiable again for higher-order gradients.
    """

    __slots__ = ("axes", "eps")
    _raw = True
    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, k, eps):
        axes = tuple(range(x.ndim - k, x.ndim))
        ctx.axes = axes
        ctx.eps = eps
        ctx.save_for_backward(x, w)
        mean = np.mean(x, axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        y = xc / np.sqrt(var + eps)
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        ns = ctx.ns
        axes = ctx.axes
        inputs = ctx.inputs
        n = 1
        for a in axes:
            n *= x.shape[a]
        lead = tuple(range(x.ndim - len(axes)))
        xc = x - ns.sum(x, axes, True) / n
        rstd = 1 / ns.sqrt(ns.sum(xc * xc, axes, True) / n + ctx.eps)
        xhat = xc * rstd
        grad_x = grad_w = grad_b = None
        if inputs[0] is not None:
            gh = g * w if w is not None else g
            grad_x = rstd * (gh - ns.sum(gh, axes, True) / n
                             - xhat * (ns.sum(gh * xhat, axes, True) / n))
        if inputs[1] is not None:
            grad_w = ns.sum(g * xhat, lead) if lead else g * xhat
        if inputs[2] is not None:
            grad_b = ns.sum(g, lead) if lead else g
        return grad_x, grad_w, grad_b, None, None


# -- lookup and padding --------------------------------------------------------------------------


class Embedding(Function):
    """y = W[idx]              (idx: integer array of any shape; y: idx.shape + (D,))
    grad_W = zeros(W.shape) with g's rows added at idx (repeats add up; padding_idx gets 0)
    """

    __slots__ = ("idx", "padding_idx")
    _raw = True
    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, w, idx, padding_idx=None):
        n = w.shape[0]
        if idx.size and (idx.max() >= n or idx.min() < 0):
            raise IndexError(
                f"index out of range in self (embedding: indices must be in [0, {n - 1}] for a "
                f"table of {n} rows, got values from {idx.min()} to {idx.max()})"
            )
        ctx.idx = idx
        ctx.padding_idx = padding_idx
        ctx.save_for_backward(w)
        return w[idx]

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        ns = ctx.ns
        idx = ctx.idx
        if ctx.padding_idx is not None:
            g = g * ns.unsqueeze(ns.mask(idx != ctx.padding_idx, g), -1)
        return ns.index_add(w.shape, idx, g), None, None


class ConstantPad(Function):
    """y = x surrounded by ``value`` (a negative pad crops)
    grad_x = the part of g that lies over x (zeros where x was cropped away)
    """

    __slots__ = ("full", "shape", "x_index", "y_index")
    _raw = True
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pad, value=0.0):
        # pad = (left_last, right_last, left_second_last, right_second_last, ...)
        nd = x.ndim
        widths = [(0, 0)] * nd
        x_index = [slice(None)] * nd
        for i in range(len(pad) // 2):
            d = nd - 1 - i
            lo, hi = pad[2 * i], pad[2 * i + 1]
            size = x.shape[d]
            if size + lo + hi < 0:
                raise RuntimeError(
                    f"pad: the input size {size} at dim {d} plus padding ({lo}, {hi}) gives a "
                    "negative output size"
                )
            x_index[d] = slice(max(0, -lo), size - max(0, -hi))
            widths[d] = (max(0, lo), max(0, hi))
        x_index = tuple(x_index)
        cropped = x[x_index]
        y = np.pad(cropped, widths, mode="constant", constant_values=value)
        ctx.x_index = x_index
        ctx.y_index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, cropped.shape))
        ctx.shape = x.shape
        ctx.full = cropped.shape == x.shape
        return y

    @staticmethod
    def backward(ctx, g):
        inner = g[ctx.y_index]
        if ctx.full:
            return inner, None, None
        return ctx.ns.index_put(ctx.shape, ctx.x_index, inner), None, None


class IndexPad(Function):
    """y = x[src]  along each padded dim, src mapping output positions to input positions
    grad_x = g summed back onto the positions it was copied from (index_add per padded dim)

    One rule for the non-constant modes; only the map differs: reflect mirrors without
    repeating the edge (..., 2, 1, [0, 1, 2, 3], 2, 1), replicate repeats the edge, circular
    wraps around. The subclasses carry PyTorch's node names.
    """

    __slots__ = ("maps",)
    _raw = True
    node_name = "ReflectionPad2DBackward0"

    @staticmethod
    def forward(ctx, x, pad, mode):
        maps = []
        for i in range(len(pad) // 2):
            d = x.ndim - 1 - i
            lo, hi = pad[2 * i], pad[2 * i + 1]
            n = x.shape[d]
            # a negative amount crops first; the map then works within the kept part
            first = max(0, -lo)
            m = n - first - max(0, -hi)
            pos = np.arange(-max(lo, 0), m + max(hi, 0))
            if mode == "reflect":
                period = 2 * (m - 1) if m > 1 else 1
                pos = np.abs(np.mod(pos, period))
                src = np.where(pos >= m, period - pos, pos)
            elif mode == "replicate":
                src = np.clip(pos, 0, m - 1)
            else:  # circular
                src = np.mod(pos, m)
            src = src + first
            x = np.take(x, src, axis=d)
            maps.append((d, src, n))
        ctx.maps = maps
        return x

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        for d, src, n in reversed(ctx.maps):
            moved = ns.swapaxes(g, 0, d)  # padded dim first: index_add works on rows
            shape = (n,) + tuple(moved.shape[1:])
            g = ns.swapaxes(ns.index_add(shape, src, moved), 0, d)
        return g, None, None


class ReflectionPad1d(IndexPad):
    """y = x reflected at its last dim's edges
    grad_x = g summed back onto the mirrored positions
    """

    __slots__ = ()
    node_name = "ReflectionPad1DBackward0"


class ReflectionPad2d(IndexPad):
    """y = x reflected at its last two dims' edges
    grad_x = g summed back onto the mirrored positions
    """

    __slots__ = ()
    node_name = "ReflectionPad2DBackward0"


class ReflectionPad3d(IndexPad):
    """y = x reflected at its last three dims' edges
    grad_x = g summed back onto the mirrored positions
    """

    __slots__ = ()
    node_name = "ReflectionPad3DBackward0"


class ReplicationPad1d(IndexPad):
    """y = x with its last dim's edge values repeated outward
    grad_x = g summed back onto the edge positions it copied
    """

    __slots__ = ()
    node_name = "ReplicationPad1DBackward0"


class ReplicationPad2d(IndexPad):
    """y = x with its last two dims' edge values repeated outward
    grad_x = g summed back onto the edge positions it copied
    """

    __slots__ = ()
    node_name = "ReplicationPad2DBackward0"


class ReplicationPad3d(IndexPad):
    """y = x with its last three dims' edge values repeated outward
    grad_x = g summed back onto the edge positions it copied
    """

    __slots__ = ()
    node_name = "ReplicationPad3DBackward0"


class CircularPad(IndexPad):
    """y = x wrapped around periodically at its last dims
    grad_x = g summed back onto the wrapped positions
    """

    __slots__ = ()
    node_name = "CopySlices"


class LstmCell(Function):
    """[h', c'] = [o * tanh(c'), f * c + i * g],  i, f, o = sigmoid(.), g = tanh(.) of the
    4 gate blocks of ``gates`` (N, 4H); c (N, H); output (N, 2H)
    with dc' = g_c + g_h * o * (1 - tanh(c')^2):  grad_c = dc' * f, grad_gates = [dc' * g *
    i (1 - i), dc' * c * f (1 - f), dc' * i * (1 - g^2), g_h * tanh(c') * o (1 - o)]

    Fused for speed: one node per LSTM step instead of a dozen. Backward recomputes the gate
    activations from the saved ``gates``, so it stays differentiable for higher orders.
    """

    __slots__ = ()
    _raw = True
    node_name = "LstmCellBackward0"

    @staticmethod
    def forward(ctx, gates, c):
        hid = c.shape[-1]
        ctx.save_for_backward(gates, c)
        i = _sigmoid(gates[..., :hid])
        f = _sigmoid(gates[..., hid:2 * hid])
        g = np.tanh(gates[..., 2 * hid:3 * hid])
        o = _sigmoid(gates[..., 3 * hid:])
        c2 = f * c + i * g
        return np.concatenate([o * np.tanh(c2), c2], axis=-1)

    @staticmethod
    def backward(ctx, grad):
        gates, c = ctx.saved_tensors
        ns = ctx.ns
        hid = c.shape[-1]
        i = ns.sigmoid(gates[..., :hid])
        f = ns.sigmoid(gates[..., hid:2 * hid])
        g = ns.tanh(gates[..., 2 * hid:3 * hid])
        o = ns.sigmoid(gates[..., 3 * hid:])
        tc2 = ns.tanh(f * c + i * g)
        g_h, g_c = grad[..., :hid], grad[..., hid:]
        dc2 = g_c + g_h * o * (1 - tc2 * tc2)
        grad_gates = ns.cat([dc2 * g * i * (1 - i), dc2 * c * f * (1 - f),
                             dc2 * i * (1 - g * g), g_h * tc2 * o * (1 - o)], -1)
        grad_c = dc2 * f if ctx.inputs[1] is not None else None
        return grad_gates, grad_c


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt
    grad_x = g * 2/sqrt(pi) * exp(-x^2)
    """

    __slots__ = ()
    _raw = True
    node_name = "ErfBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2 * _INV_SQRT_2PI * _SQRT2) * ctx.ns.exp(-x * x)


_SQRT2 = 1.4142135623730951
