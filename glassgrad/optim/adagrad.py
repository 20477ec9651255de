"""``Adagrad``: per-coordinate step sizes from the sum of squared gradients."""

from __future__ import annotations

import numpy as np

from ..tensor import _counter, _wrap
from ._common import check_nonneg
from .optimizer import Optimizer, _closure_loss, _scalar_tensor
from .sgd import _no_differentiable

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's formulation.

    t = t + 1;  g = grad (+ weight_decay * p);  clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g;  p = p - clr * g / (sqrt(s) + eps)

    >>> import glassgrad as gg
    >>> w = gg.tensor([1.0], requires_grad=True)
    >>> opt = gg.optim.Adagrad([w], lr=0.1)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None) -> None:
        check_nonneg(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                     initial_accumulator_value=initial_accumulator_value, eps=eps)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # PyTorch makes Adagrad's state eagerly, so state_dict() has it before the first step
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p) -> dict:
        state = self.state[p]
        state["step"] = _scalar_tensor(0.0)
        init = self.defaults["initial_accumulator_value"]
        state["sum"] = _wrap(np.full_like(p._data, init), False, None)
        return state

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = float(group["lr_decay"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                g = p.grad._data
                state = self.state[p]
                if len(state) == 0:
                    state = self._init_state(p)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * x
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                s += 1.0 * g * g
                std = np.sqrt(s)
                std += eps
                x += -clr * g / std
                _counter(p)[0] += 1
        return loss
