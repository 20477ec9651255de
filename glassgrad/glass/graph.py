"""Graph pictures without the Graphviz program: DOT text, and SVG laid out by glassgrad.

Two views of a traced step (or of a loss tensor's graph):

- ``forward``: inputs and parameters at the top, each op with its output's name, shape and value,
  the loss at the bottom; edges follow the data;
- ``backward``: the grad_fn nodes PyTorch would show (``MeanBackward0`` ... ``AccumulateGrad``),
  the loss at the top, each node with the gradient arriving at it and the one it sends on.

The layout is the layered (Sugiyama) method: longest-path layering, dummy nodes on edges that
skip layers, barycenter ordering sweeps to reduce crossings, then x positions pulled towards
each node's neighbours and pushed apart left to right so that no two boxes overlap. Graphs larger
than ``max_nodes`` are collapsed: ops inside the same ``nn.Module`` become one box.

>>> g = glass.graph(loss)            # doctest: +SKIP
>>> open("g.svg", "w").write(g.svg())  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from xml.sax.saxutils import escape

from . import values as V
from .record import Step

CHAR_W = 7.4  # px per character of the 12px monospace font (bold included)
LINE_H = 15
PAD_X = 8
PAD_Y = 6
GAP_X = 24
GAP_Y = 46
MAX_LABEL = 44
SWEEPS = 8


class Graph:
    """A drawable graph: ``nodes`` (id, kind, lines) and ``edges`` (source id, target id)."""

    def __init__(self, nodes: list[dict], edges: list[tuple[str, str]], title: str = ""):
        self.nodes = nodes
        self.edges = edges
        self.title = title
        self._layout = None
        self.collapsed_from = None  # the full graph, when this one was collapsed by module

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_step(cls, step: Step, view: str = "backward", max_nodes: int = 300) -> Graph:
        if view not in ("forward", "backward"):
            raise ValueError(f"graph: view must be 'forward' or 'backward', got {view!r}")
        keep = [n for n in step.nodes if view == "forward" or n.kind != "const"]
        ids = {n.id for n in keep}
        nodes = []
        edges = []
        for n in keep:
            module = n.module
            if module is None and n.kind == "leaf" and n.name and "." in n.name:
                module = n.name.rsplit(".", 1)[0]  # model.0.weight belongs to model.0
            nodes.append({"id": n.id, "kind": n.kind, "lines": _lines(n, view),
                          "module": module, "tip": _tip(n)})
            for i in n.inputs:
                if i is None or i not in ids:
                    continue
                edges.append((i, n.id) if view == "forward" else (n.id, i))
        title = f"step {step.index} ({view})"
        g = cls(nodes, edges, title)
        if len(nodes) > max_nodes:
            g = g.collapsed()
        return g

    @classmethod
    def from_tensor(cls, t, view: str = "backward", max_nodes: int = 300) -> Graph:
        """The graph behind a tensor (a loss), with its gradients if the graph is still alive."""
        from .explain import record_once

        try:
            step = record_once(t, None)
        except RuntimeError:
            # the graph's saved values were freed by backward(): draw its structure only
            return cls._structure(t, max_nodes)
        return cls.from_step(step, view, max_nodes)

    @classmethod
    def _structure(cls, t, max_nodes: int = 300) -> Graph:
        """The grad_fn nodes behind ``t`` and the leaves they reach, without numbers."""
        from ..autograd import engine

        order = engine.topo_order([t.grad_fn]) if t.grad_fn is not None else []
        ids = {}
        nodes = []
        edges = []
        for fn in reversed(order):
            ids[fn] = f"n{len(ids)}"
            nodes.append({"id": ids[fn], "kind": "op", "lines": [fn.name()], "tip": fn.name()})
        leaves = {}
        for fn in reversed(order):
            for inp in fn.inputs or ():
                if inp is None:
                    continue
                if inp.grad_fn is not None and inp.grad_fn in ids:
                    edges.append((ids[fn], ids[inp.grad_fn]))
                    continue
                k = id(inp)
                if k not in leaves:
                    leaves[k] = f"n{len(ids) + len(leaves)}"
                    name = getattr(inp, "_glass_name", None) or "leaf"
                    nodes.append({"id": leaves[k], "kind": "leaf",
                                  "lines": ["AccumulateGrad", f"{name} {list(inp.shape)}"],
                                  "tip": name})
                edges.append((ids[fn], leaves[k]))
        g = cls(nodes, edges, "backward graph (structure only: already backpropagated)")
        return g.collapsed() if len(nodes) > max_nodes else g

    def collapsed(self) -> Graph:
        """Ops that belong to the same module drawn as one box (for large graphs)."""
        group = {}
        for n in self.nodes:
            group[n["id"]] = f"m:{n['module']}" if n.get("module") else n["id"]
        counts = {}
        for n in self.nodes:
            counts[group[n["id"]]] = counts.get(group[n["id"]], 0) + 1
        nodes = []
        seen = set()
        for n in self.nodes:
            gid = group[n["id"]]
            if gid in seen:
                continue
            seen.add(gid)
            if gid.startswith("m:"):
                nodes.append({"id": gid, "kind": "module",
                              "lines": [gid[2:], f"{counts[gid]} nodes"], "tip": gid[2:]})
            else:
                nodes.append(n)
        edges = []
        eseen = set()
        for a, b in self.edges:
            ga, gb = group[a], group[b]
            if ga != gb and (ga, gb) not in eseen:
                eseen.add((ga, gb))
                edges.append((ga, gb))
        g = Graph(nodes, edges, self.title + " (collapsed by module)")
        g.collapsed_from = self
        return g

    # -- layout -------------------------------------------------------------------------------

    def layout(self) -> dict:
        """Positions: ``{'boxes': {id: (x, y, w, h)}, 'edges': [[(x, y), ...]], 'size': (w, h)}``."""
        if self._layout is None:
            self._layout = _sugiyama(self.nodes, self.edges)
        return self._layout

    # -- output -------------------------------------------------------------------------------

    def dot(self) -> str:
        """Graphviz DOT text (for people who have Graphviz; glassgrad never needs it)."""
        out = ["digraph glassgrad {", "  rankdir=TB;",
               '  node [shape=box, fontname="monospace", fontsize=10];']
        for n in self.nodes:
            label = "\\n".join(_dot_escape(s) for s in n["lines"])
            style = _DOT_STYLE.get(n["kind"], "")
            out.append(f'  {n["id"].replace(":", "_")} [label="{label}"{style}];')
        for a, b in self.edges:
            out.append(f"  {a.replace(':', '_')} -> {b.replace(':', '_')};")
        out.append("}")
        return "\n".join(out) + "\n"

    def svg(self) -> str:
        """A self-contained SVG picture (no fonts, scripts or files from elsewhere)."""
        lay = self.layout()
        w, h = lay["size"]
        out = [
            (f'<svg xmlns="http://www.w3.org/2000/svg" class="glass-graph" width="{w:.0f}" '
            f'height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" font-family="monospace" '
            'font-size="12">'),
            f"<title>{escape(self.title)}</title>",
            ("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
            "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#667\"/></marker></defs>"),
        ]
        for pts in lay["edges"]:
            out.append(f'<path class="edge" d="{_path(pts)}" fill="none" stroke="#667" '
                       'stroke-width="1.2" marker-end="url(#arrow)"/>')
        for n in self.nodes:
            x, y, bw, bh = lay["boxes"][n["id"]]
            fill, stroke = _COLORS.get(n["kind"], ("#fff", "#333"))
            out.append(f'<g class="node {n["kind"]}" id="{escape(n["id"])}">')
            if n.get("tip"):
                out.append(f"<title>{escape(n['tip'])}</title>")
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                       f'rx="4" fill="{fill}" stroke="{stroke}"/>')
            for k, line in enumerate(n["lines"]):
                ty = y + PAD_Y + LINE_H * (k + 1) - 3
                weight = ' font-weight="bold"' if k == 0 else ""
                out.append(f'<text x="{x + PAD_X:.1f}" y="{ty:.1f}"{weight}>'
                           f"{escape(line)}</text>")
            out.append("</g>")
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return f"<div style='overflow:auto'>{self.svg()}</div>"

    def save(self, path: str) -> None:
        """Write ``.svg`` or ``.dot`` (by the file's extension)."""
        text = self.dot() if path.endswith(".dot") else self.svg()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def graph(obj, view: str = "backward", step: int = -1, max_nodes: int = 300) -> Graph:
    """The graph of a loss tensor, a ``Trace`` (one of its steps) or a recorded ``Step``."""
    from .trace import Trace

    if isinstance(obj, Trace):
        s = obj.steps[step] if step < 0 else obj.steps[step - 1]
        return Graph.from_step(s, view, max_nodes)
    if isinstance(obj, Step):
        return Graph.from_step(obj, view, max_nodes)
    return Graph.from_tensor(obj, view, max_nodes)


_COLORS = {
    "op": ("#eef3fb", "#3b5b92"),
    "leaf": ("#fdf1d8", "#a86b00"),
    "const": ("#f2f2f2", "#777"),
    "module": ("#e9f5ea", "#2e7d32"),
}
_DOT_STYLE = {
    "leaf": ', style=filled, fillcolor="#fdf1d8"',
    "const": ', style=filled, fillcolor="#f2f2f2"',
    "module": ', style=filled, fillcolor="#e9f5ea"',
}


def _dot_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _clip(s: str) -> str:
    return s if len(s) <= MAX_LABEL else s[: MAX_LABEL - 3] + "..."


def _short(v) -> str:
    if v is None:
        return "-"
    if V.is_small(v):
        return V.fmt(v, 4)
    return f"mean {V.fmt_num(v.mean)} norm {V.fmt_num(v.norm)}"


def _lines(n, view: str) -> list[str]:
    shape = list(n.shape)
    if n.kind == "op":
        if view == "forward":
            head = n.title if n.title == n.label else f"{n.title} = {n.label}"
            lines = [head, f"{n.fn} {shape}", f"value {_short(n.value)}"]
            if n.grad is not None:
                lines.append(f"grad {_short(n.grad)}")
        else:
            lines = [n.op, f"{n.title} {shape}", f"g {_short(n.grad)}"]
            sent = [s for s in n.sent if s is not None]
            if sent:
                lines.append("sends " + " | ".join(_short(s) for s in sent))
    elif n.kind == "leaf":
        if view == "forward":
            lines = [n.title, f"param {shape}", f"value {_short(n.value)}",
                     f"grad {_short(n.grad_after)}"]
        else:
            lines = ["AccumulateGrad", f"{n.title} {shape}", f"grad {_short(n.grad_after)}"]
            if len(n.contributions) > 1:
                lines.append(f"{len(n.contributions)} contributions added")
    else:
        lines = [n.title, f"input {shape}", f"value {_short(n.value)}"]
    return [_clip(s) for s in lines]


def _tip(n) -> str:
    parts = [f"{n.op or n.kind}: {n.title}"]
    if n.rule:
        parts.extend(n.rule)
    if n.where:
        parts.append(n.where)
    return "\n".join(parts)


def _path(pts) -> str:
    (x0, y0), rest = pts[0], pts[1:]
    d = f"M{x0:.1f},{y0:.1f}"
    px, py = x0, y0
    for x, y in rest:
        my = (py + y) / 2
        d += f" C{px:.1f},{my:.1f} {x:.1f},{my:.1f} {x:.1f},{y:.1f}"
        px, py = x, y
    return d


def _sugiyama(nodes: list[dict], edges: list[tuple[str, str]]) -> dict:
    ids = [n["id"] for n in nodes]
    index = {k: i for i, k in enumerate(ids)}
    size = {}
    for n in nodes:
        width = max(len(s) for s in n["lines"]) * CHAR_W + 2 * PAD_X
        height = len(n["lines"]) * LINE_H + 2 * PAD_Y
        size[n["id"]] = (width, height)
    succ = {k: [] for k in ids}
    pred = {k: [] for k in ids}
    for a, b in edges:
        if a in succ and b in succ and a != b:
            succ[a].append(b)
            pred[b].append(a)
    # 1. longest-path layering (Kahn's order; a cycle cannot happen in an autograd graph, but a
    #    node left over by one is put on the last layer rather than looping)
    indeg = {k: len(pred[k]) for k in ids}
    order = [k for k in ids if indeg[k] == 0]
    layer = {k: 0 for k in order}
    i = 0
    while i < len(order):
        k = order[i]
        i += 1
        for s in succ[k]:
            layer[s] = max(layer.get(s, 0), layer[k] + 1)
            indeg[s] -= 1
            if indeg[s] == 0:
                order.append(s)
    top = max(layer.values(), default=0)
    for k in ids:
        if k not in layer:
            layer[k] = top + 1
    # 2. dummy nodes on edges spanning several layers
    chains = []
    dsucc = {k: [] for k in ids}
    dpred = {k: [] for k in ids}
    dummies = 0
    for a, b in edges:
        if a not in succ or b not in succ or a == b:
            continue
        chain = [a]
        la, lb = layer[a], layer[b]
        for lv in range(la + 1, lb):
            d = f"_d{dummies}"
            dummies += 1
            layer[d] = lv
            size[d] = (2.0, 2.0)
            dsucc[d] = []
            dpred[d] = []
            chain.append(d)
        chain.append(b)
        for u, v in itertools.pairwise(chain):
            dsucc[u].append(v)
            dpred[v].append(u)
        chains.append(chain)
    nlayers = max(layer.values(), default=0) + 1
    layers = [[] for _ in range(nlayers)]
    for k in ids:
        layers[layer[k]].append(k)
    for k in sorted((k for k in layer if k.startswith("_d")), key=lambda s: int(s[2:])):
        layers[layer[k]].append(k)
    layers = [sorted(lv, key=lambda k: index.get(k, len(index) + int(k[2:])
                                                 if k.startswith("_d") else 0)) for lv in layers]
    # 3. barycenter ordering, sweeping down then up
    pos = {}
    for lv in layers:
        for j, k in enumerate(lv):
            pos[k] = j
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        rng = range(1, nlayers) if down else range(nlayers - 2, -1, -1)
        for li in rng:
            nb = dpred if down else dsucc
            lv = layers[li]

            def bary(k, nb=nb):
                ns = nb[k]
                return sum(pos[m] for m in ns) / len(ns) if ns else pos[k]

            lv.sort(key=lambda k: (bary(k), pos[k]))
            for j, k in enumerate(lv):
                pos[k] = j
    # 4. coordinates: y by layer; x pulled to the neighbours above, then pushed apart
    ys = []
    y = 10.0
    for lv in layers:
        ys.append(y)
        y += max((size[k][1] for k in lv), default=0) + GAP_Y
    height = y - GAP_Y + 10
    cx = {}
    for li, lv in enumerate(layers):
        x = 10.0
        for k in lv:
            w = size[k][0]
            want = x + w / 2
            if li > 0 and dpred[k]:
                want = max(want, sum(cx[m] for m in dpred[k]) / len(dpred[k]))
            cx[k] = want
            x = want + w / 2 + GAP_X
    # a second pass from the bottom pulls parents over their children where there is room
    for li in range(nlayers - 2, -1, -1):
        lv = layers[li]
        for j in range(len(lv) - 1, -1, -1):
            k = lv[j]
            if not dsucc[k]:
                continue
            want = sum(cx[m] for m in dsucc[k]) / len(dsucc[k])
            lo = cx[lv[j - 1]] + size[lv[j - 1]][0] / 2 + GAP_X + size[k][0] / 2 if j else \
                10 + size[k][0] / 2
            hi = cx[lv[j + 1]] - size[lv[j + 1]][0] / 2 - GAP_X - size[k][0] / 2 \
                if j + 1 < len(lv) else float("inf")
            if lo <= want <= hi:
                cx[k] = want
            elif want > hi >= lo:
                cx[k] = hi
            elif want < lo <= hi:
                cx[k] = lo
    width = max((cx[k] + size[k][0] / 2 for k in cx), default=10) + 10
    boxes = {}
    for li, lv in enumerate(layers):
        hmax = max((size[k][1] for k in lv), default=0)
        for k in lv:
            w, h = size[k]
            boxes[k] = (cx[k] - w / 2, ys[li] + (hmax - h) / 2, w, h)
    paths = []
    for chain in chains:
        pts = []
        for j, k in enumerate(chain):
            x, y0, w, h = boxes[k]
            if j == 0:
                pts.append((x + w / 2, y0 + h))
            elif j == len(chain) - 1:
                pts.append((x + w / 2, y0))
            else:
                pts.append((x + w / 2, y0 + h / 2))
        paths.append(pts)
    real = {k: boxes[k] for k in ids}
    return {"boxes": real, "edges": paths, "size": (width, height), "layers": nlayers}
