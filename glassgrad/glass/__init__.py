"""The glass box: see every step of learning.

- ``trace()``: record each training step (forward values, local gradients, the chain rule's
  products, parameter updates, the loss) of the code run inside ``with glass.trace() as t:``;
- ``explain(loss, w)``: the chain rule for one parameter with the actual numbers;
- ``check_gradient(fn, params)`` and ``compare_gradient(...)``: autograd against finite
  differences or a hand-written gradient, with the mismatch explained;
- ``Graph``: the forward or backward graph as DOT text or an SVG laid out by glassgrad itself;
- ``Trace.report(path)``: one self-contained HTML page with all of it.

The core never imports this package; tracing installs hooks only inside its ``with`` block.
"""

from __future__ import annotations

from .checks import Finding, GlassWarning
from .explain import Explanation, explain
from .gradcheck import GradCheck, Verdict, check_gradient, compare_gradient
from .graph import Graph, graph
from .trace import Trace, active, last, trace

__all__ = [
    "Explanation", "Finding", "GlassWarning", "GradCheck", "Graph", "Trace", "Verdict", "active",
    "check_gradient", "compare_gradient", "explain", "graph", "last", "trace",
]
