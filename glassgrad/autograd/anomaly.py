"""Anomaly detection: ``detect_anomaly()`` / ``set_detect_anomaly(True)``.

While it is on, every op that records a graph node also records where in the user's code it
ran (the stack, glassgrad's own frames left out), and every backward node's results are checked:
a NaN raises ``RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.``
(PyTorch's words), followed by the forward call that created that node, so the error points
at the line of the user's script rather than at the engine.

glassgrad also stops at an infinite gradient (``returned inf values``), where a NaN usually
starts (``inf * 0``); PyTorch checks NaN only: pass ``check_inf=False`` for its exact behaviour.

Off (the default) it costs nothing: it installs itself in the engine's hook lists
(``state.forward_hooks`` / ``state.backward_hooks``, checked once per op) only while on.
"""

from __future__ import annotations

import os
import traceback
import warnings
import weakref

import numpy as np

from .function import state

__all__ = [
    "detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
    "set_detect_anomaly",
]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_stacks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_settings = {"check_nan": True, "check_inf": True}


def _user_stack() -> list:
    """The current stack without glassgrad's own frames, in ``traceback`` text form."""
    frames = [f for f in traceback.extract_stack()[:-1]
              if not os.path.abspath(f.filename).startswith(_PKG_DIR + os.sep)]
    return traceback.format_list(frames)


def _on_forward(ctx, args, kwargs, result):
    """Forward hook: remember where the node this op recorded was created."""
    outs = result if isinstance(result, tuple) else (result,)
    for o in outs:
        fn = getattr(o, "grad_fn", None)
        if fn is ctx:
            _stacks[ctx] = _user_stack()
            return


def _bad(values) -> str | None:
    from ..tensor import Tensor

    arr = values._data if isinstance(values, Tensor) else values
    if not isinstance(arr, np.ndarray):
        arr = np.asarray(arr)
    if arr.dtype.kind != "f":
        return None
    if _settings["check_nan"] and np.isnan(arr).any():
        return "nan"
    if _settings["check_inf"] and np.isinf(arr).any():
        return "inf"
    return None


def _on_backward(node, g, input_grads):
    """Backward hook: a node that produced NaN (or inf) stops the backward, naming itself."""
    for i, gi in enumerate(input_grads):
        if gi is None:
            continue
        kind = _bad(gi)
        if kind is None:
            continue
        name = node.name()
        msg = f"Function '{name}' returned {kind} values in its {i}th output."
        stack = _stacks.get(node)
        if stack:
            where = "".join(stack)
            warnings.warn(
                f"Error detected in {name}. Traceback of forward call that caused the error:\n"
                f"{where}", UserWarning, stacklevel=2)
            msg += ("\n\nTraceback of forward call that caused the error (anomaly mode):\n"
                    + where.rstrip("\n"))
        else:
            msg += ("\n\nNo forward traceback was recorded for this node: it was created "
                    "before anomaly mode was enabled.")
        raise RuntimeError(msg)


def _enable(mode: bool, check_nan: bool = True, check_inf: bool = True) -> None:
    state.anomaly = bool(mode)
    _settings["check_nan"] = bool(check_nan)
    _settings["check_inf"] = bool(check_inf)
    fwd, bwd = state.forward_hooks, state.backward_hooks
    if mode:
        if _on_forward not in fwd:
            fwd.append(_on_forward)
        if _on_backward not in bwd:
            bwd.append(_on_backward)
    else:
        if _on_forward in fwd:
            fwd.remove(_on_forward)
        if _on_backward in bwd:
            bwd.remove(_on_backward)


def is_anomaly_enabled() -> bool:
    return bool(state.anomaly)


def is_anomaly_check_nan_enabled() -> bool:
    return bool(state.anomaly) and _settings["check_nan"]


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on inside it.

    >>> import glassgrad as gg
    >>> x = gg.zeros(2, requires_grad=True)
    >>> with gg.autograd.detect_anomaly():       # doctest: +SKIP
    ...     (x.sqrt() * 0).sum().backward()
    RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output. ...
    """

    def __init__(self, check_nan: bool = True, check_inf: bool = True):
        self.check_nan = check_nan
        self.check_inf = check_inf
        self._prev = None
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = (state.anomaly, _settings["check_nan"], _settings["check_inf"])
        _enable(True, self.check_nan, self.check_inf)

    def __exit__(self, *exc):
        _enable(*self._prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan, self.check_inf):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns anomaly detection on (as a call, at once; as a
    context manager, until the block ends)."""

    def __init__(self, mode: bool, check_nan: bool = True, check_inf: bool = True):
        self._prev = (state.anomaly, _settings["check_nan"], _settings["check_inf"])
        _enable(mode, check_nan, check_inf)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _enable(*self._prev)
        return False
