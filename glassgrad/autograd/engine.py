"""The backward pass: walk the graph in reverse topological order, applying the chain rule.

Each node receives ``g`` (dL/d its output), calls its op's ``backward`` (the local gradient
times ``g``) and hands each product to the node that made that input; products arriving at the
same node add up (fan-out). The engine, not each op, sums a gradient back to its input's shape
when broadcasting widened it (and casts it to the input's dtype); ``loss.backward()``'s loop
skips that for nodes marked ``_exact``, whose gradients have their inputs' shapes and dtypes
already. Neither loop recurses, so depth is not limited by Python's recursion limit.

``loss.backward()`` runs the nodes newest first (by ``_seq``, their creation order, kept in a
heap): a node is made after every node whose output it uses, so by the time it is popped all
of its gradient has arrived, with no separate pass to sort the graph. The other entry points
sort it first (``topo_order``), since they must know the whole graph before running it.

Two loops share that logic. ``run_backward``'s own loop is the fast path (``loss.backward()``:
NumPy arrays only). ``_run_general`` handles everything else: ``create_graph=True`` (the
gradients are Tensors and the backward formulas record a new graph, so the result can be
differentiated again), ``autograd.grad`` (gradients captured for chosen inputs, leaf or not,
instead of accumulated into ``.grad``; only the part of the graph that leads to them runs) and
``backward(inputs=...)``.

A node with several outputs (a user ``Function`` returning a tuple) keeps one gradient slot per
output: its pending gradient (``grads[node]`` in ``_run_general``, ``node._g`` in the fast path)
is then a list, and an output tensor's ``_oidx`` says which slot.
"""

from __future__ import annotations

import heapq

import numpy as np

from . import function as _function
from .function import _FREED, state
from .function import set_higher as _set_higher
from .grad_mode import _mode

_array = np.array
_heappush = heapq.heappush
_heappop = heapq.heappop
_running = False  # a run_backward fast path is under way (its gradients wait in nodes' _g)


