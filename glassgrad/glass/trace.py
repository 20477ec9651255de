"""``glass.trace()``: record every training step of the code run inside it.

>>> import glassgrad as torch
>>> from glassgrad import glass
>>> w = torch.tensor(0.0, requires_grad=True)
>>> x = torch.tensor([1.0, 2.0]); y = torch.tensor([2.0, 4.0])
>>> with glass.trace() as t:
...     loss = ((y - w * x) ** 2).mean()
...     loss.backward()
...     with torch.no_grad():
...         w -= 0.1 * w.grad
>>> t.steps[0].loss, float(t.steps[0].node('w').grad_after)
(10.0, -10.0)

How it works, without touching the hot path when off:

- a forward hook (``autograd.function.state.forward_hooks``) keeps, for each recorded op, its
  inputs and a copy of its output (small tensors) or a summary (large ones), plus names found
  in the user's frame (``w``, ``y_hat``);
- the engine's entry point (``autograd.engine.run_backward``) is wrapped while the trace is open,
  so that a step starts and ends with each backward call (the wrapper also learns the loss and
  the line that called it); ``autograd.grad``-style calls (which capture gradients instead of
  accumulating them) pass through unrecorded;
- a backward hook (``state.backward_hooks``) keeps each node's upstream gradient, the products it
  sends to its inputs and its local gradient (the node's own backward applied to ones);
- updates are seen by comparing each parameter's value after the backward pass with its value
  when the next step starts (or the trace ends, or an optimizer step finishes), so hand-written
  ``w -= lr * w.grad`` loops are traced like ``optimizer.step()``.

Everything is copied, nothing is changed: traced and untraced runs give bit-identical numbers.
On exit the hooks and the wrapper are removed.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..autograd import engine
from ..autograd.function import state
from . import names as N
from . import values as V
from .record import Step, Update

LOCAL_LIMIT = 4096  # local gradients (an extra backward call) only for outputs this small
_LOCAL_MODULES = ("glassgrad.ops.elementwise", "glassgrad.ops.reduce")


def _quiet(fn):
    """Run a recording hook with NumPy's floating-point warnings off: summaries of a diverged
    run's inf/NaN values (norms, update ratios) must not print NumPy's RuntimeWarnings; the
    loop checks report non-finite values in words."""

    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class _OpRec:
    """What the forward hook keeps about one recorded op call."""

    __slots__ = ("alive", "args", "cls", "dtype", "module", "name", "out", "seq", "shape", "where")


class Trace:
    """The recording made by ``glass.trace()``: ``steps``, ``losses``, ``warnings``."""

    def __init__(self, keep_values: int = V.SMALL, on_step=None, checks: bool = True,
                 warn: bool = True, max_steps: int | None = None, max_graphs: int = 200):
        self.steps: list[Step] = []
        self.warnings: list = []
        self.on_step = on_step
        self.checks = checks
        self.warn = warn
        self.max_steps = max_steps
        self.max_graphs = max_graphs
        self._keep_values = keep_values
        self._pending = weakref.WeakKeyDictionary()
        self._seq = 0
        self._bw = None  # node -> (g, products, local) during a traced backward
        self._bw_order = None
        self._leaf_contrib = None
        self._open = None  # (step, {param id: (tensor, before, grad)}) awaiting its update
        self._names = {}  # id(tensor) -> (tensor ref, name) for non-leaf tensors
        self._param_names = {}
        self._module_names = {}
        self._optims = []
        self._scanned = set()
        self._orig_backward = None
        self._checker = None
        self._active = False
        self.skipped = 0

    # -- context manager ----------------------------------------------------------------------

    def __enter__(self) -> Trace:  # noqa: PYI034
        from .. import autograd
        from .checks import Checker

        self._checker = Checker(self) if self.checks else None
        orig = engine.run_backward
        self._orig_backward = orig
        tr = self

        def run_backward(roots, root_grads, retain_graph=False, create_graph=False,
                         capture=None):
            if capture is not None or not tr._active:  # autograd.grad, explain: not a step
                return orig(roots, root_grads, retain_graph, create_graph, capture)
            tr._begin(roots)
            try:
                return orig(roots, root_grads, retain_graph, create_graph, capture)
            finally:
                tr._end(roots)

        run_backward.__doc__ = orig.__doc__
        run_backward.__wrapped__ = orig
        # the engine's entry point, seen by Tensor.backward and by autograd.backward
        engine.run_backward = run_backward
        autograd.run_backward = run_backward
        state.forward_hooks.append(self._on_forward)
        state.backward_hooks.append(self._on_backward)
        self._hook_optimizers(True)
        self._active = True
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc) -> None:
        from .. import autograd

        self._active = False
        if self._on_forward in state.forward_hooks:
            state.forward_hooks.remove(self._on_forward)
        if self._on_backward in state.backward_hooks:
            state.backward_hooks.remove(self._on_backward)
        engine.run_backward = self._orig_backward
        autograd.run_backward = self._orig_backward
        self._hook_optimizers(False)
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        self._close_update()
        if self._checker is not None:
            self._checker.finish()
        self._pending = weakref.WeakKeyDictionary()
        self._names = {}
        _LAST[0] = self

    # -- optimizer hook (when glassgrad.optim offers one) -----------------------------------

    def _hook_optimizers(self, on: bool) -> None:
        """Observe every optimizer's step through glassgrad.optim's global post-step hook."""
        if not on:
            handle, self._opt_handle = getattr(self, "_opt_handle", None), None
            if handle is not None:
                handle.remove()
            return
        try:
            from ..optim.optimizer import register_optimizer_step_post_hook
        except ImportError:  # no optim package: updates are still seen at the next backward
            return
        self._opt_handle = register_optimizer_step_post_hook(self._on_optimizer_step)

    @_quiet
    def _on_optimizer_step(self, optimizer, *args, **kwargs) -> None:
        if optimizer not in self._optims:
            self._optims.append(optimizer)
        self._close_update()

    # -- forward ------------------------------------------------------------------------------

    @_quiet
    def _on_forward(self, ctx, args, kwargs, result) -> None:
        if result.grad_fn is not ctx:
            return  # not recorded in the graph (no_grad, or no input requires grad)
        from ..tensor import Tensor

        rec = _OpRec()
        self._seq += 1
        rec.seq = self._seq
        rec.cls = type(ctx)
        kept = []
        unnamed = {}
        for a in args:
            if isinstance(a, Tensor):
                if a.grad_fn is not None:
                    kept.append(("node", a.grad_fn))
                    if id(a) not in self._names:
                        unnamed[id(a)] = a
                else:
                    kept.append(("leaf", a, V.keep(a._data)))
                    if getattr(a, "_glass_name", None) is None:
                        unnamed[id(a)] = a
            else:
                kept.append(("scalar", a))
        rec.args = kept
        out = result._data
        rec.out = V.keep(out)
        rec.alive = None
        if rec.cls.node_name == "ReluBackward0" and out.ndim:
            # which units fired for some sample (a dead-ReLU check needs it per unit, also for
            # outputs too large to keep)
            rec.alive = (out > 0).reshape(-1, out.shape[-1]).any(axis=0)
        rec.shape = tuple(out.shape)
        rec.dtype = V.dtype_name(out.dtype)
        rec.name = None
        rec.module = None
        frame = N.user_frame(2)
        rec.where = N.where(frame)
        mod = N.module_of(2)
        if mod is not None:
            rec.module = weakref.ref(mod) if _weakrefable(mod) else None
        if unnamed:
            # leaves may be globals (w, X); intermediates are looked for in the locals only
            leaves_unnamed = any(t.grad_fn is None for t in unnamed.values())
            found = N.scan(frame, unnamed, Tensor, "lg" if leaves_unnamed else "l")
            for k, name in found.items():
                t = unnamed[k]
                if t.grad_fn is None:
                    try:
                        t._glass_name = name
                    except AttributeError:
                        pass
                else:
                    self._names[k] = (weakref.ref(t), name)
                    prev = self._pending.get(t.grad_fn)
                    if prev is not None and prev.name is None:
                        prev.name = name
        self._pending[ctx] = rec

    # -- backward -----------------------------------------------------------------------------

    @_quiet
    def _begin(self, tensors) -> None:
        self._close_update()
        self._frame = N.user_frame(1)
        self._begin_state(tensors)

    def _begin_state(self, tensors) -> None:
        self._bw = {}
        self._bw_order = []
        self._leaf_contrib = {}
        roots = (tensors,) if not isinstance(tensors, (tuple, list)) else tuple(tensors)
        self._roots = roots
        # the gradient each parameter had before this backward (zero_grad missing?)
        self._grad_before = {}
        for node in engine.topo_order([r.grad_fn for r in roots if r.grad_fn is not None]):
            for t in node.inputs or ():
                if t is not None and t.grad_fn is None and id(t) not in self._grad_before:
                    self._grad_before[id(t)] = (t, None if t.grad is None else V.keep(t.grad._data))

    @_quiet
    def _on_backward(self, node, g, input_grads) -> None:
        bw = self._bw
        if bw is None or not self._active:
            return
        ins = node.inputs
        # a rule may return a gradient for an input that needs none (y in y - y_hat): drop it
        products = [V.keep(x) if x is not None and ins[i] is not None else None
                    for i, x in enumerate(input_grads)]
        local = []
        # the node's own backward applied to ones is its local derivative for elementwise ops
        # and for any op with a scalar output (a loss)
        if (not state.higher and type(g) is np.ndarray and g.size <= LOCAL_LIMIT
                and (type(node).__module__ in _LOCAL_MODULES or g.size == 1)
                and type(node)._raw):
            try:
                ones = np.ones_like(g)
                loc = node.backward(node, ones)
                if type(loc) is not tuple:
                    loc = (loc,)
                local = [V.keep(x) if x is not None and ins[i] is not None else None
                         for i, x in enumerate(loc)]
            except Exception:  # noqa: BLE001  (a rule that cannot run twice: show products only)
                local = []
        sent = []
        for t, gi in zip(node.inputs, input_grads):
            if t is None or gi is None:
                sent.append(None)
                continue
            if type(gi) is np.ndarray and gi.shape != t._data.shape:
                kept = V.keep(engine._sum_to(gi, t._data.shape))
            else:
                kept = products[len(sent)]  # nothing was summed: the product itself
            sent.append(kept)
            if t.grad_fn is None:
                self._leaf_contrib.setdefault(id(t), (t, []))[1].append(kept)
        bw[node] = (V.keep(g), products, local, sent)
        self._bw_order.append(node)

    @_quiet
    def _end(self, tensors) -> None:
        bw, self._bw = self._bw, None
        if bw is None:
            return
        if self.max_steps is not None and len(self.steps) >= self.max_steps:
            self.skipped += 1
            return
        step = self._build_step(bw)
        self.steps.append(step)
        # what each parameter is now (before the update) and the gradient it will be updated with
        opened = {}
        for n, t in self._step_leaves:
            if t.requires_grad:
                grad = None if t.grad is None else V.keep(t.grad._data)
                opened[id(t)] = (t, n, V.keep(t._data), grad)
        self._open = (step, opened)

    @_quiet
    def _close_update(self) -> None:
        if self._open is None:
            return
        step, opened = self._open
        self._open = None
        for t, n, before, grad in opened.values():
            u = Update(n.title, n.id, before, grad, V.keep(t._data))
            if not u.changed:
                continue
            for opt in self._optims:
                st = getattr(opt, "state", {}).get(t) if hasattr(opt, "state") else None
                if st:
                    u.state = {k: V.keep(v._data if hasattr(v, "_data") else v)
                               for k, v in st.items() if k != "step"}
                for group in getattr(opt, "param_groups", ()):
                    if any(p is t for p in group.get("params", ())):
                        u.lr = group.get("lr")
                        u.optimizer = type(opt).__name__
            step.updates.append(u)
        step.summarise()
        if self._checker is not None:
            self._checker.step(step)
        if self.on_step is not None:
            self.on_step(step)
        self._thin()

    def _thin(self) -> None:
        """Keep at most ``max_graphs`` step graphs: the first ten, the latest, and every other
        one in between (repeatedly), so that a long run keeps a spread of steps in bounded
        memory. Every step keeps its loss, updates and norms."""
        kept = [s for s in self.steps if not s.thinned]
        if self.max_graphs is None or len(kept) <= self.max_graphs:
            return
        middle = kept[10:-1]
        for k, s in enumerate(middle):
            if k % 2 == 1:
                s.thin()

    # -- assembling a step --------------------------------------------------------------------

    def _build_step(self, bw, fallback=None) -> Step:
        from .assemble import build_step

        return build_step(self, bw, fallback)

    # -- what users call ----------------------------------------------------------------------

    @property
    def losses(self) -> list:
        return [s.loss for s in self.steps]

    def explain(self, param=None, step: int = 1) -> str:
        """The chain rule for ``param`` (a name or a Tensor) at ``step`` (1-based)."""
        from .explain import explain_step

        return explain_step(self.steps[step - 1], param)

    def graph(self, step: int = -1, view: str = "backward"):
        """The graph of one step (``glass.Graph``: ``.svg()``, ``.dot()``)."""
        from .graph import Graph

        s = self.steps[step] if step < 0 else self.steps[step - 1]
        return Graph.from_step(s, view=view)

    def to_json(self) -> dict:
        return {
            "format": "glassgrad-trace/1",
            "steps": [s.to_json() for s in self.steps],
            "warnings": [w.to_json() for w in self.warnings],
        }

    def save(self, directory) -> str:
        """Write ``trace.json`` and ``report.html`` into ``directory``; return the report path."""
        import json
        import os

        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "trace.json"), "w") as f:
            json.dump(V.clean(self.to_json()), f, allow_nan=False)
        path = os.path.join(directory, "report.html")
        self.report(path)
        return path

    def report(self, path=None) -> str:
        """A self-contained HTML report; written to ``path`` when given. Returns the HTML."""
        from .report import render_report

        html = render_report(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(html)
        return html

    def _repr_html_(self) -> str:
        from .report import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        return f"<glass.Trace: {len(self.steps)} steps, {len(self.warnings)} warnings>"


def _weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


_ACTIVE: list = []
_LAST: list = [None]


def trace(**kwargs) -> Trace:
    """Record every training step run inside ``with glass.trace() as t:`` (see ``Trace``).

    Keyword arguments: ``on_step`` (called with each finished ``Step``), ``checks`` (run the
    training-loop checks, default True), ``warn`` (emit them as Python warnings), ``max_steps``.
    """
    return Trace(**kwargs)


def active() -> Trace | None:
    """The innermost open trace, if any."""
    return _ACTIVE[-1] if _ACTIVE else None


def last() -> Trace | None:
    """The most recently closed trace."""
    return _LAST[0]
