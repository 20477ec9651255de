"""The backward pass: walk the graph in reverse topological order, applying the chain rule.

Each node receives ``g`` (dL/d its output), calls its op's ``backward`` (the local gradient
times ``g``) and hands each product to the node that made that input; products arriving at the
same node add up (fan-out). The engine, not each op, sums a gradient back to its input's shape
when broadcasting widened it. The walk uses an explicit stack, so depth is not limited by
Python's recursion limit.
"""

from __future__ import annotations

import numpy as np

from . import function as _function
from .function import _FREED, state
from .grad_mode import _mode


_array = np.array


def _sum_to(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting ``shape`` up to ``g.shape``."""
    if type(g) is not np.ndarray and not np.isscalar(g):
        return g.sum_to_size(shape)  # a Tensor in a create_graph pass
    lead = g.ndim - len(shape)
    if lead > 0:
        g = _add_reduce(g, tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = _add_reduce(g, axes, None, None, True)
    if g.shape != tuple(shape):
        g = np.reshape(g, shape)
    return g


_add_reduce = np.add.reduce  # np.sum's C core, without its Python-level wrapper


def topo_order(roots):
    """Nodes reachable from ``roots`` in post-order (each after every node it feeds into)."""
    order = []
    visited = set()
    # a node is pushed as itself to expand it, and as a 1-tuple to emit it once its inputs are done
    stack = list(roots)
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        if type(node) is tuple:
            order.append(node[0])
            continue
        if node in visited:
            continue
        visited.add(node)
        push((node,))
        inputs = node.inputs
        if inputs:
            for t in inputs:
                if t is not None:
                    fn = t.grad_fn
                    if fn is not None and fn not in visited:
                        push(fn)
    return order


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate ``root_grads`` from ``roots`` (Tensors) through the graph.

    ``capture``: for ``autograd.grad``, a dict ``{id(tensor): None}`` of tensors whose gradient
    is returned (filled in) instead of accumulated into ``.grad``.
    """
    Tensor, _wrap = _function.Tensor, _function._wrap
    grads = {}
    leaf_roots = []
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        if fn is None:
            leaf_roots.append((t, g))
        else:
            prev = grads.get(fn)
            grads[fn] = g if prev is None else prev + g
    order = topo_order([t.grad_fn for t in roots if t.grad_fn is not None])

    prev_higher = state.higher
    prev_mode = _mode.enabled
    state.higher = create_graph
    _mode.enabled = create_graph
    bhooks = state.backward_hooks
    # leaves take the plain in-place accumulation below unless something asks for more
    plain = capture is None and not create_graph
    try:
        for t, g in leaf_roots:
            _deliver_leaf(t, g, create_graph, capture, Tensor, _wrap)
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node._retain is not None:
                _retained(node, g, create_graph, capture, _wrap)
            input_grads = node.backward(node, g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            # glass hooks: begin
            if bhooks:
                for hook in bhooks:
                    hook(node, g, input_grads)
            # glass hooks: end
            if not retain_graph and node._saved is not None:
                node._saved = _FREED
            for t, gi in zip(node.inputs, input_grads):
                if t is None or gi is None:
                    continue
                data = t._data
                if gi.shape != data.shape:
                    gi = _sum_to(gi, data.shape)
                if gi.dtype is not data.dtype and gi.dtype != data.dtype:
                    gi = gi.astype(data.dtype) if not create_graph else gi.to(data.dtype)
                fn = t.grad_fn
                if fn is not None:
                    prev = grads.get(fn)
                    grads[fn] = gi if prev is None else prev + gi
                elif plain and t._hooks is None:
                    # AccumulateGrad: a copy the first time (the same array may also be on its
                    # way to another input), in place after that
                    grad = t.grad
                    if grad is None:
                        t.grad = _wrap(_array(gi, data.dtype), False, None)
                    elif grad.requires_grad:
                        t.grad = grad + gi
                    else:
                        grad._data += gi
                else:
                    _deliver_leaf(t, gi, create_graph, capture, Tensor, _wrap)
    finally:
        state.higher = prev_higher
        _mode.enabled = prev_mode


def _deliver_leaf(t, g, create_graph, capture, Tensor, _wrap):
    """Accumulate ``g`` into a leaf's ``.grad`` (AccumulateGrad), or capture it."""
    if capture is not None:
        key = id(t)
        if key in capture:
            prev = capture[key]
            capture[key] = g if prev is None else prev + g
        return
    if t._hooks:
        g = t._run_hooks(g)
    if create_graph:
        if not isinstance(g, Tensor):
            g = _wrap(np.array(g), False, None)
        t.grad = g if t.grad is None else t.grad + g
        return
    grad = t.grad
    if grad is None:
        # a copy: the same array may also be on its way to another input
        t.grad = _wrap(np.array(g, dtype=t._data.dtype), False, None)
    elif grad.requires_grad:
        t.grad = grad + g
    else:
        grad._data += g


def _retained(node, g, create_graph, capture, _wrap):
    """Non-leaf tensors that asked for ``retain_grad()`` or have hooks see their gradient here."""
    t = node._retain()
    if t is None:
        return
    if capture is not None:
        key = id(t)
        if key in capture:
            prev = capture[key]
            capture[key] = g if prev is None else prev + g
    if t._retains_grad and capture is None:
        val = g if create_graph else _wrap(np.array(g), False, None)
        if t.grad is None:
            t.grad = val
        else:
            t.grad = t.grad + val
