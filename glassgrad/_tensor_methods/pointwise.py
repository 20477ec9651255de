"""Tensor methods: _Math (mixed into ``glassgrad.tensor.Tensor``; bodies moved verbatim)."""

from __future__ import annotations

import builtins

import numpy as np

from ..ops.elementwise import Atan2, Clamp, Clone, Lerp, LerpTensor, Maximum, Minimum, Pow
from ..ops.indexing import DiagEmbed, Diagonal, Index
from ..ops.linalg import Addmm, Cross, Det, Inverse, Trace, Tril, Triu, VectorNorm
from ..ops.unary import (
    Abs,
    Acos,
    Asin,
    Atan,
    Ceil,
    Cos,
    Cosh,
    Exp,
    Expm1,
    Floor,
    Log,
    Log1p,
    Log2,
    Log10,
    NanToNum,
    Reciprocal,
    Relu,
    Round,
    RoundDecimals,
    Rsqrt,
    Sigmoid,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Tan,
    Tanh,
    Trunc,
)

_float = builtins.float
_int = builtins.int

# glassgrad.tensor's names, bound by ``_bind`` once the Tensor class exists (tensor.py
# imports this module before it defines Tensor, so importing them here would be a cycle)
Tensor = _binary = _binary_args = _floating = _norm_dim = _operand = None
_NAMES = (
    "Tensor", "_binary", "_binary_args", "_floating", "_norm_dim", "_operand",
)


def _bind(ns) -> None:
    """Set the module globals above from glassgrad.tensor's namespace (called once)."""
    g = globals()
    for name in _NAMES:
        g[name] = ns[name]


