"""Elementwise arithmetic: + - * / **, max/min, where, clamp, casts. Each docstring's first lines
are the math: the forward, then the gradient (one-input math functions live in ``unary.py``).

``g`` is dL/dy, the gradient arriving from above. Rules are written as if shapes matched: the
engine sums a gradient back to its input's shape where broadcasting widened it.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Add(Function):
    """y = a + b
    grad_a = g,  grad_b = g
    """

    __slots__ = ()
    _raw = True
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """y = a - b
    grad_a = g,  grad_b = -g
    """

    __slots__ = ()
    _raw = True
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class RSub(Function):
    """y = b - a   (a Python number on the left: ``2 - x``)
    grad_a = -g
    """

    __slots__ = ()
    _raw = True
    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, b):
        return b - a

    @staticmethod
    def backward(ctx, g):
        return -g, None


class Mul(Function):
    """y = a * b
    grad_a = g * b,  grad_b = g * a
    """

    __slots__ = ()
    _raw = True
    node_name = "MulBackward0"
    _saved_needed_by = (1, 0)  # a only for grad_b, b only for grad_a

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        inputs = ctx.inputs
        return (g * b if inputs[0] is not None else None,
                g * a if inputs[1] is not None else None)


class Div(Function):
    """y = a / b
    grad_a = g / b,  grad_b = -g * a / b**2
    """

    __slots__ = ()
    _raw = True
    node_name = "DivBackward0"
    _saved_needed_by = (1, None)  # a only for grad_b

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        inputs = ctx.inputs
        return (g / b if inputs[0] is not None else None,
                -g * a / (b * b) if inputs[1] is not None else None)


class RDiv(Function):
    """y = b / a   (a Python number on the left: ``1 / x``)
    grad_a = -g * b / a**2
    """

    __slots__ = ()
    _raw = True
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return b / a

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return -g * b / (a * a), None


class Neg(Function):
    """y = -x
    grad_x = -g
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """y = a ** b   (b a Python number)
    grad_a = g * b * a**(b-1)   (0 where b == 0, as in PyTorch)
    """

    __slots__ = ()
    _raw = True
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a**b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if b == 0:
            return 0 * g, None
        if b == 1:
            return g, None
        if b == 2:
            # x**2 -> 2*x, as a + a: the same bits as 2 * a, and NumPy adds two arrays in half
            # the time it takes to multiply one by a Python number
            return g * (a + a), None
        return g * (b * a ** (b - 1)), None


class PowTensor(Function):
    """y = a ** b   (b a tensor)
    grad_a = g * b * a**(b-1),  grad_b = g * y * log(a)   (PyTorch's 0 where b == 0 / a == 0)
    """

    __slots__ = ()
    _raw = True
    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        y = a**b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ns = ctx.ns
        inputs = ctx.inputs
        grad_a = grad_b = None
        if inputs[0] is not None:
            # b == 0 would give 0 * 0**-1 = nan at a == 0; the derivative of a**0 is 0
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_a = g * b * a ** (b - 1)
            grad_a = ns.where(b == 0, 0 * g, grad_a)
        if inputs[1] is not None:
            # log(0) = -inf; PyTorch defines the gradient as 0 where a == 0 and b >= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = g * y * ns.log(a)
            grad_b = ns.where((a == 0) & (b >= 0), 0 * g, grad_b)
        return grad_a, grad_b


class RPow(Function):
    """y = b ** a   (a Python number as the base: ``2 ** x``)
    grad_a = g * y * log(b)   (0 where b == 0 and a >= 0, as in PyTorch)
    """

    __slots__ = ("base",)
    _raw = True
    _unary = True
    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, a, b):
        y = np.power(np.asarray(b, dtype=a.dtype), a)
        ctx.save_for_backward(a, y)
        ctx.base = b
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        if ctx.base == 0:
            # log(0) = -inf: y * log(0) is -inf for a < 0; define 0 for a >= 0 (y is 0 or 1)
            with np.errstate(invalid="ignore"):
                grad_a = g * y * float("-inf")
            return ctx.ns.where(a >= 0, 0 * g, grad_a), None
        return g * y * float(np.log(ctx.base)), None


