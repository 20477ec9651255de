"""User-defined ops: ``Function.apply`` for subclasses written against Tensors (PyTorch's API).

``MyFunc.apply(*args)`` makes the graph node, an instance of ``MyFuncBackward`` (a subclass of
``MyFunc`` made once per class), and passes it to ``forward`` as ``ctx``: as in PyTorch the ctx
*is* the node, so ``y.grad_fn`` shows ``<MyFuncBackward object ...>``. ``forward`` runs with grad
mode off on Tensors; its Tensor outputs get the node as ``grad_fn``. In backward the engine calls
the node's ``backward``, which wraps the incoming gradients as Tensors, calls the user's
``backward`` and hands the results back to the engine (arrays in the fast path, Tensors when
``create_graph=True``, where the user's backward itself records a graph).
"""

from __future__ import annotations

import functools

import numpy as np

from . import function as _function
from .function import _FREED, _FREED_MSG, Function, _modified_msg, state
from .grad_mode import _mode


class _SavedOutput:
    """Stands in for a saved output (saving the output Tensor itself would make a cycle)."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _CustomNode(Function):
    """Mixed into ``MyFuncBackward``: what a user op's node does beyond a built-in op's."""

    __slots__ = ()

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(_FREED_MSG)
        if saved is None:
            return ()
        wrap = _function._wrap
        higher = state.higher
        out = []
        for item, v in zip(saved, self._versions):
            if type(item) is _SavedOutput:
                i = item.index
                arr = self._out_arrays[i]
                if higher:
                    t = wrap(arr, True, self)
                    if self._nout != 1:
                        t._oidx = i
                else:
                    t = wrap(arr, False, None)
                out.append(t)
            else:
                if v is not None and item._vc is not None and item._vc[0] != v:
                    raise RuntimeError(_modified_msg(item, self, v))
                out.append(item)
        return tuple(out)

    @staticmethod
    def backward(ctx, g):
        """The engine's entry point: user backward on Tensors, results back to the engine."""
        wrap = _function._wrap
        Tensor = _function.Tensor
        higher = state.higher
        grads = g if type(g) is list else [g]
        materialize = ctx.__dict__.get("_materialize", True)
        args = []
        for i, gi in enumerate(grads):
            if gi is None:
                if materialize:
                    shape, dtype = ctx._out_meta[i]
                    gi = wrap(np.zeros(shape, dtype), False, None)
            elif not isinstance(gi, Tensor):
                gi = wrap(gi, False, None)
            args.append(gi)
        res = ctx._user_backward(ctx, *args)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(ctx.inputs)
        if len(res) < n or any(r is not None for r in res[n:]):
            raise RuntimeError(
                f"function {ctx.node_name} returned an incorrect number of gradients "
                f"(expected {n}, got {len(res)})"
            )
        out = []
        for i in range(n):
            r = res[i]
            t = ctx.inputs[i]
            if r is not None and not ctx._is_tensor[i]:
                raise RuntimeError(
                    f"function {ctx.node_name} returned a gradient different than None at "
                    f"position {i + 1}, but the corresponding forward input was not a Variable"
                )
            if r is None or t is None:
                out.append(None)
            elif isinstance(r, Tensor):
                out.append(r if higher else r._data)
            else:
                r = np.asarray(r, dtype=t._data.dtype)
                out.append(wrap(r, False, None) if higher else r)
        return tuple(out)

    # -- what forward may call on ctx ----------------------------------------------------------

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    def _saved_inputs(self) -> list:
        saved = self._saved
        if saved is None or saved is _FREED:
            return []
        return [(i, s) for i, s in enumerate(saved) if isinstance(s, _function.Tensor)]

    def _rebased_from(self, t):
        # the snapshot of the dirty input ``t`` was (it shares t's memory); see apply_custom
        for a in self.inputs:
            if a is not None and a._data is t._data:
                return a
        return self.inputs[0]

    @classmethod
    def _name(cls) -> str:
        return cls.node_name


_NODE_CLASSES: dict = {}


def _node_class(cls):
    """``MyFuncBackward``: the class of ``MyFunc``'s graph nodes (made once per class)."""
    node_cls = _NODE_CLASSES.get(cls)
    if node_cls is None:
        name = f"{cls.__name__}Backward"
        node_cls = type(name, (_CustomNode, cls), {
            "node_name": name,
            "_user_backward": staticmethod(cls.backward),
            "__module__": cls.__module__,
        })
        _NODE_CLASSES[cls] = node_cls
    return node_cls


def _uses_setup_context(cls) -> bool:
    return cls.setup_context is not Function.setup_context


