"""glassgrad: a PyTorch-compatible tensor library with reverse-mode autograd on NumPy.

>>> import glassgrad as torch
>>> w = torch.tensor(0.0, requires_grad=True)
>>> loss = ((torch.tensor([2.0, 4.0]) - w * torch.tensor([1.0, 2.0])) ** 2).mean()
>>> loss.backward()
>>> w.grad
tensor(-10.)
"""

from __future__ import annotations

__version__ = "0.1.0"

import warnings as _warnings

from . import _memory  # noqa: F401  (malloc keeps freed arrays for reuse: see _memory.py)

# log(0), x / 0 and overflow give inf/nan silently in PyTorch; NumPy warns. Silence NumPy's
# floating-point RuntimeWarnings raised inside glassgrad's own modules only (the user's own
# NumPy code keeps warning), at no cost per op.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"glassgrad(\.|$)")
from . import _dtype
from ._dtype import (
    bool_,
    double,
    dtype,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from ._dtype import bool as bool  # noqa: PLC0414  (torch.bool)
from ._dtype import float as float  # noqa: PLC0414
from ._dtype import int as int  # noqa: PLC0414
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .functional import *  # noqa: F403  (torch.exp, torch.sum, torch.cat, ...)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Size, Tensor, device
from . import autograd  # noqa: E402
from . import linalg, return_types  # noqa: E402  (torch.linalg, torch.return_types)
from . import nn  # noqa: E402
# torch.conv2d, torch.max_pool2d, ...: the same functions as torch.nn.functional's
from .nn._conv_functional import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402
from .nn._pool_functional import (  # noqa: E402
    adaptive_avg_pool1d, avg_pool1d, max_pool1d, max_pool2d,
)
from . import func  # noqa: E402
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402

FloatTensor = Tensor


class cuda:  # noqa: N801
    """glassgrad computes on the CPU only."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        return None

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        return None


class backends:  # noqa: N801
    class mps:  # noqa: N801
        @staticmethod
        def is_available() -> bool:
            return False


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> int:
    return x.numel()


def get_default_dtype():
    return float32


def set_default_dtype(d) -> None:
    if d is not float32:
        raise NotImplementedError(
            "set_default_dtype: glassgrad's default dtype is fixed at float32; pass dtype= "
            "to constructors instead"
        )


def set_num_threads(n: int) -> None:
    """Accepted for compatibility; NumPy's BLAS threads are set by environment variables."""


def get_num_threads() -> int:
    import os

    return os.cpu_count() or 1


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    from . import _tensor_str

    if hasattr(_tensor_str, "set_printoptions"):
        _tensor_str.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode)
from . import optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402


def __getattr__(name):
    # `glassgrad.glass` on first use: the glass box is loaded lazily, never by the core
    if name == "glass":
        import importlib

        return importlib.import_module(".glass", __name__)
    raise AttributeError(f"module 'glassgrad' has no attribute '{name}'")
