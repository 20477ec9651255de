"""Tensor methods: _Compare (mixed into ``glassgrad.tensor.Tensor``; bodies moved verbatim)."""

from __future__ import annotations

import builtins

import numpy as np

_bool = builtins.bool

# glassgrad.tensor's names, bound by ``_bind`` once the Tensor class exists (tensor.py
# imports this module before it defines Tensor, so importing them here would be a cycle)
Tensor = _norm_dim = _wrap = None
_NAMES = (
    "Tensor", "_norm_dim", "_wrap",
)


def _bind(ns) -> None:
    """Set the module globals above from glassgrad.tensor's namespace (called once)."""
    g = globals()
    for name in _NAMES:
        g[name] = ns[name]


class _Compare:
    """Comparisons and logical ops (no gradient): ``==``/``<``..., ``& | ^ ~``, ``isnan``,
    ``all``/``any``, ``isclose``/``allclose``/``equal``."""

    __slots__ = ()

    # -- comparisons (no gradient) ------------------------------------------------------------

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def __and__(self, other):
        return _compare(np.logical_and if self._data.dtype.kind == "b" else np.bitwise_and,
                        self, other)

    def __or__(self, other):
        return _compare(np.logical_or if self._data.dtype.kind == "b" else np.bitwise_or,
                        self, other)

    def __xor__(self, other):
        return _compare(np.logical_xor if self._data.dtype.kind == "b" else np.bitwise_xor,
                        self, other)

    def __invert__(self):
        if self._data.dtype.kind == "b":
            return _wrap(np.logical_not(self._data), False, None)
        return _wrap(np.invert(self._data), False, None)

    def logical_not(self):
        return _wrap(np.logical_not(self._data), False, None)

    def logical_and(self, other):
        return _compare(np.logical_and, self, other)

    def logical_or(self, other):
        return _compare(np.logical_or, self, other)

    def logical_xor(self, other):
        return _compare(np.logical_xor, self, other)

    def isnan(self):
        return _wrap(np.isnan(self._data), False, None)

    def isinf(self):
        return _wrap(np.isinf(self._data), False, None)

    def isfinite(self):
        return _wrap(np.isfinite(self._data), False, None)

    def all(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dim(dim, self._data.ndim) if self._data.ndim else None
        return _wrap(np.asarray(np.all(self._data, axis=axis, keepdims=keepdim)), False, None)

    def any(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dim(dim, self._data.ndim) if self._data.ndim else None
        return _wrap(np.asarray(np.any(self._data, axis=axis, keepdims=keepdim)), False, None)

    def count_nonzero(self, dim=None):
        return _wrap(np.asarray(np.count_nonzero(self._data, axis=dim), dtype=np.int64), False,
                     None)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        other = other._data if isinstance(other, Tensor) else other
        return _wrap(np.isclose(self._data, other, rtol=rtol, atol=atol, equal_nan=equal_nan),
                     False, None)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return _bool(self.isclose(other, rtol, atol, equal_nan)._data.all())

    def equal(self, other) -> bool:
        """True if both have the same shape and the same values."""
        return self._data.shape == other._data.shape and _bool((self._data == other._data).all())


def _compare(fn, a, b):
    other = b._data if isinstance(b, Tensor) else b
    if isinstance(other, (list, tuple)):
        other = np.asarray(other)
    try:
        return _wrap(np.asarray(fn(a._data, other)), False, None)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({list(a._data.shape)}) must match the size of tensor b "
            f"({list(np.shape(other))})"
        ) from None
