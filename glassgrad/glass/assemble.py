"""Assembling one traced step: the graph from the loss down, merged with what the forward
hook and the backward hook recorded (see ``trace.py``), named from the user's code."""

from __future__ import annotations

import weakref

from ..autograd import engine
from ..autograd.function import op_name
from . import names as N
from . import values as V
from .record import GNode, Step, expression, rule_lines

_BINARY = ("AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0", "PowBackward0")


def build_step(tr, bw, fallback=None) -> Step:
    """Assemble a ``Step`` from the forward records and one backward pass's records.

    ``fallback`` (explain outside a trace): names, outputs and constants recovered from the
    graph's saved values and the caller's frame, for nodes the forward hook did not see.
    """
    from ..tensor import Tensor

    step = Step(len(tr.steps) + 1)
    roots = tr._roots
    root = roots[0]
    step.loss = float(root._data.reshape(-1)[0]) if root._data.size == 1 else None
    step.where = N.where(tr._frame)
    frame = tr._frame
    # modules and optimizers in the caller's frames: looked for again only when this step
    # has a parameter not seen before (not every step)
    leaf_ids = {id(t) for n in nodes_of(roots) for t in (n.inputs or ())
                if t is not None and t.grad_fn is None}
    if not leaf_ids <= tr._scanned:
        tr._scanned |= leaf_ids
        pnames, optims, mnames = N.modules_and_optimizers(frame)
        tr._param_names.update(pnames)
        tr._module_names.update(mnames)
        for o in optims:
            if o not in tr._optims:
                tr._optims.append(o)
    # names of intermediates held by the caller (``loss``, ``y_hat``)
    wanted = {id(r): r for r in roots}
    found = N.scan(frame, wanted, Tensor)
    root_names = {id(r): found.get(id(r)) for r in roots}
    nodes = engine.topo_order([r.grad_fn for r in roots if r.grad_fn is not None])
    recs = [(tr._pending.get(n), n) for n in nodes]
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
        if k in tr._param_names:
            g.name = tr._param_names[k]
        g.param = t.requires_grad
        g.label = g.name or (V.fmt(val, 4) if V.is_small(val) and val.size <= 4 else kind)
        g.shape = tuple(t._data.shape)
        g.dtype = V.dtype_name(t._data.dtype)
        g.value = val
        if t.requires_grad:
            gb = tr._grad_before.get(k)
            g.grad_before = gb[1] if gb else None
            g.grad_after = None if t.grad is None else V.keep(t.grad._data)
            contrib = tr._leaf_contrib.get(k)
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
                    g.module = tr._module_names.get(id(m))
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
            g.order = tr._bw_order.index(node)
            if rec is None and g.shape == () and g.grad is not None:
                g.shape = V.shape_of(g.grad)
    for r in roots:
        if r.grad_fn in gnodes and root_names.get(id(r)):
            gnodes[r.grad_fn].name = root_names[id(r)]
    if roots[0].grad_fn in gnodes:
        step.loss_id = gnodes[roots[0].grad_fn].id
    # named intermediates that were found after their op ran
    for k, (ref, name) in list(tr._names.items()):
        t = ref()
        if t is None:
            del tr._names[k]
        elif t.grad_fn in gnodes and gnodes[t.grad_fn].name is None:
            gnodes[t.grad_fn].name = name
    step.nodes = out_nodes
    step._loss_ref = weakref.ref(root)
    tr._step_leaves = step_leaves
    tr._pending = weakref.WeakKeyDictionary()
    return step


def nodes_of(roots):
    return engine.topo_order([r.grad_fn for r in roots if r.grad_fn is not None])


def _guess_const(g, pos) -> str:
    """The label of an input the forward hook did not see (explain outside a trace)."""
    c = g.scalars.get(pos)
    if isinstance(c, (int, float)):
        return str(int(c)) if float(c).is_integer() else repr(c)
    return "c"
