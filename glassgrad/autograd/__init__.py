"""Reverse-mode automatic differentiation: ``backward``, grad mode, ``Function``."""

from __future__ import annotations

import numpy as np

from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import Function, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function",
    "GradcheckError",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
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


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from ..tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, kept as PyTorch keeps it: ``Variable(t, requires_grad)`` returns a
    new leaf Tensor sharing ``t``'s data, and every Tensor is an instance of ``Variable``."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from ..tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(
                f"Variable data has to be a tensor, but got {type(data).__name__}"
            )
        if volatile:
            import warnings

            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        return t


def _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """``is_grads_batched=True``: the first dim of each grad_output indexes independent
    backward passes (a loop here, where PyTorch uses vmap); results are stacked along it."""
    from ..tensor import Tensor, _wrap

    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    gos = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n = gos[0].shape[0]
    per = []
    for k in range(n):
        go_k = [None if g is None else _wrap(np.ascontiguousarray(g._data[k]), False, None)
                for g in gos]
        keep = True if k < n - 1 else retain_graph
        per.append(grad(outs, inputs, go_k, retain_graph=keep, create_graph=create_graph,
                        allow_unused=allow_unused, materialize_grads=materialize_grads))
    result = []
    for j in range(len(per[0])):
        col = [p[j] for p in per]
        if col[0] is None:
            result.append(None)
        elif create_graph and any(c.requires_grad for c in col):
            from ..ops import tensor_ns

            result.append(tensor_ns.cat([c.unsqueeze(0) for c in col], 0))
        else:
            result.append(_wrap(np.stack([c._data for c in col]), False, None))
    return tuple(result)


_warned_cycle = [False]


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
    if create_graph and not _warned_cycle[0]:
        _warned_cycle[0] = True  # once per process, as PyTorch
        import warnings

        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.", UserWarning, stacklevel=3)
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        g = _root_grad(t, g, i)
        if create_graph:
            from ..tensor import _wrap

            gt = grad_tensors[i]
            g = gt if isinstance(gt, Tensor) else _wrap(g, False, None)
        roots.append(g)
    if inputs is None:
        run_backward(tensors, roots, retain_graph, create_graph)
        return
    # backward(inputs=...): gradients go into the .grad of these tensors only
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError("backward() received an empty list of inputs")
    got = run_backward(tensors, roots, retain_graph, create_graph, capture=list(inputs))
    from .engine import _accumulate_into

    for t, g in zip(inputs, got):
        if g is not None:
            _accumulate_into(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not put in ``.grad``.

    ``inputs`` may be leaves or intermediate tensors. With ``create_graph=True`` the returned
    gradients are themselves differentiable (higher-order derivatives).

    >>> import glassgrad as gg
    >>> x = gg.tensor(3.0, requires_grad=True)
    >>> (dx,) = gg.autograd.grad(x ** 3, x, create_graph=True)
    >>> dx, gg.autograd.grad(dx, x)[0]
    (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    from ..tensor import Tensor, _wrap

    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        return _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,)
    else:
        grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(grad_outputs)} grad_outputs "
            f"and {len(outputs)} outputs"
        )
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = []
    root_grads = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        arr = _root_grad(t, g, i)
        if create_graph:
            arr = g if isinstance(g, Tensor) else _wrap(arr, False, None)
        roots.append(t)
        root_grads.append(arr)
    if retain_graph is None:
        retain_graph = create_graph
    got = run_backward(roots, root_grads, retain_graph, create_graph, capture=list(inputs))
    result = []
    for i, (t, g) in enumerate(zip(inputs, got)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = _wrap(np.zeros_like(t._data), False, None)
        elif not isinstance(g, Tensor):
            g = _wrap(np.array(g, dtype=t._data.dtype), False, None)
        result.append(g)
    return tuple(result)


from . import functional  # noqa: F401  (torch.autograd.functional; it uses grad above)
