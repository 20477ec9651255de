"""``Rprop``: resilient backpropagation, steps from the sign of the gradient only."""

from __future__ import annotations

import numpy as np

from ..tensor import _counter, _wrap
from ._common import check_nonneg, zeros_state
from .optimizer import Optimizer, _closure_loss, _scalar_tensor
from .sgd import _no_differentiable

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun), PyTorch's formulation.

    s = sign(g * g_prev): each coordinate's step size grows by etas[1] where s > 0, shrinks by
    etas[0] where s < 0 (and that gradient is zeroed), clamped to ``step_sizes``;
    p = p - sign(g) * step_size;  g_prev = g
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_nonneg(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _no_differentiable(differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = float(group["etas"][0]), float(group["etas"][1])
            size_min, size_max = float(group["step_sizes"][0]), float(group["step_sizes"][1])
            for p in group["params"]:
                if p.grad is None:
                    continue
                x, g = p._data, p.grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["prev"] = zeros_state(p)
                    state["step_size"] = _wrap(np.full_like(g, float(group["lr"])), False, None)
                state["step"]._data += 1
                if group["maximize"]:
                    g = -g
                prev, size = state["prev"]._data, state["step_size"]._data
                sign = np.sign(g * prev)
                sign[sign > 0] = etaplus
                sign[sign < 0] = etaminus
                sign[sign == 0] = 1
                size *= sign
                np.clip(size, size_min, size_max, out=size)
                g = g.copy()
                g[sign == etaminus] = 0
                x += -1.0 * np.sign(g) * size
                prev[...] = g
                _counter(p)[0] += 1
        return loss
