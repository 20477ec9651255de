"""``glass.explain(loss, w)``: the chain rule for one parameter, with the actual numbers.

For the seed tutorial at epoch 1 it writes::

    dL/dw = sum_i dL/dy_hat_i * dy_hat_i/dw
    dL/dy_hat_i = 2 (y_hat_i - y_i) / N
    dy_hat_i/dw = x_i
    ...
    dL/dw = -30.0

followed by the node path (MeanBackward0, PowBackward0, SubBackward0, MulBackward0) with each
node's rule, local gradient and the product it sends down.

Where the numbers come from: inside ``glass.trace()`` every step is recorded, so
``explain`` reads the recording (also after ``loss.backward()``). Outside a trace, ``explain``
runs its own backward pass over the graph, which must still hold its saved values, so call it
*before* ``loss.backward()``. That pass uses ``retain_graph=True`` and captures the gradient
instead of accumulating it: ``w.grad`` is left alone and the user's own ``loss.backward()``
still works afterwards.
"""

from __future__ import annotations

import re

import numpy as np

from . import values as V
from .record import GNode, Step, dname

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class Explanation:
    """The chain rule for one parameter: ``str()`` is the text, ``value`` the gradient."""

    def __init__(self, text: str, value, param: str, step: Step):
        self.text = text
        self.value = value
        self.param = param
        self.step = step

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<pre class='glass-explain'>{html.escape(self.text)}</pre>"


# -- symbolic local gradients -----------------------------------------------------------------


class Term:
    """``coef * factors / denominators``: a product of a number and named factors."""

    def __init__(self, coef=1.0, factors=(), denom=()):
        self.coef = coef
        self.factors = list(factors)
        self.denom = list(denom)

    def __mul__(self, other: Term) -> Term:
        return Term(self.coef * other.coef, self.factors + other.factors,
                    self.denom + other.denom)

    def text(self) -> str:
        coef = self.coef
        factors = list(self.factors)
        if coef < 0:
            # -2 (y_i - y_hat_i) reads better as 2 (y_hat_i - y_i)
            for k, f in enumerate(factors):
                m = re.fullmatch(r"\((\S+) - (\S+)\)", f)
                if m:
                    factors[k] = f"({m.group(2)} - {m.group(1)})"
                    coef = -coef
                    break
        parts = []
        if coef != 1 or not factors:
            c = int(coef) if float(coef).is_integer() else coef
            parts.append("-" if c == -1 and factors else str(c))
        if parts == ["-"]:
            s = "-" + " ".join(factors)
        else:
            s = " ".join(parts + factors)
        if self.denom:
            d = " ".join(self.denom)
            s = f"{s} / {d}" if len(self.denom) == 1 else f"{s} / ({d})"
        return s


def rule_for_input(node: GNode, pos: int) -> str | None:
    """The piece of a node's gradient rule for input ``pos`` (``grad_b = ...``), if clear."""
    if len(node.rule) < 2:
        return None
    pieces = [p.strip() for p in re.split(r",\s{2,}|;\s+", node.rule[1]) if p.strip()]
    inputs = [i for i in node.inputs]
    if len(pieces) == len(inputs) and pos < len(pieces):
        return pieces[pos]
    return None


def _idx(label: str, scalar: bool) -> str:
    """``y_hat`` -> ``y_hat_i``; an expression ``y - y_hat`` -> ``(y_i - y_hat_i)``."""
    if scalar:
        return label
    if _IDENT.match(label):
        return f"{label}_i"
    m = re.fullmatch(r"(\S+) ([-+*/]) (\S+)", label)
    if m and _IDENT.match(m.group(1)) and _IDENT.match(m.group(3)):
        return f"({m.group(1)}_i {m.group(2)} {m.group(3)}_i)"
    return f"({label})_i"


def _factor(s: str) -> str:
    return s if (_IDENT.match(s.replace("_i", "")) or s.startswith("(")) else f"({s})"


