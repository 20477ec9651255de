"""``Optimizer``: the base class of every optimizer (PyTorch's ``torch.optim.Optimizer``).

An optimizer holds ``param_groups`` (a list of dicts: ``params`` plus hyperparameters such as
``lr``) and ``state`` (a dict keyed by parameter: momentum buffers, step counts...). ``step()``
reads each parameter's ``.grad`` and updates the parameter in place.

Updates run on the NumPy arrays directly (``p._data``, ``p.grad._data``) with in-place NumPy
operations, under no graph, keeping each parameter's dtype (float32 stays float32: the
hyperparameters are turned into Python floats, which NumPy treats as weak scalars).

Observing steps (the glass-box hook point)
------------------------------------------
``register_optimizer_step_pre_hook(hook)`` / ``register_optimizer_step_post_hook(hook)`` (global,
for every optimizer) and ``opt.register_step_pre_hook`` / ``opt.register_step_post_hook`` (one
optimizer) take ``hook(optimizer, args, kwargs)`` and return a handle with ``.remove()``, as in
PyTorch. A pre hook sees the parameters and gradients before the update, a post hook after it.
``glassgrad.glass.trace`` uses the global pair to record each update. When no hook is
registered, a step costs four empty-dict checks more than the bare update.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from itertools import chain

import numpy as np

from ..autograd.grad_mode import _mode, enable_grad
from ..tensor import Tensor, _counter, _wrap
from ..utils.hooks import RemovableHandle

__all__ = [
    "Optimizer",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
    "required",
]


class _RequiredParameter:
    """Marks a hyperparameter without a default (PyTorch's ``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# hook id -> hook(optimizer, args, kwargs); empty means off
_global_step_pre_hooks: dict = {}
_global_step_post_hooks: dict = {}


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``.

    The hook may return ``(new_args, new_kwargs)`` to replace the step's arguments.
    """
    handle = RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    handle = RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _hooked_step(step):
    """Wrap a ``step`` method: no graph during the update, and the step hooks when any exist."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True  # lr schedulers warn when they step before the optimizer
        if (_global_step_pre_hooks or _global_step_post_hooks
                or self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks):
            return self._step_with_hooks(step, args, kwargs)
        prev = _mode.enabled
        _mode.enabled = False
        try:
            return step(self, *args, **kwargs)
        finally:
            _mode.enabled = prev

    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class for all optimizers.

    Parameters
    ----------
    params : an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter groups,
        each with its own ``params`` and optional hyperparameters overriding ``defaults``).
    defaults : dict of the default hyperparameters of this optimizer.

    Subclasses implement ``step(closure=None)``; it runs with grad mode off (call the closure
    inside ``with glassgrad.enable_grad():``), and the step hooks fire around it.

    >>> import glassgrad as gg
    >>> w = gg.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = gg.optim.SGD([w], lr=0.1)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8000, 1.6000], requires_grad=True)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hooked_step(step)

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: dict = {}
        self._optimizer_step_post_hooks: dict = {}
        self._optimizer_state_dict_pre_hooks: dict = {}
        self._optimizer_state_dict_post_hooks: dict = {}
        self._optimizer_load_state_dict_pre_hooks: dict = {}
        self._optimizer_load_state_dict_post_hooks: dict = {}
        self._in_hooked_step = False
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got glassgrad.Tensor"
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- pickling is off (glassgrad never pickles), repr ---------------------------------------

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # -- hooks --------------------------------------------------------------------------------

    def _step_with_hooks(self, step, args, kwargs):
        prev = _mode.enabled
        if self._in_hooked_step:  # a subclass's step calling super().step(): hooks fire once
            _mode.enabled = False
            try:
                return step(self, *args, **kwargs)
            finally:
                _mode.enabled = prev
        for hook in chain(list(_global_step_pre_hooks.values()),
                          list(self._optimizer_step_pre_hooks.values())):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
        self._in_hooked_step = True
        _mode.enabled = False
        try:
            out = step(self, *args, **kwargs)
        finally:
            _mode.enabled = prev
            self._in_hooked_step = False
        for hook in chain(list(self._optimizer_step_post_hooks.values()),
                          list(_global_step_post_hooks.values())):
            hook(self, args, kwargs)
        return out

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(self, args, kwargs)`` before each ``step`` of this optimizer."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(self, args, kwargs)`` after each ``step`` of this optimizer."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- parameter groups ---------------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. a layer to fine-tune)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__module__}.{type(param).__name__}"
                )
            if not (param.is_leaf or param._retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            import warnings

            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: ``None`` by default, zeros with ``set_to_none=False``.

        With ``None`` a parameter that gets no gradient in the next backward is skipped by
        ``step``; with zeros it still takes a step (weight decay, momentum keep moving it).
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.grad_fn = None
                    g.requires_grad = False
                    g._data[...] = 0
                    _counter(g)[0] += 1

    def step(self, closure=None):
        """Perform one optimization step (implemented by each optimizer)."""
        raise NotImplementedError

    # -- state dict ---------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """The optimizer's state as ``{"state": {id: {...}}, "param_groups": [...]}``.

        PyTorch's layout: parameters are replaced by integer ids (their position across the
        groups), the state tensors are references (not copies), the hyperparameters are kept.
        """
        for hook in list(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from ``state_dict()`` (of an optimizer with the same group sizes).

        Parameters are matched by position (the saved ids zipped with this optimizer's
        parameters, as PyTorch does); state tensors are copied, cast to each parameter's
        floating dtype (``step`` counters keep theirs).
        """
        state_dict = dict(state_dict)
        for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = [_copy_tree(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            key = _int_key(k)
            if key in id_map:
                param = id_map[key]
                state[param] = _cast(param, v)
            else:
                state[k] = v

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            if isinstance(saved.get("betas"), list):  # JSON checkpoints store tuples as lists
                saved["betas"] = tuple(saved["betas"])
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups
        for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)


def _closure_loss(closure):
    """``step(closure)``: re-evaluate the loss with grad mode on (None without a closure)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _register(hooks: dict, hook, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks.update([items[-1], *items[:-1]])
    return handle


def _int_key(k):
    """State keys are ints; a checkpoint written as JSON may hand them back as strings."""
    if isinstance(k, str) and k.lstrip("-").isdigit():
        return int(k)
    return k


def _copy_tree(value):
    """A copy of nested dicts/lists/tuples (tensors cloned): ``deepcopy`` without pickling."""
    if isinstance(value, Tensor):
        return _wrap(value._data.copy(), False, None)
    if isinstance(value, dict):
        return {k: _copy_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_tree(v) for v in value)
    return value


def _cast(param: Tensor, value, key=None):
    """A copy of ``value`` with its tensors cast to ``param``'s floating dtype (not ``step``)."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step" and param._data.dtype.kind == "f" and data.dtype != param._data.dtype:
            data = data.astype(param._data.dtype)
        else:
            data = data.copy()
        return _wrap(data, False, None)
    if isinstance(value, np.ndarray):
        return _cast(param, _wrap(value, False, None), key)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value


def _scalar_tensor(value: float = 0.0) -> Tensor:
    """A 0-dim float32 tensor: PyTorch keeps step counters as ``tensor(3.)``."""
    return _wrap(np.array(value, dtype=np.float32), False, None)
