"""Gradient clipping, in place on ``.grad`` and outside the graph (PyTorch's rules).

``clip_grad_norm_``: total = ||(||g_1||, ..., ||g_n||)||_p (the norm of all gradients as one
vector); every gradient is multiplied by min(1, max_norm / (total + 1e-6)).
"""

from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor, _counter, _wrap


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return [t for t in tensors if t is not None]


def _vector_norm(a: np.ndarray, p: float) -> float:
    a = np.abs(a.astype(np.float64, copy=False)).ravel()
    if p == math.inf:
        return float(a.max()) if a.size else 0.0
    if p == -math.inf:
        return float(a.min()) if a.size else math.inf
    if p == 0:
        return float(np.count_nonzero(a))
    if p == 1:
        return float(a.sum())
    if p == 2:
        return float(np.sqrt(np.dot(a, a)))
    return float(np.sum(a**p) ** (1.0 / p))


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The p-norm of the norms of ``tensors`` (as if they were one flat vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _wrap(np.asarray(0.0, dtype=np.float32), False, None)
    norms = np.array([_vector_norm(t._data, norm_type) for t in tensors])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _wrap(np.asarray(total, dtype=tensors[0]._data.dtype), False, None)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    grads = _grads(parameters)
    if not grads:
        return
    total = float(total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g._data *= g._data.dtype.type(coef)
        _counter(g)[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Rescale gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping.

    >>> import glassgrad as gg
    >>> w = gg.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()  # grad = [6, 8], norm 10
    >>> gg.nn.utils.clip_grad_norm_([w], 1.0)
    tensor(10.)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        _counter(g)[0] += 1