def local_term(step: Step, node: GNode, pos: int, scalars: dict) -> Term | None:
    """The symbolic local gradient d node / d input ``pos``, or None when not elementwise."""
    op = node.op
    ins = [step._by_id[i] if i is not None else None for i in node.inputs]

    def lab(k):
        n = ins[k] if k < len(ins) else None
        if n is None:
            v = scalars.get(k)
            return "?" if v is None else V.fmt_num(v) if isinstance(v, (int, float)) else str(v)
        return _idx(n.title, n.shape == () or n.shape == (1,))

    out = _idx(node.title, node.shape == ())
    if op in ("AddBackward0",):
        return Term()
    if op == "SubBackward0":
        return Term(1.0 if pos == 0 else -1.0)
    if op in ("RsubBackward1", "NegBackward0"):
        return Term(-1.0)
    if op == "MulBackward0":
        return Term(1.0, [_factor(lab(1 - pos))])
    if op == "DivBackward0" and len(ins) == 2:
        if pos == 0:
            return Term(1.0, [], [_factor(lab(1))])
        return Term(-1.0, [_factor(lab(0))], [f"{_factor(lab(1))}^2"])
    if op == "PowBackward0" and pos == 0:
        c = scalars.get(1)
        if isinstance(c, (int, float)):
            if c == 2:
                return Term(2.0, [_factor(lab(0))])
            e = c - 1
            e_txt = str(int(e)) if float(e).is_integer() else V.fmt_num(e)
            return Term(float(c), [f"{_factor(lab(0))}^{e_txt}"])
        return None
    if op == "MeanBackward0":
        return Term(1.0, [], ["N"])
    if op == "MseLossBackward0" and pos < 2:
        # loss = mean((a - b)^2): d/da = 2 (a - b) / N, d/db = -2 (a - b) / N
        red = scalars.get(2, "mean")
        return Term(2.0 if pos == 0 else -2.0, [f"({lab(0)} - {lab(1)})"],
                    ["N"] if red == "mean" else [])
    if op == "SumBackward0":
        return Term()
    if op == "ExpBackward0":
        return Term(1.0, [out])
    if op == "LogBackward0":
        return Term(1.0, [], [_factor(lab(0))])
    if op == "SqrtBackward0":
        return Term(1.0, [], [f"2 {out}"])
    if op == "TanhBackward0":
        return Term(1.0, [f"(1 - {out}^2)"])
    if op == "SigmoidBackward0":
        return Term(1.0, [out, f"(1 - {out})"])
    if op == "ReluBackward0":
        return Term(1.0, [f"[{lab(0)} > 0]"])
    if op == "SinBackward0":
        return Term(1.0, [f"cos({lab(0)})"])
    if op == "CosBackward0":
        return Term(-1.0, [f"sin({lab(0)})"])
    return None


# -- paths through the graph ------------------------------------------------------------------


PATH_LIMIT = 16


def paths_to(step: Step, target: GNode, limit: int = PATH_LIMIT) -> list[list[tuple[GNode, int]]]:
    """Every path from the loss down to ``target`` as ``[(node, input position), ...]``."""
    loss = step._by_id.get(step.loss_id)
    if loss is None:
        return []
    out = []
    stack = [(loss, [])]
    budget = 20_000  # node visits: a residual net has exponentially many paths
    while stack and len(out) < limit and budget > 0:
        budget -= 1
        node, path = stack.pop()
        for pos in range(len(node.inputs) - 1, -1, -1):
            i = node.inputs[pos]
            if i is None:
                continue
            nxt = step._by_id[i]
            p = path + [(node, pos)]
            if nxt is target:
                out.append(p)
            elif nxt.kind == "op":
                stack.append((nxt, p))
    out.reverse()
    return out


def _scalars(node: GNode) -> dict:
    return node.scalars


# -- the text ---------------------------------------------------------------------------------