def apply_custom(cls, args, kwargs):
    """``MyFunc.apply(*args)``: run ``forward`` without grad, then connect its outputs."""
    Tensor = _function.Tensor
    wrap = _function._wrap
    ctx = _node_class(cls).__new__(_node_class(cls))
    ctx._saved = None
    ctx._versions = ()
    ctx._out = None
    ctx._retain = None
    ctx._g = None
    ctx._exact = False
    ctx._seq = _function._next_seq()
    is_tensor = [isinstance(a, Tensor) for a in args]
    ctx.inputs = [a if (tt and a.requires_grad) else None for a, tt in zip(args, is_tensor)]
    ctx._is_tensor = is_tensor
    record = _mode.enabled and any(t is not None for t in ctx.inputs)

    prev = _mode.enabled
    _mode.enabled = False
    try:
        if _uses_setup_context(cls):
            outputs = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, outputs)
        else:
            outputs = cls.forward(ctx, *args, **kwargs)
    finally:
        _mode.enabled = prev

    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else outputs
    dirty = ctx.__dict__.get("_dirty", ())
    for t in dirty:
        if t.grad_fn is None and t.requires_grad and record:
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation."
            )
        # PyTorch bumps a dirty tensor's version once more (on top of the in-place op's bump)
        vc = t._vc
        if vc is None:
            vc = t._vc = [0]
        vc[0] += 1
    if not record:
        result = outs
    else:
        non_diff = ctx.__dict__.get("_non_diff", ())
        ctx._nout = max(1, len(outs))
        if ctx._nout > 1:  # the engine's gradient slots, one per output (engine._add_to_slot)
            ctx._g = [None] * ctx._nout
        ctx._out_meta = [
            (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), np.float32)
            for o in outs
        ]
        # a dirty (in-place modified) input becomes an output: the node's edge must keep
        # pointing at the input's old history, not at the node itself
        if dirty:
            for j, a in enumerate(ctx.inputs):
                if a is not None and any(a is d for d in dirty):
                    snap = wrap(a._data, True, a.grad_fn)
                    if hasattr(a, "_oidx"):
                        snap._oidx = a._oidx
                    ctx.inputs[j] = snap
        result = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                result.append(o)
                continue
            is_dirty = any(o is d for d in dirty)
            differentiable = o._data.dtype.kind == "f" and not any(o is n for n in non_diff)
            if any(o is a for a in args) and not is_dirty:
                o = wrap(o._data, False, None)  # an input returned as is: a new alias of it
            if differentiable:
                o.grad_fn = ctx
                o.requires_grad = True
                if ctx._nout != 1:
                    o._oidx = i
            else:
                o.requires_grad = False
            result.append(o)
        _resolve_custom_saved(ctx, outs)
    if state.forward_hooks:
        for hook in state.forward_hooks:
            hook(ctx, args, kwargs, result[0] if single else tuple(result))
    return result[0] if single else tuple(result)


def _resolve_custom_saved(ctx, outs):
    """Saved outputs become markers; saved tensors keep their version for the in-place check."""
    saved = ctx._saved
    if not saved:
        return
    Tensor = _function.Tensor
    resolved = []
    versions = []
    for s in saved:
        idx = next((i for i, o in enumerate(outs) if s is o), None)
        if idx is not None:
            # only the array: keeping the output Tensor would make a cycle through its grad_fn
            ctx._out_arrays = [o._data if isinstance(o, Tensor) else None for o in outs]
            resolved.append(_SavedOutput(idx))
            versions.append(None)
        elif isinstance(s, Tensor):
            resolved.append(s)
            versions.append(0 if s._vc is None else s._vc[0])
        else:
            resolved.append(s)
            versions.append(None)
    ctx._saved = resolved
    ctx._versions = versions


class _DelayedError(Function):
    """y = x   (identity whose backward raises: marks a once_differentiable backward's output)
    grad_x = error
    """

    __slots__ = ()
    _raw = True
    node_name = "DelayedError"

    @staticmethod
    def forward(ctx, x, *others):
        return x

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(fn):
    """Decorate a custom ``backward`` that is not itself differentiable (PyTorch's decorator).

    The backward runs with grad mode off; in a ``create_graph=True`` pass its results are marked
    so that differentiating them again raises instead of silently giving zeros.
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .grad_mode import no_grad

        with no_grad():
            outputs = fn(ctx, *args)
        if not _mode.enabled:
            return outputs
        Tensor = _function.Tensor
        needs = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not needs:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        marked = tuple(
            _DelayedError.apply(o, *needs) if isinstance(o, Tensor) else o for o in outs
        )
        return marked[0] if single else marked

    return wrapper
