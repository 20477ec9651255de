"""Top-level functions (``glassgrad.exp(x)``, ``glassgrad.sum(x, dim)``, ``glassgrad.cat``...).

Each is a thin call into the same op the Tensor method uses.
"""

from __future__ import annotations

from .tensor import Tensor, _binary, _operand
from .ops.elementwise import Maximum, Minimum, Where

__all__ = [
    "abs", "add", "clamp", "clip", "cos", "div", "exp", "flatten", "log", "matmul", "maximum",
    "mean", "minimum", "mm", "mul", "neg", "permute", "pow", "relu", "reshape", "sigmoid",
    "sin", "sqrt", "squeeze", "sub", "sum", "t", "tanh", "transpose", "unsqueeze", "where",
    "softmax", "log_softmax",
]


def abs(x):  # noqa: A001
    return x.abs()


def add(x, other, alpha=1):
    return x.add(other, alpha=alpha)


def sub(x, other, alpha=1):
    return x.sub(other, alpha=alpha)


def mul(x, other):
    return x * other


def div(x, other, rounding_mode=None):
    return x.div(other, rounding_mode=rounding_mode)


def pow(x, exponent):  # noqa: A001
    if not isinstance(x, Tensor):
        return exponent.__rpow__(x)
    return x**exponent


def neg(x):
    return -x


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def sin(x):
    return x.sin()


def cos(x):
    return x.cos()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def softmax(x, dim, dtype=None):
    return x.softmax(dim, dtype=dtype)


def log_softmax(x, dim, dtype=None):
    return x.log_softmax(dim, dtype=dtype)


def relu(x):
    return x.relu()


def clamp(x, min=None, max=None):  # noqa: A002
    return x.clamp(min, max)


clip = clamp


def maximum(a, b):
    return _binary(Maximum, a, b)


def minimum(a, b):
    return _binary(Minimum, a, b)


def where(condition, a, b):
    """Elementwise ``a`` where ``condition`` else ``b``, with gradients to both."""
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    if ref is None:
        from .creation import tensor

        ref = tensor(a)
    a = _operand(a, ref)
    b = _operand(b, ref)
    if a._data.dtype != b._data.dtype:
        from .tensor import _result_dtype

        rt = _result_dtype(a._data, b._data)
        a, b = a.to(rt), b.to(rt)
    cond = condition._data if isinstance(condition, Tensor) else condition
    return Where.apply(cond, a, b)


def matmul(a, b):
    return a @ b


mm = matmul


def sum(x, dim=None, keepdim=False, dtype=None):  # noqa: A001
    return x.sum(dim, keepdim, dtype=dtype)


def mean(x, dim=None, keepdim=False, dtype=None):
    return x.mean(dim, keepdim, dtype=dtype)


def reshape(x, shape):
    return x.reshape(shape)


def flatten(x, start_dim=0, end_dim=-1):
    return x.flatten(start_dim, end_dim)


def squeeze(x, dim=None):
    return x.squeeze(dim)


def unsqueeze(x, dim):
    return x.unsqueeze(dim)


def permute(x, dims):
    return x.permute(dims)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def t(x):
    return x.t()