def explain_step(step: Step, param=None) -> Explanation:
    """The chain rule for ``param`` (name, node id, or Tensor) in a recorded step."""
    target = _find_param(step, param)
    name = target.title
    paths = paths_to(step, target)
    if not paths:
        raise ValueError(f"explain: the loss of step {step.index} does not depend on {name}")
    loss = step._by_id[step.loss_id]
    lines = []
    scalar_param = target.shape == ()
    wi = name if scalar_param else f"{name}_i"
    lname = loss.name or "loss"
    lines.append(f"Chain rule for dL/d{name}, step {step.index}   "
                 f"(L = {lname} = {V.fmt(loss.value)}, computed as {loss.label})")
    total_terms = []
    for k, path in enumerate(paths):
        last, pos = path[-1]
        y = last.title
        yi = _idx(y, last.shape == ())
        summed = last.shape != target.shape and last.shape != ()
        lines.append("")
        if len(paths) > 1:
            many = len(paths) >= PATH_LIMIT
            count = f"the first {len(paths)} of many" if many else f"{len(paths)}"
            lines.append(f"Path {k + 1} ({count} paths lead from the loss to {name}: "
                         "their gradients add up in .grad)")
        chain = " <- ".join(["L"] + [n.op for n, _ in path] + [name])
        lines.append(f"  path: {chain}")
        t_last = local_term(step, last, pos, _scalars(last))
        if t_last is None:
            piece = rule_for_input(last, pos)
            head = (f"dL/d{name} = {piece}   (the rule of {last.op}, with g = dL/d{dname(y)})"
                    if piece else f"dL/d{name} = ({last.op}'s rule, with g = dL/d{dname(y)})")
        elif last is loss:
            head = f"dL/d{wi} = dL/d{yi} * d{yi}/d{wi}"
        elif summed:
            head = f"dL/d{wi} = sum_i dL/d{yi} * d{yi}/d{wi}"
        else:
            head = f"dL/d{wi} = dL/d{yi} * d{yi}/d{wi}"
        lines.append(f"  {head}")
        # the upstream part: product of the local terms from the loss down to ``last``
        up = Term()
        known = True
        for node, p in path[:-1]:
            t = local_term(step, node, p, _scalars(node))
            if t is None:
                known = False
                break
            up = up * t
        if last is not loss:
            if known:
                lines.append(f"  dL/d{yi} = {up.text()}")
            else:
                lines.append(f"  dL/d{yi} = (the chain of the local gradients below)")
        if t_last is not None:
            lines.append(f"  d{yi}/d{wi} = {t_last.text()}")
        ns = [n for n, _ in path if n.op in ("MeanBackward0", "MseLossBackward0")]
        for n in ns:
            sizes = [int(np.prod(step._by_id[i].shape)) for i in n.inputs if i is not None]
            count = max(sizes, default=1) // max(int(np.prod(n.shape)), 1)
            lines.append(f"  N = {count} (the number of elements {n.op} averages)")
            break
        lines.append("")
        lines.append("  with the numbers:")
        g = last.grad
        loc = last.local[pos] if pos < len(last.local) else None
        prod = last.products[pos] if pos < len(last.products) else None
        sent = last.sent[pos] if pos < len(last.sent) else None
        rows = [(f"dL/d{dname(y)}", V.fmt(g), f"the gradient arriving at {last.op}")]
        if loc is not None:
            rows.append((f"d{dname(y)}/d{name}", V.fmt(loc), "local gradient"))
        rows.append(("product", V.fmt(prod), "dL/d" + dname(y) + " * local"))
        if summed:
            why = f"the engine sums the product back to {name}'s shape {list(target.shape)}"
            rows.append(("sum_i", V.fmt(sent), why))
        wl = max(len(r[0]) for r in rows)
        wv = max(len(r[1]) for r in rows)
        for a, b, c in rows:
            lines.append(f"    {a:<{wl}s} = {b:<{wv}s}   ({c})")
        total_terms.append(sent)
        lines.append("")
        lines.append("  node by node, from the loss down (each node multiplies the gradient "
                     "arriving from above by its local gradient):")
        w_op = max(len(n.op) for n, _ in path)
        pad = " " * (w_op + 4)
        for node, p in path:
            inp = step._by_id[node.inputs[p]]
            t = local_term(step, node, p, _scalars(node))
            sym = t.text() + " = " if t is not None else ""
            locv = node.local[p] if p < len(node.local) else None
            computes = node.title if node.title == node.label else \
                f"{node.title} = {node.label}"
            lines.append(f"    {node.op:<{w_op}s}  {computes} = {V.fmt(node.value)}")
            if node.rule:
                lines.append(f"{pad}  rule      {' | '.join(node.rule)}")
            lines.append(f"{pad}  upstream  dL/d{dname(node.title)} = {V.fmt(node.grad)}")
            if locv is not None or t is not None:
                lines.append(f"{pad}  local     d{dname(node.title)}/d{dname(inp.title)} = "
                             f"{sym}{V.fmt(locv)}")
            prod = node.products[p] if p < len(node.products) else None
            lines.append(f"{pad}  sends     {V.fmt(prod)} to {inp.title}")
    contrib = target.contributions
    lines.append("")
    if len(contrib) > 1:
        parts = " + ".join(V.fmt(c) for c in contrib)
        lines.append(f"  accumulated into {name}.grad: {parts}")
    before = target.grad_before
    if before is not None and V.is_small(before) and np.any(before != 0):
        lines.append(f"  {name}.grad was {V.fmt(before)} before this backward (not zeroed): "
                     "the new gradient was added to it")
    own = contrib[0] if len(contrib) == 1 else _sum(contrib)
    lines.append(f"  dL/d{name} = {V.fmt(own)}")
    return Explanation("\n".join(lines), own, name, step)


