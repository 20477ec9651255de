"""``glassgrad.nn``: modules, parameters, ``functional`` and ``init`` (PyTorch's ``torch.nn``)."""

from . import functional, init
from .activation import ReLU, Sigmoid, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .linear import Identity, Linear
from .module import Module
from .parameter import Buffer, Parameter

__all__ = [
    "Buffer", "Identity", "Linear", "Module", "ModuleDict", "ModuleList", "Parameter", "ReLU",
    "Sequential", "Sigmoid", "Tanh", "functional", "init",
]
