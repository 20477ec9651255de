"""Grad mode: whether ops record the graph. ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The state is one class attribute, read once per op (``_mode.enabled``).
"""

from __future__ import annotations

import functools

_new = object.__new__


class _GradMode:
    """Whether ops record the graph: ``_mode.enabled``, read on every op (an instance slot, which
    Python 3.11 reads faster than a class attribute)."""

    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    return _mode.enabled


class _GradModeContext:
    """Base for the context managers; each one also works as a decorator."""

    __slots__ = ("__dict__", "_prev")  # __dict__: inference_mode keeps its own _target
    _target = True

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self._target
        return None

    def __exit__(self, exc_type, exc, tb):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class _NoParamDecorator(_GradModeContext):
    """Also usable bare, ``@no_grad`` without parentheses, as in PyTorch 2."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return _new(cls)  # object.__new__: `with no_grad():` runs once per training step
        return cls()(orig_func)


class no_grad(_NoParamDecorator):  # noqa: N801
    """Ops inside record no graph. Use as ``with glassgrad.no_grad():`` or as a decorator.

    >>> import glassgrad
    >>> w = glassgrad.tensor(1.0, requires_grad=True)
    >>> with glassgrad.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    _target = False


class enable_grad(_NoParamDecorator):  # noqa: N801
    """Turn recording back on inside a ``no_grad`` block."""

    _target = True


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad`` (glassgrad has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare ``@inference_mode`` on a function, as in PyTorch

    def __init__(self, mode: bool = True):
        self._target = not mode

    def __call__(self, fn):
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode: as a function call it takes effect at once, as a context it restores."""

    def __init__(self, mode: bool):
        self._prev = _mode.enabled
        self._target = bool(mode)
        _mode.enabled = self._target

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        target = self._target
        _mode.enabled = self._prev  # used as a decorator: the call above must not stick

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return fn(*args, **kwargs)

        return wrapper
