"""One-input math functions, elementwise: exp, log, sqrt, trig, rounding, ...

Each docstring's first lines are the math: the forward, then the gradient. ``g`` is dL/dy. Each
op takes one tensor (``_unary``: apply's loop-free path).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Exp(Function):
    """y = exp(x)
    grad_x = g * y
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Log(Function):
    """y = log(x)
    grad_x = g / x
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    """y = sqrt(x)
    grad_x = g / (2 * y)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (2 * y)


class Sin(Function):
    """y = sin(x)
    grad_x = g * cos(x)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.ns.cos(x)


class Cos(Function):
    """y = cos(x)
    grad_x = -g * sin(x)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * ctx.ns.sin(x)


class Tanh(Function):
    """y = tanh(x)
    grad_x = g * (1 - y**2)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x))
    grad_x = g * y * (1 - y)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        # exp of -|x| only: no overflow for large |x|, same value
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class Log1p(Function):
    """y = log(1 + x)   (accurate for small x)
    grad_x = g / (1 + x)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)


class Expm1(Function):
    """y = exp(x) - 1   (accurate for small x)
    grad_x = g * (y + 1)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class Reciprocal(Function):
    """y = 1 / x
    grad_x = -g * y**2
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            y = np.reciprocal(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -g * (y * y)


class Rsqrt(Function):
    """y = 1 / sqrt(x)
    grad_x = -g * y**3 / 2
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "RsqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = 1 / np.sqrt(x)
        y = y.astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -0.5 * g * (y * y * y)


class Sign(Function):
    """y = sign(x)   (-1, 0 or 1)
    grad_x = 0   (flat almost everywhere)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return 0 * g


class Relu(Function):
    """y = max(x, 0)
    grad_x = g * (y > 0)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * ctx.ns.mask(y > 0, g)


class Abs(Function):
    """y = |x|
    grad_x = g * sign(x)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.ns.sign(x)


class Tan(Function):
    """y = tan(x)
    grad_x = g * (1 + y**2)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 + y * y)


class Asin(Function):
    """y = asin(x)
    grad_x = g / sqrt(1 - x**2)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "AsinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / ctx.ns.sqrt(1 - x * x)


class Acos(Function):
    """y = acos(x)
    grad_x = -g / sqrt(1 - x**2)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "AcosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / ctx.ns.sqrt(1 - x * x)


class Atan(Function):
    """y = atan(x)
    grad_x = g / (1 + x**2)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "AtanBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Sinh(Function):
    """y = sinh(x)
    grad_x = g * cosh(x)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "SinhBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.ns.cosh(x)


class Cosh(Function):
    """y = cosh(x)
    grad_x = g * sinh(x)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "CoshBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.ns.sinh(x)


class Log2(Function):
    """y = log2(x)
    grad_x = g / (x * ln 2)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "Log2Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * 0.6931471805599453)


class Log10(Function):
    """y = log10(x)
    grad_x = g / (x * ln 10)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "Log10Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * 2.302585092994046)


class Floor(Function):
    """y = floor(x)   (the largest integer <= x)
    grad_x = 0   (flat between the steps)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "FloorBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.floor(x)

    @staticmethod
    def backward(ctx, g):
        return 0 * g


class Ceil(Function):
    """y = ceil(x)   (the smallest integer >= x)
    grad_x = 0
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "CeilBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)

    @staticmethod
    def backward(ctx, g):
        return 0 * g


class Trunc(Function):
    """y = trunc(x)   (rounded toward 0)
    grad_x = 0
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "TruncBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return 0 * g


class Round(Function):
    """y = round(x)   (halves to even, like PyTorch and NumPy)
    grad_x = 0
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "RoundBackward0"

    @staticmethod
    def forward(ctx, x, decimals=0):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return 0 * g, None


class RoundDecimals(Round):
    """y = round(x * 10**d) / 10**d   (``round(decimals=d)``)
    grad_x = 0
    """

    __slots__ = ()
    node_name = "RoundBackward1"


class NanToNum(Function):
    """y = x with NaN -> nan, +inf -> posinf, -inf -> neginf
    grad_x = g where x is finite, 0 elsewhere
    """

    __slots__ = ("finite",)
    _raw = True
    _unary = True
    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.finite = np.isfinite(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.ns.mask(ctx.finite, g), None, None, None
