"""Regressions found while trying the README's glass-box snippets."""

import glassgrad as gg
from glassgrad import glass


def _seed():
    w = gg.tensor(0.0, requires_grad=True)
    X = gg.tensor([1.0, 2.0, 3.0, 4.0])
    y = gg.tensor([2.0, 4.0, 6.0, 8.0])
    return w, X, y


def test_graph_of_a_loss_whose_leaf_already_has_a_gradient():
    # a 0-d leaf whose .grad is already set made the label code see a NumPy scalar and crash
    w, X, y = _seed()
    ((y - w * X) ** 2).mean().backward()
    g = glass.graph(((y - w * X) ** 2).mean())
    dot = g.dot()
    assert "AccumulateGrad" in dot and "grad -60.0" in dot  # -30 already there, -30 more


def test_explain_outside_a_trace_shows_the_loss_value():
    w, X, y = _seed()
    text = str(glass.explain(((y - w * X) ** 2).mean(), w))
    assert "L = loss = 30.0" in text.splitlines()[0]
    assert "dL/dw = -30.0" in text
