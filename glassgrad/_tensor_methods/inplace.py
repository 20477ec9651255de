"""Tensor methods: _InPlace (mixed into ``glassgrad.tensor.Tensor``; bodies moved verbatim)."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..autograd import function as _function
from ..autograd.grad_mode import _mode
from ..ops.elementwise import Add, Div, Mul, Sub

_bool = builtins.bool
# the Python operator for each in-place ufunc: what NumPy scalars compute fastest with
_SCALAR_OPS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
               np.true_divide: operator.truediv}
_float = builtins.float
_int = builtins.int

# glassgrad.tensor's names, bound by ``_bind`` once the Tensor class exists (tensor.py
# imports this module before it defines Tensor, so importing them here would be a cycle)
Tensor = _CATEGORY = _NoGrad = _OVERLAP_MSG = _bool_sub_error = _counter = None
_inplace_on_view = _is_bool = _result_dtype = _wrap = None
_NAMES = (
    "Tensor", "_CATEGORY", "_NoGrad", "_OVERLAP_MSG", "_bool_sub_error", "_counter",
    "_inplace_on_view", "_is_bool", "_result_dtype", "_wrap",
)


def _bind(ns) -> None:
    """Set the module globals above from glassgrad.tensor's namespace (called once)."""
    g = globals()
    for name in _NAMES:
        g[name] = ns[name]