def _sum_to(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting ``shape`` up to ``g.shape``."""
    if type(g) is not np.ndarray and not np.isscalar(g):
        return g.sum_to_size(shape)  # a Tensor in a create_graph pass
    if not shape:
        return _function.sum_all(g)  # to a 0-d tensor (a scalar weight): sum everything
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
                    if fn is not None and fn._seq > node._seq:
                        fn = _history_before(fn, node._seq, t)
                    if fn is not None and fn not in visited:
                        push(fn)
    return order


def _history_before(fn, seq, t):
    """The node tensor ``t``'s gradient goes to for a consumer made at ``seq``.

    An in-place op made after that consumer rebased ``t`` onto a newer node (a larger
    ``_seq``); the consumer saw the value before it, whose history that node holds as an input
    (a snapshot of ``t`` before the change).
    """
    while fn is not None and fn._seq > seq:
        old = fn._rebased_from(t)
        fn = None if old is None else old.grad_fn
    return fn


def _add_to_node(grads, fn, t, gi):
    """Add ``gi`` (the gradient of output ``t``) into ``fn``'s slot; several outputs: a list."""
    n = fn._nout
    if n == 1:
        prev = grads.get(fn)
        grads[fn] = gi if prev is None else prev + gi
        return
    slots = grads.get(fn)
    if slots is None:
        slots = grads[fn] = [None] * n
    i = t._oidx
    slots[i] = gi if slots[i] is None else slots[i] + gi


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate ``root_grads`` from ``roots`` (Tensors) through the graph.

    ``capture``: for ``autograd.grad``, a list of the tensors whose gradients are returned
    instead of accumulated into ``.grad``; then the return value is their gradients (None where
    no gradient reached one). A dict ``{id(leaf): None}`` is filled in place instead.
    """
    if create_graph or capture is not None or _running:
        # (a backward started while another runs, from a hook or a thread, keeps its
        # gradients apart from the nodes' ``_g`` slots that the running one fills)
        return _run_general(roots, root_grads, retain_graph, create_graph, capture)
    # the nodes that have a gradient waiting, as (-_seq, node): the one made last runs first.
    # Every consumer of a node was made after it, so a node runs once all of its gradient has
    # arrived (PyTorch's CPU engine picks by sequence number the same way)
    ready = []
    leaf_roots = []
    root_fns = []
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        if fn is None:
            leaf_roots.append((t, g))
        elif _add_to_slot(fn, t, g):
            _heappush(ready, (-fn._seq, fn))
            root_fns.append(fn)
    _drain(ready, None, root_fns, leaf_roots, retain_graph)


def backward_scalar(t):
    """``loss.backward()``: ``t`` has a node and one element; its gradient is a 1."""
    data = t._data
    # the 1 that starts the walk; a loss's (0-d) found here without a call to _one_like
    one = _ONES.get(data.dtype) if not data.ndim else None
    if one is None:
        one = _one_like(data)
    # glass hooks: begin
    if state.backward_hooks:  # the glass box's trace watches for a backward at run_backward
        run_backward((t,), (one,))
        return
    # glass hooks: end
    fn = t.grad_fn
    if _running or fn._nout != 1:
        run_backward((t,), (one,))
        return
    fn._g = one
    _drain([], fn, (fn,), (), False)


_ONES = {}


def _one_like(data):
    """A read-only 1 of data's shape and dtype, made once (see backward_scalar). A 0-d one is
    keyed by its dtype alone: a dict finds a dtype faster than a (shape, dtype) pair, whose hash
    is made anew each time."""
    key = data.dtype if not data.ndim else (data.shape, data.dtype)
    one = _ONES.get(key)
    if one is None:
        one = np.ones(data.shape, data.dtype)
        one.flags.writeable = False
        _ONES[key] = one
    return one


def _add_to_slot(fn, t, gi):
    """Add ``gi`` (the gradient of ``fn``'s output ``t``) into ``fn._g``. True if it is the first
    gradient to arrive (``fn`` then starts waiting). A node with several outputs holds a list of
    one slot per output there, made with the node (engine reads no ``_nout`` per edge)."""
    slots = fn._g
    if slots is None:
        fn._g = gi
        return True
    if slots.__class__ is not list:
        fn._g = slots + gi
        return False
    first = all(s is None for s in slots)
    i = t._oidx
    slots[i] = gi if slots[i] is None else slots[i] + gi
    return first


def _drain(ready, nxt, root_fns, leaf_roots, retain_graph):
    """``run_backward``'s loop: run the nodes waiting in ``ready`` (a heap) or ``nxt`` (the
    one node waiting while no other does), and every node they reach.

    A node's incoming gradient waits in its ``_g`` slot (no dict to look it up in) until it
    runs; ``_running`` keeps a second backward from using those slots meanwhile.
    """
    global _running
    prev_higher = state.higher
    if prev_higher:  # a backward inside a differentiable one (from a hook)
        _set_higher(False)
    prev_mode = _mode.enabled
    _mode.enabled = False
    _running = True
    bhooks = state.backward_hooks
    hooked = None  # leaves with hooks (made on the first one): see _HookedLeaves
    # nxt: the one node waiting while no other does (a chain): it runs next, without the heap
    try:
        for t, g in leaf_roots:
            _deliver_leaf(t, g, False, _function.Tensor, _function._wrap)
        while True:
            if nxt is not None:
                node = nxt
                nxt = None
            elif ready:
                node = _heappop(ready)[1]
            else:
                break
            g = node._g
            if type(g) is list:  # several outputs: fresh slots for a later backward
                node._g = [None] * len(g)
            else:
                node._g = None
            exact = node._exact  # None: a tensor hook or retain_grad() waits (see Function)
            if exact is None:
                g = _retained(node, g, False, _function._wrap)
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
                if not exact:
                    data = t._data
                    if gi.shape != data.shape:
                        gi = _sum_to(gi, data.shape)
                    if gi.dtype is not data.dtype and gi.dtype != data.dtype:
                        gi = gi.astype(data.dtype)
                fn = t.grad_fn
                # a node newer than this one: an in-place op rebased t after we saw it (every
                # such op bumps t's version, so a tensor without a version counter was not)
                if fn is not None and t._vc is not None and fn._seq > node._seq:
                    fn = _history_before(fn, node._seq, t)
                if fn is not None:
                    prev = fn._g
                    if prev is None:
                        fn._g = gi
                    elif prev.__class__ is not list:
                        fn._g = prev + gi
                        continue
                    elif not _add_to_slot(fn, t, gi):
                        continue
                    # fn has its first gradient: it waits, alone (nxt) or in the heap
                    if nxt is None and not ready:
                        nxt = fn
                    else:
                        if nxt is not None:
                            _heappush(ready, (-nxt._seq, nxt))
                            nxt = None
                        _heappush(ready, (-fn._seq, fn))
                elif t._hooks is None:
                    # AccumulateGrad: a copy the first time (the same array may also be on its
                    # way to another input), in place after that
                    # (``_grad``: the slot behind the checked ``.grad`` property)
                    grad = t._grad
                    if grad is None:
                        t._grad = _function._wrap(_array(gi, t._data.dtype), False, None)
                    elif grad.requires_grad:
                        t._grad = grad + gi
                    else:
                        gd = grad._data
                        if gd.ndim:
                            gd += gi
                        else:
                            # a 0-d .grad (a scalar weight): NumPy's in-place add there takes
                            # ten times as long as adding NumPy scalars (x[()]) and a store
                            gd[()] = gd[()] + gi[()]
                else:
                    if hooked is None:
                        hooked = _HookedLeaves(topo_order(root_fns), False, _function.Tensor,
                                               _function._wrap)
                    hooked.add(t, gi)
            if hooked is not None and hooked.ready:
                hooked.deliver_ready(node)
        if hooked is not None:
            hooked.deliver_rest()
    finally:
        _running = False
        if ready or nxt is not None:  # an error stopped the walk: drop what still waits
            for node in [n for _, n in ready] + ([nxt] if nxt is not None else []):
                node._g = None if node._nout == 1 else [None] * node._nout
        if prev_higher:
            _set_higher(True)
        _mode.enabled = prev_mode


def _needed_nodes(order, leaf_targets, node_targets):
    """The nodes whose backward must run to reach a target (PyTorch's exec_info)."""
    needed = set()
    for node in order:  # inputs before the nodes they feed
        for t in node.inputs or ():
            if t is None:
                continue
            fn = t.grad_fn
            if fn is not None and fn._seq > node._seq:
                fn = _history_before(fn, node._seq, t)
            if fn is None:
                if id(t) in leaf_targets:
                    needed.add(node)
                    break
            elif fn in needed or fn in node_targets:
                needed.add(node)
                break
    return needed


def _run_general(roots, root_grads, retain_graph, create_graph, capture):
    """The loop for ``create_graph=True`` and for captured gradients (``autograd.grad``)."""
    Tensor, _wrap = _function.Tensor, _function._wrap

    grads = {}
    leaf_roots = []
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        if fn is None:
            leaf_roots.append((t, g))
        else:
            _add_to_node(grads, fn, t, g)
    order = topo_order([t.grad_fn for t in roots if t.grad_fn is not None])

    leaf_targets = node_targets = needed = None
    results = None
    if type(capture) is dict:
        # the glass tools' form, ``{id(leaf): None}`` filled in place: every node runs (they
        # watch the whole backward through hooks), nothing is added into ``.grad``
        results = capture
        leaf_targets = {k: [k] for k in capture}
        node_targets = {}
    elif capture is not None:
        results = [None] * len(capture)
        leaf_targets = {}
        node_targets = {}
        for i, t in enumerate(capture):
            if t.grad_fn is None:
                leaf_targets.setdefault(id(t), []).append(i)
            else:
                node_targets.setdefault(t.grad_fn, []).append((i, t))
        needed = _needed_nodes(order, leaf_targets, node_targets)

    prev_higher = _set_higher(create_graph)
    prev_mode = _mode.enabled
    _mode.enabled = create_graph
    bhooks = state.backward_hooks
    pending = {}  # leaves: summed first, so that their hooks run once on the total
    hooked = None
    try:
        for t, g in leaf_roots:
            if capture is None or id(t) in leaf_targets:
                _pend(pending, t, g)
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node._exact is None:
                g = _retained(node, g, create_graph, _wrap)
            if capture is not None:
                targets = node_targets.get(node)
                if targets is not None:
                    for i, t in targets:
                        gt = g if type(g) is not list else g[t._oidx]
                        if gt is not None:
                            results[i] = gt if results[i] is None else results[i] + gt
                if needed is not None and node not in needed:
                    continue
            input_grads = node.backward(node, g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if bhooks:
                for hook in bhooks:
                    hook(node, g, input_grads)
            if not retain_graph and node._saved is not None:
                node._saved = _FREED
            for t, gi in zip(node.inputs, input_grads):
                if t is None or gi is None:
                    continue
                data = t._data
                if create_graph:
                    if not isinstance(gi, Tensor):
                        gi = _wrap(np.asarray(gi, dtype=data.dtype), False, None)
                    gdt = gi._data.dtype
                else:
                    if isinstance(gi, Tensor):  # a user Function's backward may return Tensors
                        gi = gi._data
                    gdt = gi.dtype
                if tuple(gi.shape) != data.shape:
                    gi = _sum_to(gi, data.shape)
                if gdt != data.dtype:
                    gi = gi.to(data.dtype) if create_graph else gi.astype(data.dtype)
                fn = t.grad_fn
                if fn is not None and fn._seq > node._seq:
                    fn = _history_before(fn, node._seq, t)
                if fn is None:
                    if capture is None and t._hooks is not None:
                        if hooked is None:
                            hooked = _HookedLeaves(order, create_graph, Tensor, _wrap)
                        hooked.add(t, gi)
                    elif capture is None or id(t) in leaf_targets:
                        _pend(pending, t, gi)
                else:
                    _add_to_node(grads, fn, t, gi)
            if hooked is not None and hooked.ready:
                hooked.deliver_ready(node)
        if hooked is not None:
            hooked.deliver_rest()
        for t, g in pending.values():
            if capture is None:
                _deliver_leaf(t, g, create_graph, Tensor, _wrap)
            else:
                _capture_leaf(t, g, leaf_targets, results)
    finally:
        _set_higher(prev_higher)
        _mode.enabled = prev_mode
    return results


class _HookedLeaves:
    """Leaves with hooks, delivered the way PyTorch's AccumulateGrad nodes run.

    A leaf's gradient is summed until every edge into it has delivered, so its hooks run once,
    on the total, as soon as it is complete (PyTorch runs a ready AccumulateGrad before any
    other node). Leaves that one node completes together become ready together in PyTorch's
    priority queue with equal priorities, and come out in binary-heap order (``_heap_order``);
    an op whose PyTorch graph reaches some inputs through an extra node (Linear's weight, via
    TBackward0) lists them in ``_torch_leaf_groups``, delivered group by group. Edges that never
    deliver (a branch without gradient) leave their leaf to the end of the backward.
    """

    __slots__ = ("Tensor", "counts", "create_graph", "pending", "ready", "wrap")

    def __init__(self, order, create_graph, Tensor, wrap):
        counts = {}
        for node in order:
            for t in node.inputs or ():
                if t is not None and t.grad_fn is None and t._hooks is not None:
                    counts[id(t)] = counts.get(id(t), 0) + 1
        self.counts = counts
        self.pending = {}
        self.ready = []
        self.create_graph = create_graph
        self.Tensor = Tensor
        self.wrap = wrap

    def add(self, t, g):
        key = id(t)
        _pend(self.pending, t, g)
        left = self.counts.get(key, 1) - 1
        self.counts[key] = left
        if left <= 0:
            self.ready.append(self.pending.pop(key))

    def deliver_ready(self, node=None):
        ready = self.ready
        self.ready = []
        groups = [ready]
        spec = getattr(node, "_torch_leaf_groups", None)
        if spec is not None and len(ready) > 1:
            inputs = node.inputs
            where = {}
            for i, t in enumerate(inputs):
                if t is not None:
                    where.setdefault(id(t), i)
            groups = [[item for i in group for item in ready if where.get(id(item[0])) == i]
                      for group in spec]
            placed = {id(item[0]) for group in groups for item in group}
            groups.append([item for item in ready if id(item[0]) not in placed])
        for group in groups:
            for t, g in _heap_order(group):
                _deliver_leaf(t, g, self.create_graph, self.Tensor, self.wrap)

    def deliver_rest(self):
        self.deliver_ready()
        for t, g in self.pending.values():
            _deliver_leaf(t, g, self.create_graph, self.Tensor, self.wrap)
        self.pending = {}


class _Tie:
    """A heap entry equal to every other: only the heap's own moves decide the order."""

    __slots__ = ("item",)

    def __init__(self, item):
        self.item = item

    def __lt__(self, other):
        return False


def _heap_order(items):
    """The order equal-priority items pushed in this order leave a binary heap (PyTorch's
    std::priority_queue and heapq move equal entries alike): [0, 2, 1, 3] for four."""
    if len(items) < 3:
        return items
    heap = []
    for item in items:
        _heappush(heap, _Tie(item))
    return [_heappop(heap).item for _ in range(len(items))]


def _pend(pending, t, g):
    key = id(t)
    prev = pending.get(key)
    pending[key] = (t, g) if prev is None else (t, prev[1] + g)


def _capture_leaf(t, g, leaf_targets, results):
    if t._hooks:
        g = t._run_hooks(g)
    for i in leaf_targets[id(t)]:
        results[i] = g if results[i] is None else results[i] + g


def _deliver_leaf(t, g, create_graph, Tensor, _wrap):
    """Accumulate ``g`` into a leaf's ``.grad`` (AccumulateGrad), running the leaf's hooks."""
    hooks = t._hooks
    if hooks:
        g = t._run_hooks(g)
    if create_graph:
        if not isinstance(g, Tensor):
            g = _wrap(np.array(g), False, None)
        t.grad = g if t.grad is None else t.grad + g
    else:
        grad = t._grad
        if grad is None:
            # a copy: the same array may also be on its way to another input
            t._grad = _wrap(np.array(g, dtype=t._data.dtype), False, None)
        elif grad.requires_grad:
            t._grad = grad + g
        else:
            grad._data += g
    if hooks and hooks.post:
        for hook in list(hooks.post.values()):
            res = hook(t)
            if res is not None and res is not t:  # PyTorch tolerates the tensor itself
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _retained(node, g, create_graph, _wrap):
    """A non-leaf tensor's hooks and ``retain_grad()``: they see (and hooks may replace) ``g``."""
    t = node._retain()
    if t is None:
        return g
    multi = type(g) is list
    gt = g[t._oidx] if multi else g
    if gt is None:
        return g
    if t._hooks:
        gt = t._run_hooks(gt)
    if t._retains_grad:
        val = gt if create_graph else _wrap(np.array(gt), False, None)
        if t._grad is None:
            t.grad = val
        else:
            t.grad = t._grad + val
    if multi:
        g = list(g)
        g[t._oidx] = gt
        return g
    return gt


def _accumulate_into(t, g, create_graph):
    """``backward(inputs=...)``: add a captured gradient into ``t.grad`` (leaf or not)."""
    from ..tensor import Tensor, _wrap

    if t.grad_fn is None:
        if create_graph:
            _deliver_leaf(t, g, True, Tensor, _wrap)
            return
        hooks = t._hooks
        t._hooks = None  # the capture already ran them
        try:
            _deliver_leaf(t, g._data if isinstance(g, Tensor) else g, False, Tensor, _wrap)
        finally:
            t._hooks = hooks
        if hooks and hooks.post:
            for hook in list(hooks.post.values()):
                res = hook(t)
                if res is not None and res is not t:  # PyTorch tolerates the tensor itself
                    raise RuntimeError("Tensor post accumulate grad hooks should return None.")
        return
    if not isinstance(g, Tensor):
        g = _wrap(np.array(g), False, None)
    t.grad = g if t._grad is None else t._grad + g