def _sum(parts):
    parts = [p for p in parts if p is not None and V.is_small(p)]
    if not parts:
        return None
    total = parts[0].astype(np.float64)
    for p in parts[1:]:
        total = total + p
    return total.astype(parts[0].dtype)


def _find_param(step: Step, param) -> GNode:
    if param is None:
        leaves = step.params
        if not leaves:
            raise ValueError(f"explain: step {step.index} has no parameter")
        return leaves[0]
    if isinstance(param, str):
        return step.node(param)
    key = id(param)
    nid = step._leaf_ids.get(key)
    if nid is None:
        raise ValueError("explain: this tensor is not a parameter of the loss's graph")
    return step._by_id[nid]


# -- the public entry point -------------------------------------------------------------------


def explain(loss, param=None, step: int | None = None) -> Explanation:
    """Write the chain rule for ``dL/d param`` with the actual numbers.

    Example (the seed tutorial, epoch 1)::

        y_hat = forward(X)
        loss = loss_fn(y, y_hat)
        print(glass.explain(loss, w))     # ... dL/dw = -30.0
        loss.backward()

    Inside ``glass.trace()`` it may be called after ``loss.backward()`` too (the trace kept the
    numbers). Outside a trace it runs a private backward pass (``retain_graph=True``, gradient
    captured, ``.grad`` untouched), so call it before ``loss.backward()`` frees the graph.
    A ``glass.Trace`` may be passed instead of a loss: ``explain(t, 'w', step=3)``.
    """
    from .trace import _ACTIVE, Trace, last

    if isinstance(loss, Trace):
        return loss.explain(param, step or 1)
    for tr in list(reversed(_ACTIVE)) + [last()]:
        if tr is None:
            continue
        for s in reversed(tr.steps):
            ref = getattr(s, "_loss_ref", None)
            if ref is not None and ref() is loss:
                return explain_step(s, param)
    return explain_step(record_once(loss, param), param)


def record_once(loss, param):
    """Run a private, recorded backward pass from ``loss`` (see ``explain``)."""
    from ..autograd import engine
    from ..autograd.function import _FREED, state
    from ..tensor import Tensor
    from . import names as N
    from .trace import _ACTIVE, Trace

    if loss.grad_fn is None:
        raise ValueError("explain: the loss has no grad_fn (does it depend on a parameter?)")
    nodes = engine.topo_order([loss.grad_fn])
    if any(n._saved is _FREED for n in nodes):
        raise RuntimeError(
            "explain: the graph of this loss was already freed by loss.backward(). Call "
            "glass.explain(loss, w) before loss.backward(), or run the training step inside "
            "`with glass.trace():` so that the numbers are recorded."
        )
    frame = N.user_frame(2)
    # names and values the caller holds: leaves (w, X) and intermediates (y_hat, loss)
    tensors = {}
    if frame is not None:
        for space in (frame.f_locals, frame.f_globals):
            for name, v in list(space.items()):
                if isinstance(v, Tensor) and not name.startswith("_") and id(v) not in tensors:
                    tensors[id(v)] = (name, v)
    hints = _hints(nodes, tensors)
    hints.outs.setdefault(loss.grad_fn, loss._data)  # the loss passed in: its value is known
    tr = Trace(checks=False)
    outer = _ACTIVE[-1] if _ACTIVE else None
    if outer is not None:
        tr._pending = outer._pending  # the forward of this loss was traced: use its records
        tr._names = outer._names
        tr._param_names = outer._param_names
    tr._active = True
    tr._frame = frame
    tr._begin_state((loss,))
    state.backward_hooks.append(tr._on_backward)
    # capture (never None): the gradient is returned here, not added into .grad
    capture = {id(param): None} if param is not None and not isinstance(param, str) else {}
    try:
        engine.run_backward([loss], [np.ones(loss._data.shape, loss._data.dtype)],
                            retain_graph=True, capture=capture)
    finally:
        state.backward_hooks.remove(tr._on_backward)
    bw, tr._bw = tr._bw, None
    step = tr._build_step(bw, fallback=hints)
    # what .grad would hold after loss.backward(): the contributions this pass captured, added
    # to the gradient already there (the pass itself left .grad alone)
    for node in step.params:
        contrib = [c for c in node.contributions if c is not None]
        total = _sum(contrib) if contrib and all(V.is_small(c) for c in contrib) else None
        before = node.grad_after  # the builder read the leaf's current .grad
        node.grad_before = before
        if total is not None and (before is None or V.is_small(before)):
            node.grad_after = total if before is None else (before + total).astype(total.dtype)
        elif before is None and len(contrib) == 1:
            node.grad_after = contrib[0]  # a large leaf's one gradient: its summary
        else:
            node.grad_after = None
    return step


