"""Reverse-mode automatic differentiation: ``backward``, grad mode, ``Function``."""

from __future__ import annotations

import numpy as np

from .engine import run_backward
from .function import Function
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "backward",
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]


def _root_grad(t, gradient, i=0):
    """The gradient to start from: ones for a scalar, else the caller's ``gradient``."""
    from ..tensor import Size, Tensor

    if gradient is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones(t._data.shape, dtype=t._data.dtype)
    g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if g.shape != t._data.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g.shape)!r} and "
            f"output[{i}] has a shape of {Size(t._data.shape)!r}."
        )
    return g.astype(t._data.dtype, copy=False)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None,
             grad_variables=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves."""
    from ..tensor import Tensor

    if isinstance(tensors, Tensor):
        tensors = (tensors,)
        grad_tensors = (grad_tensors,)
    elif grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    if retain_graph is None:
        retain_graph = create_graph
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        g = _root_grad(t, g, i)
        if create_graph:
            from ..tensor import _wrap

            gt = grad_tensors[i]
            g = gt if isinstance(gt, Tensor) else _wrap(g, False, None)
        roots.append(g)
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported by glassgrad yet")
    run_backward(tensors, roots, retain_graph, create_graph)
