"""``RMSprop``: divide the gradient by a running root-mean-square (PyTorch's update rule)."""

from __future__ import annotations

import numpy as np

from ..tensor import _counter, _wrap
from ._common import check_nonneg
from .adam import _lerp_
from .optimizer import Optimizer, _closure_loss, _scalar_tensor
from .sgd import _no_differentiable

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's formulation (``eps`` outside the square root).

    g = grad (+ weight_decay * p);  v = alpha * v + (1 - alpha) * g * g
    centered: a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a * a) + eps, else d = sqrt(v) + eps
    momentum > 0: b = momentum * b + g / d;  p = p - lr * b,  else p = p - lr * g / d

    >>> import glassgrad as gg
    >>> w = gg.tensor([1.0], requires_grad=True)
    >>> opt = gg.optim.RMSprop([w], lr=0.01)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_nonneg(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            momentum = float(group["momentum"])
            centered = group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                g = p.grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _wrap(np.zeros_like(x), False, None)
                    if momentum > 0:
                        state["momentum_buffer"] = _wrap(np.zeros_like(x), False, None)
                    if centered:
                        state["grad_avg"] = _wrap(np.zeros_like(x), False, None)
                if maximize:
                    g = -g
                state["step"]._data += 1
                if weight_decay != 0:
                    g = g + weight_decay * x
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if centered:
                    a = state["grad_avg"]._data
                    _lerp_(a, g, 1 - alpha)
                    avg = np.sqrt(v + -1.0 * a * a)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    b = state["momentum_buffer"]._data
                    b *= momentum
                    b += g / avg
                    x += -lr * b
                else:
                    x += -lr * g / avg
                _counter(p)[0] += 1
        return loss
