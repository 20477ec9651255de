"""Parameters as one flat vector and back (for line searches, second-order methods...)."""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, _counter


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the parameters, each flattened, into one vector (differentiable)."""
    from ... import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, no graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    data = vec._data.reshape(-1)
    pointer = 0
    with no_grad():
        for p in parameters:
            n = p._data.size
            np.copyto(p._data, data[pointer:pointer + n].reshape(p._data.shape),
                      casting="unsafe")
            _counter(p)[0] += 1
            pointer += n
