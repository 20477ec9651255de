"""dtypes with PyTorch's names (``glassgrad.float32`` ...), each backed by a NumPy dtype.

A Tensor stores only its ndarray; ``Tensor.dtype`` maps the array's dtype back to one of these
objects through a dict, so no dtype object lives on the hot path.
"""

from __future__ import annotations

import builtins

import numpy as np

# What repr() prints before the dtype name. `glassgrad run` sets it to "torch" so that a script
# that prints `x.dtype` prints what it prints under PyTorch.
_PREFIX = ["glassgrad"]


class dtype:
    __slots__ = ("is_complex", "is_floating_point", "is_signed", "itemsize", "name", "np")

    def __init__(self, name: str, np_dtype, is_floating_point: bool, is_signed: bool):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.is_complex = False
        self.is_signed = is_signed
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"{_PREFIX[0]}.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float32 = dtype("float32", np.float32, True, True)
float64 = dtype("float64", np.float64, True, True)
float16 = dtype("float16", np.float16, True, True)
int64 = dtype("int64", np.int64, False, True)
int32 = dtype("int32", np.int32, False, True)
int16 = dtype("int16", np.int16, False, True)
int8 = dtype("int8", np.int8, False, True)
uint8 = dtype("uint8", np.uint8, False, False)
bool_ = dtype("bool", np.bool_, False, False)

# PyTorch's aliases
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
bool = bool_

ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The glassgrad dtype for a NumPy dtype; a clear error for one glassgrad lacks."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype)}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_numpy_dtype(d) -> np.dtype:
    """Accept a glassgrad dtype, a NumPy dtype, a Python type or a string."""
    if type(d) is dtype:
        return d.np
    if d is None:
        return float32.np
    if hasattr(d, "np") and hasattr(d, "name"):
        return d.np
    if d is builtins.float:  # PyTorch maps Python's float to float64
        return float64.np
    if d is builtins.int:
        return int64.np
    if d is builtins.bool:
        return bool_.np
    if isinstance(d, str):
        name = d.replace("torch.", "").replace("glassgrad.", "")
        if name in _NAMES:
            return _NAMES[name].np
        aliases = {"float": float32, "double": float64, "half": float16, "long": int64,
                   "int": int32, "short": int16}
        if name in aliases:
            return aliases[name].np
    # a torch.dtype passed in by a script that mixes libraries
    text = str(d)
    if text.startswith("torch."):
        return to_numpy_dtype(text)
    return np.dtype(d)

