"""``Adamax``: Adam with the infinity norm in place of the root mean square."""

from __future__ import annotations

import numpy as np

from ..tensor import _counter
from ._common import check_betas, check_nonneg, zeros_state
from .adam import _lerp_
from .optimizer import Optimizer, _closure_loss, _scalar_tensor
from .sgd import _no_differentiable

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7), PyTorch's formulation.

    m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps)
    p = p - lr / (1 - beta1**t) * m / u
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_nonneg(lr=lr, eps=eps)
        betas = check_betas(betas)
        check_nonneg(weight_decay=weight_decay)
        _no_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
            weight_decay = float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                x, g = p._data, p.grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                if group["maximize"]:
                    g = -g
                step_t = state["step"]._data
                step_t += 1
                if weight_decay != 0:
                    g = g + weight_decay * x
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                _lerp_(m, g, 1 - beta1)
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** float(step_t))
                x += -clr * m / u
                _counter(p)[0] += 1
        return loss