class _InPlace:
    """In-place ops (``add_``, ``zero_``, ``copy_``, ``x += y`` ...), random fills and the
    in-place versions of one-input math: each checks, computes, then bumps the version counter."""

    __slots__ = ()

    # -- in-place ops -------------------------------------------------------------------------

    def _check_inplace(self):
        if not _mode.enabled:
            return
        if self.grad_fn is None:
            if self.requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
        elif _views_grad_leaf(self):
            raise RuntimeError(_VIEW_OF_LEAF_MSG)

    def _inplace(self, op, other, *extra) -> Tensor:
        """Apply ``op`` and write the result into this tensor's memory.

        Outside the graph this is one NumPy call. When the result must be recorded, the op runs
        out of place on a snapshot of the old value and this tensor takes over the new node, as
        PyTorch rebases an in-place op's history.
        """
        self._check_inplace()
        if not self._data.flags.writeable:
            raise RuntimeError(_OVERLAP_MSG)  # an expand()ed view: elements share memory
        other_rg = isinstance(other, Tensor) and other.requires_grad
        if _mode.enabled and (self.requires_grad or other_rg):
            old = _wrap(self._data.copy(), self.requires_grad, self.grad_fn)
            if self.grad_fn is not None and self.grad_fn._nout != 1:
                old._oidx = self._oidx  # which output of a multi-output node it was
            # nodes recorded so far keep routing this tensor's gradient to its old history
            # (the engine follows ``_seq``); only later consumers see the in-place node
            if other is self:
                other = old  # x.add_(x): the operand is x before the change, not the node itself
            res = op.apply(old, other, *extra)
            out = res._data
            if out.shape != self._data.shape:
                raise RuntimeError(
                    f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                    f"shape {list(out.shape)}"
                )
            if out.dtype != self._data.dtype:
                _check_cast(self._data, other)
            # the node saved the snapshot and its own fresh output, never this tensor's memory,
            # so later in-place changes to this tensor cannot corrupt its backward
            np.copyto(self._data, out, casting="unsafe")
            view_fn = self.grad_fn
            self.grad_fn = res.grad_fn
            self.requires_grad = True
            _counter(self)[0] += 1
            if view_fn is not None and view_fn.inputs:
                _inplace_on_view(self, view_fn)
            return self
        with _NoGrad():
            res = op.apply(self, other, *extra)
        out = res._data
        if out.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(out.shape)}"
            )
        if out.dtype != self._data.dtype:
            _check_cast(self._data, other)
        np.copyto(self._data, out, casting="unsafe")
        _counter(self)[0] += 1
        return self

    def _inplace_ufunc(self, op, ufunc, other) -> Tensor:
        """``self op= other``: one NumPy call when nothing is recorded, else ``_inplace``."""
        if isinstance(other, Tensor):
            if _mode.enabled and (self.requires_grad or other.requires_grad):
                return self._inplace(op, other)
            o = other._data
        else:
            if _mode.enabled and self.requires_grad:
                return self._inplace(op, other)
            o = other
        data = self._data
        try:
            if data.ndim:
                ufunc(data, o, out=data)
            else:
                # a 0-d tensor (a scalar weight): NumPy's in-place call there takes about eight
                # times as long as the operator on NumPy scalars (x[()]) and a store. Where the
                # result's dtype is not data's, the in-place call gives NumPy's casting rule
                # (and its error)
                res = _SCALAR_OPS[ufunc](data[()], o[()] if o.__class__ is np.ndarray else o)
                if res.dtype is data.dtype:
                    data[()] = res
                else:
                    ufunc(data, o, out=data)
        except (TypeError, ValueError):
            return self._inplace(op, other)  # PyTorch's error wording for dtype/shape faults
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1
        return self

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace_ufunc(Add, np.add, other)

    def sub_(self, other, alpha=1):
        if self._data.dtype.kind == "b" or _is_bool(other):
            raise _bool_sub_error(self, other)
        if alpha != 1:
            other = other * alpha
        return self._inplace_ufunc(Sub, np.subtract, other)

    def mul_(self, other):
        return self._inplace_ufunc(Mul, np.multiply, other)

    def div_(self, other):
        if self._data.dtype.kind != "f":
            return self._inplace(Div, other)  # true division: an integer tensor can't hold it
        return self._inplace_ufunc(Div, np.true_divide, other)

    def pow_(self, other):
        from ..ops.elementwise import Pow, PowTensor

        return self._inplace(Pow if type(other) in (_int, _float) else PowTensor, other)

    def clamp_(self, min=None, max=None):  # noqa: A002
        from ..ops.elementwise import Clamp

        self._check_inplace()
        return self._inplace(Clamp, min, max)

    clip_ = clamp_

    def zero_(self) -> Tensor:
        self._check_inplace()
        if _mode.enabled and self.requires_grad:
            from ..ops.inplace import Zero

            return self._inplace(Zero, None)
        self._data[...] = 0
        _counter(self)[0] += 1
        return self

    def fill_(self, value) -> Tensor:
        self._check_inplace()
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value._data.ndim} dimensions."
                )
            if _mode.enabled and (self.requires_grad or value.requires_grad):
                from ..ops.inplace import FillTensor

                return self._inplace(FillTensor, value)
            value = value._data
        elif _mode.enabled and self.requires_grad:
            from ..ops.inplace import Fill

            return self._inplace(Fill, value)
        self._data[...] = value
        _counter(self)[0] += 1
        return self

    # -- in-place random fills (glassgrad's NumPy generator: other numbers than PyTorch's) ----

    def _fill_random(self, draw, generator) -> Tensor:
        from ..random import _rng

        self._check_inplace()
        self._data[...] = draw(_rng(generator), self._data.shape)
        _counter(self)[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None) -> Tensor:
        """Fill with numbers drawn uniformly from [a, b)."""
        return self._fill_random(lambda rng, shape: rng.uniform(a, b, shape), generator)

    def normal_(self, mean=0.0, std=1.0, generator=None) -> Tensor:
        """Fill with numbers drawn from N(mean, std**2)."""
        return self._fill_random(lambda rng, shape: rng.normal(mean, std, shape), generator)

    def bernoulli_(self, p=0.5, generator=None) -> Tensor:
        """Fill with 1 (probability p) or 0."""
        p = p._data if isinstance(p, Tensor) else p
        return self._fill_random(lambda rng, shape: rng.random(shape) < p, generator)

    def exponential_(self, lambd=1.0, generator=None) -> Tensor:
        """Fill with numbers drawn from Exp(lambd)."""
        return self._fill_random(lambda rng, shape: rng.exponential(1.0 / lambd, shape),
                                 generator)

    def random_(self, from_=0, to=None, generator=None) -> Tensor:
        """Fill with integers from [from_, to) (``random_(n)``: [0, n))."""
        if to is None:
            from_, to = 0, from_
        return self._fill_random(lambda rng, shape: rng.integers(from_, to, shape), generator)

    def copy_(self, src, non_blocking=False) -> Tensor:
        self._check_inplace()
        if _mode.enabled and (self.requires_grad or (isinstance(src, Tensor) and
                                                     src.requires_grad)):
            from ..ops.elementwise import CopyFrom

            return self._inplace(CopyFrom, src)
        src_data = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self._data, np.broadcast_to(src_data, self._data.shape), casting="unsafe")
        except ValueError:
            raise RuntimeError(
                f"copy_: the size of src {list(np.shape(src_data))} must be broadcastable to "
                f"self {list(self._data.shape)}"
            ) from None
        _counter(self)[0] += 1
        return self

    # ``x -= y`` is ``x.sub_(y)``: the same functions (one frame fewer on every update)
    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ipow__ = pow_

    # in-place versions of one-input math: recorded as the out-of-place op (torch's node names)
    def relu_(self):
        return self._inplace_from(Tensor.relu, None)

    def exp_(self):
        return self._inplace_from(Tensor.exp, None)

    def log_(self):
        return self._inplace_from(Tensor.log, None)

    def sqrt_(self):
        return self._inplace_from(Tensor.sqrt, None)

    def sigmoid_(self):
        return self._inplace_from(Tensor.sigmoid, None)

    def tanh_(self):
        return self._inplace_from(Tensor.tanh, None)

    def abs_(self):
        return self._inplace_from(Tensor.abs, None)

    def neg_(self):
        return self._inplace_from(Tensor.neg, None)

    def sin_(self):
        return self._inplace_from(Tensor.sin, None)

    def cos_(self):
        return self._inplace_from(Tensor.cos, None)

    def square_(self):
        return self._inplace_from(Tensor.square, None)

    def reciprocal_(self):
        return self._inplace_from(Tensor.reciprocal, None)

    def floor_(self):
        return self._inplace_from(Tensor.floor, None)

    def ceil_(self):
        return self._inplace_from(Tensor.ceil, None)

    def round_(self, decimals=0):
        return self._inplace_from(lambda t: t.round(decimals), None)

    def trunc_(self):
        return self._inplace_from(Tensor.trunc, None)

    def clamp_min(self, min):  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        return self.clamp(max=max)

    def clamp_min_(self, min):  # noqa: A002
        return self.clamp_(min=min)

    def clamp_max_(self, max):  # noqa: A002
        return self.clamp_(max=max)

    def _inplace_from(self, op, other):
        """Run the out-of-place ``op`` and write its result into this tensor (recorded like
        masked_fill_: a stand-in carries the old history)."""
        self._check_inplace()
        o_rg = isinstance(other, Tensor) and other.requires_grad
        if _mode.enabled and (self.requires_grad or o_rg):
            old = _wrap(self._data, self.requires_grad, self.grad_fn)
            return self._take(op(old))
        with _NoGrad():
            res = op(self)
        np.copyto(self._data, res._data)
        _counter(self)[0] += 1
        return self


