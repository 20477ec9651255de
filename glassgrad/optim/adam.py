"""``Adam`` and ``AdamW``: adaptive moment estimation (PyTorch's update rule)."""

from __future__ import annotations

import numpy as np

from ..tensor import _counter, _wrap
from ._common import check_betas, check_nonneg
from .optimizer import Optimizer, _closure_loss, _scalar_tensor
from .sgd import _no_differentiable

__all__ = ["Adam", "AdamW"]


def _lerp_(a: np.ndarray, end: np.ndarray, weight: float, tmp=None) -> None:
    """a = a + weight * (end - a), in place, computed the way PyTorch's ``lerp_`` does;
    ``tmp`` (optional): a scratch array of a's shape and dtype."""
    tmp = np.subtract(end, a, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=a)


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulation; ``AdamW`` is this with decoupled decay.

    t = t + 1;  g = grad (+ weight_decay * p, or p = p * (1 - lr * weight_decay) if decoupled)
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
    (amsgrad: v_max = max(v_max, v), used for v below)
    p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    >>> import glassgrad as gg
    >>> w = gg.tensor([1.0], requires_grad=True)
    >>> opt = gg.optim.Adam([w], lr=0.1)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False) -> None:
        check_nonneg(lr=lr, eps=eps)
        betas = check_betas(betas)
        check_nonneg(weight_decay=weight_decay)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                g = p.grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _wrap(np.zeros_like(x), False, None)
                    state["exp_avg_sq"] = _wrap(np.zeros_like(x), False, None)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _wrap(np.zeros_like(x), False, None)
                if maximize:
                    g = -g
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                if weight_decay != 0:
                    if decoupled:
                        x *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * x
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                # one scratch array serves every temporary below (allocations cost more than
                # the arithmetic at these sizes)
                tmp = np.empty_like(x)
                _lerp_(m, g, 1 - beta1, tmp)
                v *= beta2
                np.multiply(g, g, out=tmp)
                tmp *= 1 - beta2
                v += tmp
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2**0.5
                if amsgrad:
                    v_max = state["max_exp_avg_sq"]._data
                    np.maximum(v_max, v, out=v_max)
                    np.sqrt(v_max, out=tmp)
                else:
                    np.sqrt(v, out=tmp)
                tmp /= bias_correction2_sqrt
                tmp += eps  # denom
                np.divide(m, tmp, out=tmp)
                tmp *= -step_size
                x += tmp
                _counter(p)[0] += 1
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p = p * (1 - lr * weight_decay)
    before the Adam update, instead of adding ``weight_decay * p`` to the gradient.

    Default ``weight_decay=1e-2`` (PyTorch's).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
