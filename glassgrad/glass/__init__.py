"""The glass box: see every step of learning.

- ``trace()``: record each training step (forward values, local gradients, the chain rule's
  products, parameter updates, the loss) of the code run inside ``with glass.trace() as t:``;
- ``explain(loss, w)``: the chain rule for one parameter with the actual numbers;
- ``check_gradient(fn, params)`` and ``compare_gradient(...)``: autograd against finite
  differences or a hand-written gradient, with the mismatch explained;
- ``Graph``: the forward or backward graph as DOT text or an SVG laid out by glassgrad itself;
- ``Trace.report(path)``: one self-contained HTML page with all of it;
- ``step_table(step)``: one step as the terminal table of ``glassgrad demo --explain``;
- training-loop checks run inside every trace and warn (``GlassWarning``) with your file and line.

Example::

    from glassgrad import glass

    with glass.trace() as t:
        train()                      # any loop: hand-written updates or an optimizer
    print(t.explain("w", step=1))    # the chain rule with the numbers
    t.report("report.html")

The core never imports this package; tracing installs hooks only inside its ``with`` block.
"""

from __future__ import annotations

from .checks import Finding, GlassWarning
from .explain import Explanation, explain
from .gradcheck import GradCheck, Verdict, check_gradient, compare_gradient
from .graph import Graph, graph
from .terminal import step_table
from .trace import Trace, active, last, trace

__all__ = [
    "Explanation", "Finding", "GlassWarning", "GradCheck", "Graph", "Trace", "Verdict", "active",
    "check_gradient", "compare_gradient", "explain", "graph", "last", "step_table", "trace",
]
