"""Tensor's method groups, one mixin class per module (``glassgrad.tensor.Tensor`` inherits them).

``tensor.py`` keeps the hot path (construction, ``_wrap``, ``_binary``, the arithmetic operators,
``backward``); the groups here are plain methods moved out of it. They use ``Tensor`` and
``tensor.py``'s helpers through module globals that ``_bind`` sets once the class exists (the
pattern of ``glassgrad.autograd.function``), so importing this package creates no cycle.
"""

from . import compare, indexing, inplace, pointwise, reductions, shape


def _bind(ns) -> None:
    """Give each method module the names it uses from ``glassgrad.tensor`` (``ns``: its globals)."""
    for mod in (compare, indexing, inplace, pointwise, reductions, shape):
        mod._bind(ns)
