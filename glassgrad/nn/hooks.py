"""Module hooks: ``register_forward_pre_hook``, ``register_forward_hook``,
``register_full_backward_pre_hook``, ``register_full_backward_hook`` (PyTorch's semantics).

Forward hooks run in ``Module._call_with_hooks``. Backward hooks work as PyTorch's
``BackwardHook`` does: the module's tensor inputs and outputs pass through identity nodes (a
user ``autograd.Function``), so that during backward

- the output node sees ``grad_output`` first: backward pre-hooks ``hook(module, grad_output)``
  run there and may replace it;
- the input node then sees ``grad_input``: full backward hooks
  ``hook(module, grad_input, grad_output)`` run there and may replace it.

A module whose inputs need no gradient (the first layer) has no input node: its full backward
hooks run at the output node with ``grad_input = (None,)``, as in PyTorch. None of this exists
unless a backward hook is registered: calling a module costs one falsy check per hook dict.
"""

from __future__ import annotations

from ..autograd.function import Function
from ..utils.hooks import RemovableHandle


class _BackwardHookFunction(Function):
    """y_i = x_i for every tensor x_i   (an identity that lets a module hook see gradients)
    grad_x_i = callback(g)_i   (the module's backward hooks may replace the gradients)
    """

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors if len(tensors) != 1 else tensors[0]

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.callback(grads))


class _BackwardHookState:
    """One forward call's backward-hook bookkeeping (PyTorch's ``BackwardHook``)."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.input_hooked = False

    def _tensor_positions(self, values):
        from ..tensor import Tensor

        return [i for i, v in enumerate(values) if isinstance(v, Tensor)]

    def setup_input_hook(self, args):
        pos = self._tensor_positions(args)
        self.n_inputs = len(pos)
        if not any(args[i].requires_grad for i in pos):
            return args
        self.input_hooked = True
        out = _BackwardHookFunction.apply(self._on_input_grads, *[args[i] for i in pos])
        out = out if isinstance(out, tuple) else (out,)
        args = list(args)
        for i, t in zip(pos, out):
            args[i] = t
        return tuple(args)

    def setup_output_hook(self, output):
        from ..tensor import Tensor

        single = isinstance(output, Tensor)
        values = (output,) if single else output
        if not isinstance(values, (tuple, list)):
            return output
        pos = self._tensor_positions(values)
        if not any(values[i].requires_grad for i in pos):
            return output
        out = _BackwardHookFunction.apply(self._on_output_grads, *[values[i] for i in pos])
        out = out if isinstance(out, tuple) else (out,)
        if single:
            return out[0]
        values = list(values)
        for i, t in zip(pos, out):
            values[i] = t
        return type(output)(values) if isinstance(output, tuple) else values

    def _on_output_grads(self, grads):
        module = self.module
        for hook in list(module._backward_pre_hooks.values()):
            res = hook(module, grads)
            if res is not None:
                grads = _check_replacement(res, grads, "backward pre hook")
        self.grad_output = grads
        if not self.input_hooked and module._backward_hooks:
            # nothing upstream needs a gradient: the full hooks run now, with no grad_input
            import warnings

            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.register_full_backward_hook for more details.",
                stacklevel=2,
            )
            for hook in list(module._backward_hooks.values()):
                res = hook(module, (None,) * max(self.n_inputs, 1), grads)
                if res is not None and any(r is not None for r in res):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
        return grads

    def _on_input_grads(self, grads):
        module = self.module
        for hook in list(module._backward_hooks.values()):
            res = hook(module, grads, self.grad_output)
            if res is not None:
                grads = _check_replacement(res, grads, "backward hook")
        return grads


def _check_replacement(res, grads, what):
    res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
    if len(res) != len(grads):
        raise RuntimeError(
            f"Backward hook returned an invalid number of grad_input, got {len(res)}, but "
            f"expected {len(grads)}"
        )
    return res


class ModuleHooksMixin:
    """The ``register_*_hook`` methods of ``nn.Module``."""

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` before ``forward``; it may return new args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` after ``forward``; it may return a new output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` when the gradients of the outputs are known; it may
        return replacements for them."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` when the gradients of the inputs are known;
        it may return replacements for ``grad_input``."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook) -> RemovableHandle:
        """The deprecated non-full hook, run as a full backward hook: the same arguments for a
        module whose forward is one op (``nn.ReLU``: guided backprop); PyTorch's legacy hook
        passes the last op's inputs instead for larger modules."""
        return self.register_full_backward_hook(hook)

    def _backward_hook_state(self):
        """A per-call helper when backward hooks exist and grad mode is on, else None."""
        from ..autograd.grad_mode import _mode

        if (self._backward_hooks or self._backward_pre_hooks) and _mode.enabled:
            return _BackwardHookState(self)
        return None