class Clamp(Function):
    """y = min(max(x, lo), hi)
    grad_x = g * (lo <= x <= hi)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = (x <= hi) if lo is None else inside & (x <= hi)
        if inside is True:
            return g, None, None
        return g * ctx.ns.mask(inside, g), None, None


class Maximum(Function):
    """y = max(a, b)
    grad_a = g * (a > b) + g/2 * (a == b),  grad_b likewise (PyTorch splits ties evenly)
    """

    __slots__ = ()
    _raw = True
    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ns = ctx.ns
        w = ns.mask(a > b, g) + 0.5 * ns.mask(a == b, g)
        return g * w, g * (1 - w)


class Minimum(Function):
    """y = min(a, b)
    grad_a = g * (a < b) + g/2 * (a == b),  grad_b likewise
    """

    __slots__ = ()
    _raw = True
    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ns = ctx.ns
        w = ns.mask(a < b, g) + 0.5 * ns.mask(a == b, g)
        return g * w, g * (1 - w)


class Where(Function):
    """y = cond ? a : b
    grad_a = g * cond,  grad_b = g * !cond
    """

    __slots__ = ()
    _raw = True
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        ns = ctx.ns
        zero = ns.zeros(g.shape, g)  # not 0 * g: an inf g would give nan where torch gives 0
        return None, ns.where(cond, g, zero), ns.where(cond, zero, g)


class Cast(Function):
    """y = x converted to another dtype
    grad_x = g converted back (the engine casts a gradient to its input's dtype)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx._exact = False  # backward's g goes back to x's dtype in the engine
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Clone(Function):
    """y = copy of x
    grad_x = g
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class CopyFrom(Function):
    """y = src broadcast into the shape of dst   (``dst.copy_(src)``)
    grad_dst = 0,  grad_src = g
    """

    __slots__ = ()
    _raw = True
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        return np.broadcast_to(src, dst.shape).astype(dst.dtype)

    @staticmethod
    def backward(ctx, g):
        return 0 * g, g


class Atan2(Function):
    """y = atan2(a, b)   (the angle of the point (b, a))
    grad_a = g * b / (a**2 + b**2),  grad_b = -g * a / (a**2 + b**2)
    """

    __slots__ = ()
    _raw = True
    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        return g * b / r2, -g * a / r2


class Remainder(Function):
    """y = a - floor(a / b) * b   (``a % b``: the sign of b, like Python)
    grad_a = g,  grad_b = -g * floor(a / b)
    """

    __slots__ = ()
    _raw = True
    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.mod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_b = None
        if ctx.inputs[1] is not None:
            grad_b = -g * ctx.ns.floor(a / b)
        return g, grad_b


class RemainderScalar(Function):
    """y = a - floor(a / b) * b   (b a Python number)
    grad_a = g
    """

    __slots__ = ()
    _raw = True
    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return np.mod(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Fmod(Function):
    """y = a - trunc(a / b) * b   (C's fmod: the sign of a)
    grad_a = g,  grad_b = -g * trunc(a / b)
    """

    __slots__ = ()
    _raw = True
    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_b = None
        if ctx.inputs[1] is not None:
            grad_b = -g * ctx.ns.trunc(a / b)
        return g, grad_b


class FmodScalar(Function):
    """y = a - trunc(a / b) * b   (b a Python number)
    grad_a = g
    """

    __slots__ = ()
    _raw = True
    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Lerp(Function):
    """y = a + w * (b - a)   (w a Python number)
    grad_a = g * (1 - w),  grad_b = g * w
    """

    __slots__ = ("weight",)
    _raw = True
    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.weight = w
        return a + w * (b - a)

    @staticmethod
    def backward(ctx, g):
        w = ctx.weight
        return g * (1 - w), g * w, None


class LerpTensor(Function):
    """y = a + w * (b - a)   (w a tensor)
    grad_a = g * (1 - w),  grad_b = g * w,  grad_w = g * (b - a)
    """

    __slots__ = ()
    _raw = True
    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return a + w * (b - a)

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        inputs = ctx.inputs
        return (g * (1 - w) if inputs[0] is not None else None,
                g * w if inputs[1] is not None else None,
                g * (b - a) if inputs[2] is not None else None)