_VIEW_OF_LEAF_MSG = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def _views_grad_leaf(t, depth: int = 8) -> bool:
    """Whether ``t`` is a view (through up to ``depth`` view ops) of a leaf that requires grad:
    PyTorch refuses to change such a view in place, since that would change the leaf."""
    fn = t.grad_fn
    if fn is None or depth == 0 or not fn.inputs:
        return False
    data = t._data
    for base in fn.inputs:
        if base is None or not np.may_share_memory(data, base._data):
            continue
        if base.grad_fn is None:
            if base.requires_grad:
                return True
        elif _views_grad_leaf(base, depth - 1):
            return True
    return False


def _check_cast(data, other) -> None:
    """``data op= other`` may not move down a category (float -> int, int -> bool), torch's error.

    The result type is PyTorch's (a Python float is float32), not the NumPy result's.
    """
    target = data.dtype
    if isinstance(other, Tensor):
        result = _result_dtype(data, other._data)
    elif isinstance(other, _bool) or other is None:
        result = target
    elif isinstance(other, _int):
        result = target if target.kind != "b" else np.dtype(np.int64)
    elif isinstance(other, _float):
        result = target if target.kind == "f" else np.dtype(np.float32)
    else:
        result = np.result_type(data, other)
    if _CATEGORY[result.kind] > _CATEGORY[target.kind]:
        names = _function._TYPE_NAMES
        raise RuntimeError(
            f"result type {names[result.name]} can't be cast to the desired output type "
            f"{names[target.name]}"
        )
