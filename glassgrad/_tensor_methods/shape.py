"""Tensor methods: _Shape (mixed into ``glassgrad.tensor.Tensor``; bodies moved verbatim)."""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from ..ops.shape import (
    Expand,
    Permute,
    Reshape,
    Squeeze,
    SqueezeDim,
    SqueezeDims,
    Transpose,
    TransposeT,
    UnsafeView,
    Unsqueeze,
)

_int = builtins.int

# glassgrad.tensor's names, bound by ``_bind`` once the Tensor class exists (tensor.py
# imports this module before it defines Tensor, so importing them here would be a cycle)
Size = _norm_dim = _shape_arg = None
_NAMES = (
    "Size", "_norm_dim", "_shape_arg",
)


def _bind(ns) -> None:
    """Set the module globals above from glassgrad.tensor's namespace (called once)."""
    g = globals()
    for name in _NAMES:
        g[name] = ns[name]


class _Shape:
    """Shape ops: ``reshape``/``view``, ``flatten``, ``squeeze``, ``permute``, ``transpose``,
    ``T``/``mT`` and ``expand``."""

    __slots__ = ()

    # -- shape --------------------------------------------------------------------------------

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if not self._data.flags.c_contiguous and not _viewable(self._data, shape):
            return UnsafeView._apply1(self, shape)  # a copy, as PyTorch's reshape makes here
        return Reshape._apply1(self, shape)

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, _int, Size)):
            return self.to(shape[0])  # view(dtype)
        shape = _shape_arg(shape)
        if not self._data.flags.c_contiguous and not _viewable(self._data, shape):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return Reshape._apply1(self, shape)

    def view_as(self, other):
        return Reshape._apply1(self, other._data.shape)

    def reshape_as(self, other):
        return Reshape._apply1(self, other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self._data.shape
        nd = len(shape)
        if nd == 0:
            return Reshape._apply1(self, (1,))
        s = _norm_dim(start_dim, nd)
        e = _norm_dim(end_dim, nd)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return Reshape._apply1(self, shape[:s] + (n,) + shape[e + 1:])

    def squeeze(self, dim=None):
        shape = self._data.shape
        if dim is None:
            new = tuple(d for d in shape if d != 1)
            return Squeeze._apply1(self, new)
        multi = isinstance(dim, (tuple, list))
        dims = dim if multi else (dim,)
        dims = {_norm_dim(d, len(shape)) for d in dims}
        # a dim whose size is not 1 is left alone (PyTorch: no error)
        new = tuple(d for i, d in enumerate(shape) if not (i in dims and d == 1))
        return (SqueezeDims if multi else SqueezeDim).apply(self, new)

    def unsqueeze(self, dim):
        return Unsqueeze._apply1(self, _norm_dim(dim, self._data.ndim + 1))

    def permute(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} is "
                f"not equal to len(dims) = {len(dims)}"
            )
        return Permute._apply1(self, tuple(_norm_dim(d, nd) for d in dims))

    def transpose(self, dim0, dim1):
        nd = self._data.ndim
        if nd == 0:
            return self
        return Transpose._apply1(self, _norm_dim(dim0, nd), _norm_dim(dim1, nd))

    swapaxes = transpose

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return TransposeT._apply1(self)

    @property
    def T(self):  # noqa: N802
        nd = self._data.ndim
        if nd != 2:
            import warnings

            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
                "to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
        return Permute._apply1(self, tuple(range(nd - 1, -1, -1)))

    @property
    def mT(self):  # noqa: N802
        return self.transpose(-2, -1)

    def expand(self, *shape):
        shape = _shape_arg(shape)
        cur = self._data.shape
        lead = len(shape) - len(cur)
        if lead < 0:
            raise RuntimeError(
                f"expand({_dtype._PREFIX[0]}.FloatTensor{{{list(cur)}}}, size={list(shape)}): the "
                f"number of sizes provided ({len(shape)}) must be greater or equal to the number "
                f"of dimensions in the tensor ({len(cur)})"
            )
        for i in range(lead):
            if shape[i] < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[i]}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
        full = tuple(cur[i - lead] if s == -1 else s for i, s in enumerate(shape))
        return Expand._apply1(self, full)

    def expand_as(self, other):
        return self.expand(other._data.shape)


def _viewable(data, shape) -> bool:
    """Whether a non-contiguous array can take ``shape`` without a copy (PyTorch's view rule)."""
    from ..ops.shape import infer_shape

    shape = infer_shape(shape, data.size)
    try:
        np.reshape(data, shape, copy=False)
    except ValueError:
        return False
    except TypeError:  # NumPy < 2.1 has no copy=: setting .shape raises if it would copy
        view = data.view()
        try:
            view.shape = shape
        except AttributeError:
            return False
    return True
