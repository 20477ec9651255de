"""``Parameter``: a Tensor that a Module registers as learnable when assigned as an attribute."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _counter


class Parameter(Tensor):
    """A tensor that is a module's learnable weight (``requires_grad=True`` by default).

    It shares its values (and version counter) with ``data``; assigning one to a Module attribute
    registers it, so ``module.parameters()`` finds it.

    >>> import glassgrad as gg
    >>> gg.nn.Parameter(gg.ones(2))
    Parameter containing:
    tensor([1., 1.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
            vc = None
        elif isinstance(data, Tensor):
            arr = data._data
            vc = _counter(data)
        else:
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}; "
                "wrap it first: nn.Parameter(torch.tensor(...))"
            )
        self._data = arr
        self._vc = vc
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__


class Buffer(Tensor):
    """``nn.Buffer``: marks a tensor to be registered as a buffer when assigned to a Module.

    Assigning ``module.name = nn.Buffer(t)`` registers ``t`` itself (a plain Tensor) as a buffer,
    as in PyTorch 2.5+; ``persistent=False`` leaves it out of ``state_dict``.
    """

    __slots__ = ("persistent",)

    def __init__(self, data, persistent: bool = True):
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Buffer(): expected a Tensor, got {type(data).__name__}"
            )
        self._data = data._data
        self._vc = _counter(data)
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self._retains_grad = False
        self.requires_grad = data.requires_grad
        self.persistent = persistent


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules): ``materialize`` gives it one.

    It becomes a plain ``Parameter`` (the same object, so references to it stay valid).
    """

    __slots__ = ()

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        from .._dtype import to_numpy_dtype

        super().__init__(None, requires_grad)
        if dtype is not None:
            self._data = self._data.astype(to_numpy_dtype(dtype))

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the parameter ``shape`` (uninitialised values) and make it a Parameter."""
        from .._dtype import to_numpy_dtype

        npd = self._data.dtype if dtype is None else to_numpy_dtype(dtype)
        self._data = np.empty(tuple(shape), dtype=npd)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__