class _Hints:
    """What explain can learn about a graph the forward hook did not see."""

    def __init__(self):
        self.names = {}  # node -> the variable that holds its output
        self.outs = {}  # node -> its output array
        self.consts = {}  # (node, input position) -> (name, Tensor) of a constant input


def _hints(nodes, tensors) -> _Hints:
    """Names, output values and constant inputs, recovered from saved values and the frame.

    Outputs come from the caller's variables (``y_hat``) and from what later nodes saved
    (``PowBackward0`` saves its input). Constant inputs (``y`` in ``y - y_hat``) come from what
    the node saved (``MulBackward0`` saves both factors) or, for ``+`` and ``-``, are solved from
    the output and the other input, then matched with the caller's tensors by value.
    """
    from ..tensor import Tensor, _wrap

    h = _Hints()
    consts = []
    for name, v in tensors.values():
        if v.grad_fn is None:
            if getattr(v, "_glass_name", None) is None:
                try:
                    v._glass_name = name
                except AttributeError:
                    pass
            if not v.requires_grad:
                consts.append((name, v))
        else:
            h.names.setdefault(v.grad_fn, name)
            h.outs.setdefault(v.grad_fn, v._data)
    for n in nodes:
        saved = n._saved if isinstance(n._saved, (tuple, list)) else ()
        saved_inputs = dict(n._saved_inputs())
        for item in saved_inputs.values():
            if item.grad_fn is not None:
                h.outs.setdefault(item.grad_fn, item._data)
        pos = n._out_index()
        if 0 <= pos < len(saved):
            h.outs.setdefault(n, saved[pos])
    for n in nodes:
        name = n.name()
        ins = n.inputs or ()
        saved = n._saved if isinstance(n._saved, (tuple, list)) else ()
        for pos in range(min(len(ins), 2)):
            if ins[pos] is not None:
                continue
            other = ins[1 - pos] if len(ins) > 1 else None
            c = None
            if name in ("MulBackward0", "DivBackward0") and len(saved) >= 2:
                # an input's Tensor where forward saved one, for its name
                c = dict(n._saved_inputs()).get(pos, saved[pos])
            elif name in ("AddBackward0", "SubBackward0") and other is not None:
                out = h.outs.get(n)
                if out is not None:
                    b = other._data
                    with np.errstate(all="ignore"):
                        if name == "AddBackward0":
                            c = out - b
                        else:
                            c = out + b if pos == 0 else b - out
            if c is None or isinstance(c, (int, float)):
                continue
            if isinstance(c, Tensor):
                h.consts[(n, pos)] = (getattr(c, "_glass_name", None), c)
                continue
            for cname, t in consts:
                d = t._data
                if d.shape == np.shape(c) and np.allclose(d, c, rtol=1e-6, atol=1e-6):
                    h.consts[(n, pos)] = (cname, t)
                    break
            else:
                h.consts[(n, pos)] = (None, _wrap(np.asarray(c), False, None))
    return h
