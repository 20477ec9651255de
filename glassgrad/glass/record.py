"""What one traced step is made of: graph nodes with their forward and backward numbers.

A ``Step`` is one backward call and the update that follows. Its ``nodes`` list the forward
graph in the order it was computed (leaves and constants first where they are used):

- ``op`` nodes (a grad_fn such as ``MulBackward0``): the forward value, the op's rule (the
  docstring's math lines), and from the backward pass the upstream gradient ``g`` (dL/d output),
  the local gradient per input, the product ``g * local`` sent to each input, and that product
  summed back to the input's shape when broadcasting widened it;
- ``leaf`` nodes (tensors that require grad: the parameters): value, the gradient before and
  after this backward, and each contribution added into ``.grad`` (several when the tensor is
  used twice);
- ``const`` nodes (inputs and targets, Python numbers): their values.

``Update`` records the parameter update that followed (before, gradient, after, update/weight
ratio, optimizer state).
"""

from __future__ import annotations

import numpy as np

from . import values as V

_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "mm": "@"}


class GNode:
    """One node of a traced step's graph (see the module docstring)."""

    __slots__ = (
        "alive",
        "contributions",
        "dtype",
        "fn",
        "grad",
        "grad_after",
        "grad_before",
        "id",
        "inputs",
        "kind",
        "label",
        "local",
        "module",
        "name",
        "op",
        "order",
        "param",
        "products",
        "rule",
        "scalars",
        "sent",
        "seq",
        "shape",
        "value",
        "where",
    )

    def __init__(self, id, kind):
        self.id = id
        self.kind = kind
        self.op = None
        self.fn = None
        self.name = None
        self.label = None
        self.shape = ()
        self.dtype = ""
        self.value = None
        self.inputs = []
        self.rule = []
        self.where = None
        self.module = None
        self.grad = None
        self.local = []
        self.products = []
        self.sent = []
        self.order = None
        self.grad_before = None
        self.contributions = []
        self.grad_after = None
        self.param = False
        self.seq = 0
        self.scalars = {}
        self.alive = None

    @property
    def title(self) -> str:
        """The name a learner knows this node by."""
        return self.name or self.label or self.id

    def to_json(self) -> dict:
        d = {"id": self.id, "kind": self.kind, "title": self.title}
        for k in ("op", "fn", "name", "label", "where", "module", "order"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        d["shape"] = list(self.shape)
        d["dtype"] = self.dtype
        d["value"] = V.to_json(self.value)
        if self.inputs:
            d["inputs"] = list(self.inputs)
        if self.rule:
            d["rule"] = list(self.rule)
        if self.grad is not None:
            d["grad"] = V.to_json(self.grad)
        if self.local:
            d["local"] = [V.to_json(x) for x in self.local]
        if self.products:
            d["products"] = [V.to_json(x) for x in self.products]
        if self.sent:
            d["sent"] = [V.to_json(x) for x in self.sent]
        if self.kind == "leaf":
            d["param"] = self.param
            d["grad_before"] = V.to_json(self.grad_before)
            d["grad_after"] = V.to_json(self.grad_after)
            d["contributions"] = [V.to_json(x) for x in self.contributions]
        return d


class Update:
    """One parameter's update after a step's backward pass."""

    __slots__ = ("after", "before", "grad", "lr", "name", "node", "optimizer", "ratio", "state",
                 "update")

    def __init__(self, name, node, before, grad, after):
        self.name = name
        self.node = node
        self.before = before
        self.grad = grad
        self.after = after
        self.update = None
        self.ratio = None
        if V.is_small(before) and V.is_small(after):
            self.update = after.astype(np.float64) - before.astype(np.float64)
            nb = V.norm(before)
            self.ratio = V.norm(self.update) / nb if nb else None
        self.state = {}
        self.lr = None
        self.optimizer = None

    @property
    def changed(self) -> bool:
        if self.update is not None:
            return bool(np.any(self.update != 0))
        return self.after is not None and V.norm(self.after) != V.norm(self.before)

    def inferred_lr(self):
        """``lr`` when the update is ``-lr * grad`` (plain gradient descent), else None.

        With momentum, Adam and the like the update is not a multiple of this gradient, and
        this returns None (the optimizer's own ``lr`` is in ``self.lr``).
        """
        if self.update is None or not V.is_small(self.grad):
            return None
        g = self.grad.astype(np.float64)
        mask = g != 0
        if not mask.any():
            return None
        if np.any(self.update[~mask] != 0):
            return None
        with np.errstate(all="ignore"):  # a diverged run: inf / inf, no NumPy warning
            ratios = -self.update[mask] / g[mask]
        lr = float(np.median(ratios))
        if lr > 0 and np.allclose(ratios, lr, rtol=1e-3):
            if self.lr is not None:
                # an optimizer's step: a one-element Adam update is a multiple of its gradient
                # too, but that factor is no learning rate
                return self.lr if np.isclose(lr, self.lr, rtol=1e-3) else None
            return float(f"{lr:.4g}")
        return None

    def to_json(self) -> dict:
        return {
            "name": self.name, "node": self.node, "before": V.to_json(self.before),
            "grad": V.to_json(self.grad), "after": V.to_json(self.after),
            "update": V.to_json(self.update), "ratio": self.ratio,
            "grad_norm": V.norm(self.grad), "norm": V.norm(self.after), "lr": self.lr,
            "sgd_lr": self.inferred_lr(), "optimizer": self.optimizer,
            "state": {k: V.to_json(v) for k, v in self.state.items()},
        }


class Step:
    """One training step: a backward call and the update after it."""

    def __init__(self, index: int):
        self.index = index
        self.loss = None
        self.loss_id = None
        self.where = None
        self.nodes: list[GNode] = []
        self.updates: list[Update] = []
        self.warnings: list = []
        self.explanation = None
        self._by_id = {}
        self._leaf_ids = {}
        self._loss_ref = None
        # per parameter: (value if scalar else norm, gradient norm, "value" or "norm"); kept
        # after the graph of an old step is dropped (see Trace(max_graphs=...))
        self.stats = {}
        self.thinned = False

    def summarise(self) -> None:
        """Fill ``stats`` from the graph and the updates (called when the step is complete)."""
        for p in self.params:
            u = self.update_of(p.title)
            after = u.after if u is not None else p.value
            if V.is_small(after) and after.size == 1:
                val, what = float(after.reshape(-1)[0]), "value"
            else:
                val, what = V.norm(after), "norm"
            self.stats[p.title] = (val, V.norm(p.grad_after), what)

    def thin(self) -> None:
        """Drop the graph (nodes and their numbers); keep loss, updates and stats."""
        self.nodes = []
        self._by_id = {}
        self._leaf_ids = {}
        self.thinned = True

    def node(self, ref) -> GNode:
        """A node by id (``'n3'``), by name (``'w'``), or by op (``'MulBackward0'``)."""
        if self.thinned:
            raise KeyError(f"step {self.index}'s graph was not kept (Trace(max_graphs=...)); "
                           "its loss, updates and norms were")
        if ref in self._by_id:
            return self._by_id[ref]
        for n in self.nodes:
            if n.name == ref:
                return n
        for n in self.nodes:
            if n.op == ref:
                return n
        raise KeyError(f"step {self.index} has no node {ref!r}")

    @property
    def params(self) -> list[GNode]:
        return [n for n in self.nodes if n.kind == "leaf"]

    def update_of(self, ref) -> Update | None:
        for u in self.updates:
            if u.name == ref or u.node == ref:
                return u
        return None

    def graph(self, view: str = "backward"):
        """This step's graph (``glass.Graph``)."""
        from .graph import Graph

        return Graph.from_step(self, view)

    def explain(self, param=None):
        """The chain rule for ``param`` at this step."""
        from .explain import explain_step

        return explain_step(self, param)

    def _repr_html_(self) -> str:
        import html

        from .terminal import step_table

        return (f"<pre>{html.escape(step_table(self, width=100))}</pre>"
                f"<div style='overflow:auto'>{self.graph('backward').svg()}</div>")

    def __repr__(self) -> str:
        loss = "-" if self.loss is None else V.fmt_num(self.loss)
        return f"<glass.Step {self.index}: loss {loss}, {len(self.nodes)} nodes>"

    def to_json(self) -> dict:
        return {
            "index": self.index, "loss": V._num(self.loss) if self.loss is not None else None,
            "loss_node": self.loss_id, "where": self.where,
            "nodes": [n.to_json() for n in self.nodes],
            "thinned": self.thinned,
            "stats": {k: {"value": V._num(v) if v is not None else None,
                          "grad_norm": V._num(g) if g is not None else None, "what": w}
                      for k, (v, g, w) in self.stats.items()},
            "updates": [u.to_json() for u in self.updates],
            "warnings": [w.to_json() for w in self.warnings],
        }


def rule_lines(cls) -> list[str]:
    """The math lines at the top of an op's docstring."""
    doc = cls.__doc__ or ""
    lines = []
    for line in doc.strip().splitlines():
        line = line.strip()
        if not line:
            break
        lines.append(line)
    return lines[:3]


def expression(fn: str, op: str, args: list[str], tensors: list[bool] | None = None) -> str:
    """A short expression for an unnamed op output: ``y - y_hat``, ``mean(d**2)``."""
    sym = _SYMBOL.get(fn)
    if tensors is not None and not sym:
        args = [a for a, t in zip(args, tensors) if t]
    if op in ("RsubBackward1", "RsubBackward0") and len(args) == 2:
        return f"{args[1]} - {args[0]}"
    if op == "PowBackward1" and len(args) == 2:
        return f"{_paren(args[1])}**{_paren(args[0])}"
    if sym and len(args) == 2:
        a, b = _paren(args[0]), _paren(args[1])
        return f"{a} {sym} {b}" if sym not in ("**",) else f"{a}**{b}"
    return f"{fn}({', '.join(a for a in args if a)})"


def dname(s: str) -> str:
    """A name as it reads after a ``d``: ``y_hat``, or ``(y - y_hat)`` for an expression."""
    return _paren(s)


def _paren(s: str) -> str:
    if (any(c in s for c in " +-*/@") and not (s.startswith("(") and s.endswith(")"))
            and not (s[0] == "-" and s[1:].replace(".", "").isdigit())):
        return f"({s})"
    return s