class _Math:
    """The long tail of math methods: linear algebra helpers, one-input math (``exp``, ``sin``,
    ``round`` ...), ``clamp``, ``lerp`` and friends. Each calls one op class."""

    __slots__ = ()

    def _check_square(self, name):
        shape = self._data.shape
        if len(shape) < 2:
            raise RuntimeError(
                f"{name}: The input tensor A must have at least 2 dimensions."
            )
        if shape[-1] != shape[-2]:
            raise RuntimeError(
                f"{name}: A must be batches of square matrices, but they are {shape[-2]} by "
                f"{shape[-1]} matrices"
            )
        if self._data.dtype.kind != "f":
            raise RuntimeError(
                f"{name}: Expected a floating point or complex tensor as input. Got "
                f"{self.dtype.name.capitalize()}"
            )

    def inverse(self):
        """The matrix inverse (of each matrix in a batch)."""
        self._check_square("linalg.inv")
        return Inverse._apply1(self)

    def det(self):
        """The determinant (of each matrix in a batch)."""
        self._check_square("linalg.det")
        return Det._apply1(self)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        if mat1._data.ndim != 2 or mat2._data.ndim != 2:
            raise RuntimeError("mat1 must be a matrix, got " f"{mat1._data.ndim}-D tensor"
                               if mat1._data.ndim != 2 else
                               f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
        return Addmm.apply(self, mat1, mat2, beta, alpha)

    def cross(self, other, dim=None):
        if dim is None:
            # PyTorch's (deprecated) default: the first dim of size 3
            dim = next((i for i, n in enumerate(self._data.shape) if n == 3), -1)
        d = _norm_dim(dim, self._data.ndim)
        if self._data.shape[d] != 3:
            raise RuntimeError(
                f"linalg.cross: inputs dimension {d} must have length 3. Got "
                f"{self._data.shape[d]} and {other._data.shape[d]}"
            )
        return _binary_args(Cross, self, other, d)

    def unfold(self, dimension, size, step):
        """Windows of ``size`` every ``step`` along ``dimension`` (a new last dim per window)."""
        d = _norm_dim(dimension, self._data.ndim)
        n = self._data.shape[d] if self._data.ndim else 1
        if size > n:
            raise RuntimeError(
                f"maximum size for tensor at dimension {d} is {n} but size is {size}"
            )
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        starts = np.arange(0, n - size + 1, step)
        index = starts[:, None] + np.arange(size)  # (windows, size)
        x = self if self._data.ndim else self.reshape(1)
        win = Index._apply1(x, (slice(None),) * d + (index,))  # (..., windows, size, ...)
        nd = win._data.ndim
        order = tuple(i for i in range(nd) if i != d + 1) + (d + 1,)
        return win.permute(order) if order != tuple(range(nd)) else win

    def trace(self):
        if self._data.ndim != 2:
            raise RuntimeError(
                f"trace: expected a matrix, but got tensor with dim {self._data.ndim}"
            )
        return Trace._apply1(self)

    def diag(self, diagonal=0):
        """A vector's diagonal matrix, or a matrix's diagonal as a vector (offset ``diagonal``)."""
        nd = self._data.ndim
        k = _int(diagonal)
        if nd == 1:
            n = self._data.shape[0]
            rows = np.arange(n) + max(-k, 0)
            key = (rows, rows + k)
            return DiagEmbed._apply1(self, n + abs(k), key)
        if nd == 2:
            h, w = self._data.shape
            start_r, start_c = max(-k, 0), max(k, 0)
            n = max(min(h - start_r, w - start_c), 0)
            rows = np.arange(n) + start_r
            return Diagonal._apply1(self, (rows, rows - start_r + start_c))
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{nd}D")

    def tril(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError("tril: input tensor must have at least 2 dimensions")
        return Tril._apply1(self, _int(diagonal))

    def triu(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError("triu: input tensor must have at least 2 dimensions")
        return Triu._apply1(self, _int(diagonal))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default; ``"fro"`` is p = 2)."""
        if p == "fro" or p is None:
            p = 2
        if isinstance(p, str):
            raise NotImplementedError(f"norm: p='{p}' (a matrix norm) is not supported; use "
                                      "p='fro' or a number")
        x = self if self._data.dtype.kind == "f" else self.float()
        if dtype is not None:
            x = x.to(dtype)
        return VectorNorm._apply1(x, float(p), dim, keepdim)

    def exp(self):
        return Exp._apply1(_floating(self))

    def log(self):
        return Log._apply1(_floating(self))

    def sqrt(self):
        return Sqrt._apply1(_floating(self))

    def sin(self):
        return Sin._apply1(_floating(self))

    def cos(self):
        return Cos._apply1(_floating(self))

    def tanh(self):
        return Tanh._apply1(_floating(self))

    def sigmoid(self):
        return Sigmoid._apply1(_floating(self))

    def erf(self):
        """The error function (GELU's building block)."""
        from ..ops.nnops import Erf

        return Erf.apply(_floating(self))

    def softmax(self, dim, dtype=None):
        """exp(x) / sum(exp(x)) over ``dim`` (stable: the max is subtracted first)."""
        from ..nn.functional import softmax

        return softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        """x - log(sum(exp(x))) over ``dim`` (stable for large logits)."""
        from ..nn.functional import log_softmax

        return log_softmax(self, dim, dtype=dtype)

    def relu(self):
        return Relu._apply1(self)

    def abs(self):
        return Abs._apply1(self)

    def clamp(self, min=None, max=None):  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = out.maximum(min if isinstance(min, Tensor) else _operand(min, self))
            if max is not None:
                out = out.minimum(max if isinstance(max, Tensor) else _operand(max, self))
            return out
        if self._data.dtype.kind != "f" and (type(min) is _float or type(max) is _float):
            return Clamp._apply1(self.float(), min, max)  # int clamped by a float: float32
        return Clamp._apply1(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _binary(Maximum, self, other)

    def minimum(self, other):
        return _binary(Minimum, self, other)

    def clone(self, memory_format=None):
        return Clone._apply1(self)

    def log1p(self):
        return Log1p._apply1(_floating(self))

    def log2(self):
        return Log2._apply1(_floating(self))

    def log10(self):
        return Log10._apply1(_floating(self))

    def tan(self):
        return Tan._apply1(_floating(self))

    def asin(self):
        return Asin._apply1(_floating(self))

    def acos(self):
        return Acos._apply1(_floating(self))

    def atan(self):
        return Atan._apply1(_floating(self))

    arcsin = asin
    arccos = acos
    arctan = atan

    def sinh(self):
        return Sinh._apply1(_floating(self))

    def cosh(self):
        return Cosh._apply1(_floating(self))

    def atan2(self, other):
        x = _floating(self)
        return _binary(Atan2, x, other if isinstance(other, Tensor) else _operand(other, x))

    arctan2 = atan2

    def floor(self):
        return Floor._apply1(self) if self._data.dtype.kind == "f" else self.clone()

    def ceil(self):
        return Ceil._apply1(self) if self._data.dtype.kind == "f" else self.clone()

    def trunc(self):
        return Trunc._apply1(self) if self._data.dtype.kind == "f" else self.clone()

    fix = trunc

    def round(self, decimals=0):
        if self._data.dtype.kind != "f":
            return self.clone()
        if decimals:
            return RoundDecimals._apply1(self, decimals)
        return Round._apply1(self, 0)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (the dtype's extremes by
        default)."""
        if self._data.dtype.kind != "f":
            return self.clone()
        return NanToNum._apply1(self, nan, posinf, neginf)

    def frac(self):
        return self - self.trunc()

    def lerp(self, end, weight):
        """``self + weight * (end - self)``: a straight line from self (w=0) to end (w=1)."""
        if isinstance(weight, Tensor):
            return LerpTensor.apply(self, end, weight)
        return Lerp.apply(self, end, weight)

    def expm1(self):
        return Expm1._apply1(_floating(self))

    def reciprocal(self):
        return Reciprocal._apply1(_floating(self))

    def rsqrt(self):
        return Rsqrt._apply1(_floating(self))

    def square(self):
        return _binary(Pow, self, 2)

    def sign(self):
        if self._data.dtype.kind == "b":
            return Clone._apply1(self)
        return Sign._apply1(self)
