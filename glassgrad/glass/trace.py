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
from ..autograd.function import op_name, state
from . import names as N
from . import values as V
from .record import GNode, Step, Update, expression, rule_lines

_BINARY = ("AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0", "PowBackward0")
LOCAL_LIMIT = 4096  # local gradients (an extra backward call) only for outputs this small
_LOCAL_MODULES = ("glassgrad.ops.elementwise", "glassgrad.ops.reduce")


class _OpRec:
    """What the forward hook keeps about one recorded op call."""

    __slots__ = ("alive", "args", "cls", "dtype", "module", "name", "out", "seq", "shape", "where")


class Trace:
    """The recording made by ``glass.trace()``: ``steps``, ``losses``, ``warnings``."""

    def __init__(self, keep_values: int = V.SMALL, on_step=None, checks: bool = True,
                 warn: bool = True, max_steps: int | None = None):
        self.steps: list[Step] = []
        self.warnings: list = []
        self.on_step = on_step
        self.checks = checks
        self.warn = warn
        self.max_steps = max_steps
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

    def _on_optimizer_step(self, optimizer, *args, **kwargs) -> None:
        if optimizer not in self._optims:
            self._optims.append(optimizer)
        self._close_update()

    # -- forward ------------------------------------------------------------------------------

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
            step.updates.append(u)
        if self._checker is not None:
            self._checker.step(step)
        if self.on_step is not None:
            self.on_step(step)

    # -- assembling a step --------------------------------------------------------------------

    def _build_step(self, bw, fallback=None) -> Step:
        from ..tensor import Tensor

        step = Step(len(self.steps) + 1)
        roots = self._roots
        root = roots[0]
        step.loss = float(root._data.reshape(-1)[0]) if root._data.size == 1 else None
        step.where = N.where(self._frame)
        frame = self._frame
        # modules and optimizers in the caller's frames: looked for again only when this step
        # has a parameter not seen before (not every step)
        leaf_ids = {id(t) for n in nodes_of(roots) for t in (n.inputs or ())
                    if t is not None and t.grad_fn is None}
        if not leaf_ids <= self._scanned:
            self._scanned |= leaf_ids
            pnames, optims, mnames = N.modules_and_optimizers(frame)
            self._param_names.update(pnames)
            self._module_names.update(mnames)
            for o in optims:
                if o not in self._optims:
                    self._optims.append(o)
        # names of intermediates held by the caller (``loss``, ``y_hat``)
        wanted = {id(r): r for r in roots}
        found = N.scan(frame, wanted, Tensor)
        root_names = {id(r): found.get(id(r)) for r in roots}
        nodes = engine.topo_order([r.grad_fn for r in roots if r.grad_fn is not None])
        recs = [(self._pending.get(n), n) for n in nodes]
        # forward order: recorded ops by sequence number, unrecorded ones in topological order
        order = sorted(range(len(recs)),
                       key=lambda i: (recs[i][0].seq if recs[i][0] is not None else 0, i))
        gnodes = {}
        leaves = {}
        ids = iter(range(1_000_000_000))
        out_nodes = []
        step_leaves = []

        def new(kind):
            g = GNode(f"n{next(ids)}", kind)
            out_nodes.append(g)
            step._by_id[g.id] = g
            return g

        def leaf_node(t, val, name=None):
            k = id(t)
            if k in leaves:
                return leaves[k]
            kind = "leaf" if t.requires_grad else "const"
            g = new(kind)
            g.name = name or getattr(t, "_glass_name", None)
            if k in self._param_names:
                g.name = self._param_names[k]
            g.param = t.requires_grad
            g.label = g.name or (V.fmt(val, 4) if V.is_small(val) and val.size <= 4 else kind)
            g.shape = tuple(t._data.shape)
            g.dtype = V.dtype_name(t._data.dtype)
            g.value = val
            if t.requires_grad:
                gb = self._grad_before.get(k)
                g.grad_before = gb[1] if gb else None
                g.grad_after = None if t.grad is None else V.keep(t.grad._data)
                contrib = self._leaf_contrib.get(k)
                g.contributions = contrib[1] if contrib else []
                step_leaves.append((g, t))
            leaves[k] = g
            step._leaf_ids[k] = g.id
            return g

        # ops run inside an nn.Module are labelled by the module (model.0), not by the op
        mod_count = {}
        for rec, _ in recs:
            m = rec.module() if rec is not None and rec.module is not None else None
            if m is not None:
                mod_count[id(m)] = mod_count.get(id(m), 0) + 1
        for i in order:
            rec, node = recs[i]
            g = new("op")
            gnodes[node] = g
            cls = type(node)
            g.op = node.name()
            g.fn = op_name(cls)
            g.rule = rule_lines(cls)
            arg_labels = []
            is_t = []
            if rec is not None:
                g.seq = rec.seq
                g.value = rec.out
                g.shape = rec.shape
                g.dtype = rec.dtype
                g.where = rec.where
                g.alive = rec.alive
                g.name = rec.name
                if rec.module is not None:
                    m = rec.module()
                    if m is not None:
                        g.module = self._module_names.get(id(m))
                for a in rec.args:
                    if a[0] == "node":
                        src = gnodes.get(a[1])
                        if src is None:
                            src = new("op")
                            src.label = a[1].name()
                        g.inputs.append(src.id)
                        arg_labels.append(src.title)
                        is_t.append(True)
                    elif a[0] == "leaf":
                        src = leaf_node(a[1], a[2])
                        g.inputs.append(src.id)
                        arg_labels.append(src.title)
                        is_t.append(True)
                    else:
                        is_t.append(False)
                        g.inputs.append(None)
                        g.scalars[len(g.inputs) - 1] = a[1]
                        arg_labels.append(repr(a[1]))
            else:
                hints = fallback
                if hints is not None and node in hints.names:
                    g.name = hints.names[node]
                out = hints.outs.get(node) if hints is not None else None
                if out is not None:
                    g.value = V.keep(out)
                    g.shape = tuple(out.shape)
                    g.dtype = out.dtype.name
                saved = getattr(node, "_saved", None)
                if (g.op == "PowBackward0" and isinstance(saved, (tuple, list)) and len(saved) > 1
                        and isinstance(saved[1], (int, float))):
                    g.scalars[1] = saved[1]
                binary = g.op in _BINARY
                for pos, t in enumerate(node.inputs or ()):
                    if t is None:
                        c = hints.consts.get((node, pos)) if hints is not None else None
                        if c is not None:
                            src = leaf_node(c[1], V.keep(c[1]._data), c[0])
                            g.inputs.append(src.id)
                            arg_labels.append(src.title)
                            is_t.append(True)
                        else:
                            g.inputs.append(None)
                            arg_labels.append(_guess_const(g, pos))
                            is_t.append(binary and pos < 2)
                    elif t.grad_fn is not None and t.grad_fn in gnodes:
                        src = gnodes[t.grad_fn]
                        g.inputs.append(src.id)
                        arg_labels.append(src.title)
                        is_t.append(True)
                    else:
                        src = leaf_node(t, V.keep(t._data))
                        g.inputs.append(src.id)
                        arg_labels.append(src.title)
                        is_t.append(True)
            if g.module is not None:
                m = rec.module()
                g.label = g.module if mod_count.get(id(m), 0) == 1 else f"{g.module}.{g.fn}"
            else:
                g.label = expression(g.fn, g.op, arg_labels, is_t)
                if len(g.label) > 28:
                    g.label = f"{g.fn}"
            b = bw.get(node)
            if b is not None:
                g.grad, g.products, g.local, g.sent = b
                g.order = self._bw_order.index(node)
                if rec is None and g.shape == () and g.grad is not None:
                    g.shape = V.shape_of(g.grad)
        for r in roots:
            if r.grad_fn in gnodes and root_names.get(id(r)):
                gnodes[r.grad_fn].name = root_names[id(r)]
        if roots[0].grad_fn in gnodes:
            step.loss_id = gnodes[roots[0].grad_fn].id
        # named intermediates that were found after their op ran
        for k, (ref, name) in list(self._names.items()):
            t = ref()
            if t is None:
                del self._names[k]
            elif t.grad_fn in gnodes and gnodes[t.grad_fn].name is None:
                gnodes[t.grad_fn].name = name
        step.nodes = out_nodes
        step._loss_ref = weakref.ref(root)
        self._step_leaves = step_leaves
        self._pending = weakref.WeakKeyDictionary()
        return step

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
            json.dump(self.to_json(), f)
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


def nodes_of(roots):
    return engine.topo_order([r.grad_fn for r in roots if r.grad_fn is not None])


def _guess_const(g, pos) -> str:
    """The label of an input the forward hook did not see (explain outside a trace)."""
    c = g.scalars.get(pos)
    if isinstance(c, (int, float)):
        return str(int(c)) if float(c).is_integer() else repr(c)
    return "c"


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
