"""glass graph pictures: well-formed SVG, no overlapping boxes, stable output, DOT text."""

import itertools
import xml.etree.ElementTree as ET

import pytest

import glassgrad as torch
from glassgrad import glass, nn

SVG = "{http://www.w3.org/2000/svg}"


def seed_trace():
    X = torch.tensor([1.0, 2.0, 3.0, 4.0])
    y = torch.tensor([2.0, 4.0, 6.0, 8.0])
    w = torch.tensor(0.0, requires_grad=True)
    with glass.trace() as t:
        y_hat = w * X
        loss = ((y - y_hat) ** 2).mean()
        loss.backward()
    return t


def mlp_trace(layers=20, width=6):
    torch.manual_seed(0)
    mods = []
    for _ in range(layers):
        mods += [nn.Linear(width, width), nn.ReLU()]
    model = nn.Sequential(*mods, nn.Linear(width, 1))
    x = torch.randn(8, width)
    target = torch.randn(8, 1)
    with glass.trace(checks=False) as t:
        a = model(x)
        b = torch.tanh(model[0](x)).sum() * 0.1  # a skip from the first layer to the loss
        loss = ((a - target) ** 2).mean() + b
        loss.backward()
    return t


def boxes_from_svg(svg: str):
    root = ET.fromstring(svg)  # well-formed XML or this raises
    assert root.tag == SVG + "svg"
    out = []
    for g in root.iter(SVG + "g"):
        if "node" in g.get("class", "").split():
            r = g.find(SVG + "rect")
            out.append((float(r.get("x")), float(r.get("y")), float(r.get("width")),
                        float(r.get("height"))))
    return root, out


def assert_no_overlap(boxes):
    for (x1, y1, w1, h1), (x2, y2, w2, h2) in itertools.combinations(boxes, 2):
        apart = x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
        assert apart, f"boxes overlap: {(x1, y1, w1, h1)} and {(x2, y2, w2, h2)}"


@pytest.mark.parametrize("view", ["forward", "backward"])
def test_seed_graph_svg(view):
    t = seed_trace()
    g = t.graph(1, view)
    svg = g.svg()
    root, boxes = boxes_from_svg(svg)
    assert len(boxes) == len(g.nodes)
    assert_no_overlap(boxes)
    text = " ".join(e.text or "" for e in root.iter(SVG + "text"))
    if view == "backward":
        for name in ("MeanBackward0", "PowBackward0", "SubBackward0", "MulBackward0",
                     "AccumulateGrad"):
            assert name in text
        assert "grad -30.0" in text
    else:
        assert "y_hat = w * X" in text and "value 30.0" in text
    # every box lies inside the picture
    w, h = float(root.get("width")), float(root.get("height"))
    for x, y, bw, bh in boxes:
        assert x >= 0 and y >= 0 and x + bw <= w + 1 and y + bh <= h + 1


def test_svg_is_stable():
    a = seed_trace().graph(1, "backward").svg()
    b = seed_trace().graph(1, "backward").svg()
    assert a == b


def test_edges_go_down_the_layers():
    t = seed_trace()
    g = t.graph(1, "forward")
    lay = g.layout()
    for (a, b) in g.edges:
        assert lay["boxes"][a][1] < lay["boxes"][b][1]


def test_large_graph_no_overlap_and_collapse():
    t = mlp_trace()
    step = t.steps[0]
    assert len(step.nodes) > 80
    g = glass.Graph.from_step(step, "forward")
    _, boxes = boxes_from_svg(g.svg())
    assert_no_overlap(boxes)
    small = glass.Graph.from_step(step, "backward", max_nodes=30)
    assert "collapsed by module" in small.title
    assert len(small.nodes) < len(step.nodes)
    assert any(n["kind"] == "module" for n in small.nodes)
    _, boxes = boxes_from_svg(small.svg())
    assert_no_overlap(boxes)


def test_dot_text():
    dot = seed_trace().graph(1, "backward").dot()
    assert dot.startswith("digraph glassgrad {")
    assert "MulBackward0" in dot and "->" in dot
    assert dot.count("->") == 4


def test_graph_of_a_loss_tensor_and_notebook_reprs():
    X = torch.tensor([1.0, 2.0])
    w = torch.tensor(0.5, requires_grad=True)
    loss = (w * X).sum()
    g = glass.graph(loss)
    assert "<svg" in g._repr_svg_() and "<svg" in g._repr_html_()
    assert w.grad is None  # drawing the graph (with gradients) left .grad alone
    loss.backward()
    assert w.grad.item() == 3.0
    t = seed_trace()
    assert "glass trace" in t._repr_html_()
    assert "<pre" in glass.explain(t, "w")._repr_html_()


def test_graph_after_backward_shows_structure():
    X = torch.tensor([1.0, 2.0])
    w = torch.tensor(0.5, requires_grad=True)
    loss = ((w * X) ** 2).mean()
    loss.backward()
    g = glass.graph(loss)
    _, boxes = boxes_from_svg(g.svg())
    assert_no_overlap(boxes)
    names = [n["lines"][0] for n in g.nodes]
    assert names[:3] == ["MeanBackward0", "PowBackward0", "MulBackward0"]
    assert "AccumulateGrad" in names
