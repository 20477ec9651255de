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

# CNN layers
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    Dropout1d,
    Dropout2d,
    MaxPool1d,
    MaxPool2d,
    Upsample,
)

__all__ += [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Dropout1d",
    "Dropout2d", "MaxPool1d", "MaxPool2d", "Upsample",
]
