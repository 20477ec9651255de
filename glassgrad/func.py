"""``glassgrad.func``: function transforms in the style of ``torch.func`` (JAX-like).

``grad(f)`` is a new function that returns the gradient of ``f``; transforms compose, so
``grad(grad(f))`` is the second derivative and ``hessian(f)`` is ``jacfwd(jacrev(f))``.

How they work here: each transform makes its inputs differentiable (a fresh leaf, or, when the
input already carries a graph because an outer transform is differentiating it, a view of it),
runs ``f`` with grad mode on, and calls ``autograd.grad``. When an outer transform (or ordinary
autograd) will differentiate the result, the inner call uses ``create_graph=True`` so the result
stays connected; at the outermost level the results are plain tensors.

Forward mode (``jvp``, ``jacfwd``) uses the double-vjp trick: ``g(u) = J^T u`` is linear in ``u``,
so differentiating ``<g(u), v>`` with respect to ``u`` gives ``J v``. The results equal
forward-mode AD's; the cost is two reverse passes instead of one forward pass.

``vmap`` is a loop over the batch dimension followed by a stack: same results as
``torch.func.vmap``, not vectorised.
"""

from __future__ import annotations

import functools

import numpy as np

from .autograd import grad as _autograd_grad
from .autograd.engine import topo_order
from .autograd.grad_mode import enable_grad
from .tensor import Tensor, _wrap

__all__ = [
    "functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp",
    "vmap",
]

# how many transforms are running around the current call (>0: results must stay differentiable)
_LEVEL = [0]


# -- pytrees: a Tensor, or tuples / lists / dicts of them ------------------------------------


def _flatten(tree):
    """(leaves, rebuild) for a Tensor or nested tuple/list/dict of Tensors."""
    if isinstance(tree, Tensor):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        sizes = [len(p[0]) for p in parts]
        kind = type(tree)

        def rebuild(leaves):
            out = []
            i = 0
            for (_, rb), n in zip(parts, sizes):
                out.append(rb(leaves[i:i + n]))
                i += n
            return kind(out)

        return [leaf for p in parts for leaf in p[0]], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, rb = _flatten([tree[k] for k in keys])
        return leaves, lambda ls: dict(zip(keys, rb(ls)))
    return [], lambda leaves: tree  # a non-tensor: passed through


def _enter(x, create):
    """A differentiable stand-in for input ``x`` at this level."""
    if create and x.requires_grad:
        return x.view_as(x)  # connected to x: an outer level can differentiate through it
    return _wrap(x._data, True, None) if x._data.dtype.kind == "f" else x


def _needs_graph(inputs, outputs, fresh, nested) -> bool:
    """Must this level build a differentiable result? (nested, or inputs / closures need grad)."""
    if nested or any(x.requires_grad for x in inputs):
        return True
    # closures: does an output depend on a tensor requiring grad that is not one of ours?
    fresh_ids = {id(t) for t in fresh}
    roots = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    for node in topo_order(roots):
        for t in node.inputs or ():
            if t is not None and t.grad_fn is None and id(t) not in fresh_ids:
                return True
    return False


def _zeros_like(x):
    return _wrap(np.zeros_like(x._data), False, None)


def _grads(outputs, inputs, grad_outputs, create):
    """autograd.grad with zeros (not None) for inputs the outputs do not depend on."""
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not live or not inputs:
        return [_zeros_like(x) for x in inputs]
    got = _autograd_grad([o for o, _ in live], inputs, [g for _, g in live], retain_graph=True,
                         create_graph=create, allow_unused=True)
    return [(_zeros_like(x) if g is None else g) for g, x in zip(got, inputs)]


def _out(t, create):
    return t if create or not isinstance(t, Tensor) else t.detach()


class _Level:
    def __enter__(self):
        _LEVEL[0] += 1
        self._grad = enable_grad()
        self._grad.__enter__()

    def __exit__(self, *exc):
        self._grad.__exit__(*exc)
        _LEVEL[0] -= 1


def _prepare(args, argnums, name):
    """Replace ``args[argnums]`` by differentiable stand-ins: (new args, originals, stand-ins)."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -len(args) <= n < len(args):
            raise RuntimeError(
                f"{name}: Got argnums={argnums}, but only {len(args)} positional inputs"
            )
    create_hint = _LEVEL[0] > 0
    args = list(args)
    originals = []
    fresh = []
    rebuilds = []
    for n in nums:
        leaves, rb = _flatten(args[n])
        originals.append(leaves)
        made = [_enter(x, create_hint or x.requires_grad) for x in leaves]
        fresh.append(made)
        rebuilds.append(rb)
        args[n] = rb(made)
    return args, nums, originals, fresh, rebuilds


# -- grad ---------------------------------------------------------------------------------------


def grad_and_value(func, argnums=0, has_aux=False):
    """``(grad, value)`` of a scalar function; with ``has_aux``: ``(grad, (value, aux))``.

    >>> import glassgrad as gg
    >>> g, v = gg.func.grad_and_value(lambda x: (x ** 2).sum())(gg.tensor([1.0, 2.0]))
    >>> g, v
    (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nested = _LEVEL[0] > 0
        args, _, originals, fresh, rebuilds = _prepare(args, argnums, "grad_and_value(f)")
        with _Level():
            out = func(*args, **kwargs)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(
                    "grad_and_value(f)(*args): output of function f should be a tuple: "
                    "(output, aux) if has_aux is True"
                )
            out, aux = out
        if not isinstance(out, Tensor):
            raise RuntimeError(  # noqa: TRY004  (PyTorch raises RuntimeError)
                "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                f"{type(out)}"
            )
        if out._data.ndim != 0:
            raise RuntimeError(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                f"tensor with {out._data.ndim} dims. Maybe you wanted to use the vjp or jacrev "
                "APIs instead?"
            )
        flat_orig = [x for group in originals for x in group]
        flat_fresh = [x for group in fresh for x in group]
        create = _needs_graph(flat_orig, [out], flat_fresh, nested)
        diff = [x for x in flat_fresh if x.requires_grad]
        got = iter(_grads([out], diff, [None], create))
        flat = [next(got) if x.requires_grad else _zeros_like(x) for x in flat_fresh]
        grads = []
        i = 0
        for group, rb in zip(fresh, rebuilds):
            grads.append(rb(flat[i:i + len(group)]))
            i += len(group)
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        value = _out(out, create)
        if has_aux:
            aux_leaves, aux_rb = _flatten(aux)
            return g, (value, aux_rb([_out(a, create) for a in aux_leaves]))
        return g, value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar-valued ``func`` with respect to argument(s) ``argnums``.

    >>> import glassgrad as gg
    >>> d2 = gg.func.grad(gg.func.grad(lambda x: x.sin()))
    >>> d2(gg.tensor(0.0))
    tensor(-0.)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


# -- vjp / jvp ----------------------------------------------------------------------------------


def vjp(func, *primals, has_aux=False):
    """``(output, vjp_fn)``: ``vjp_fn(cotangents)`` gives ``cotangents^T J`` per primal (a tuple).

    >>> import glassgrad as gg
    >>> out, vjp_fn = gg.func.vjp(lambda x: x * 3, gg.tensor([1.0, 2.0]))
    >>> vjp_fn(gg.tensor([1.0, 1.0]))
    (tensor([3., 3.]),)
    """
    nested = _LEVEL[0] > 0
    args, _, originals, fresh, rebuilds = _prepare(primals, tuple(range(len(primals))),
                                                       "vjp(f, *primals)")
    with _Level():
        out = func(*args)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError(
                "vjp(f, *primals): output of function f should be a tuple: (output, aux) if "
                "has_aux is True"
            )
        out, aux = out
    out_leaves, _ = _flatten(out)
    flat_orig = [x for group in originals for x in group]
    flat_fresh = [x for group in fresh for x in group]
    create = _needs_graph(flat_orig, out_leaves, flat_fresh, nested)

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 else cotangents
        ct_leaves, _ = _flatten(cts)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError(
                f"Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function: got {len(ct_leaves)} cotangents for "
                f"{len(out_leaves)} outputs"
            )
        for c, o in zip(ct_leaves, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {tuple(c.shape)} and "
                    f"output[0] has a shape of {tuple(o.shape)}."
                )
        make_graph = create or _LEVEL[0] > 0 or any(c.requires_grad for c in ct_leaves)
        diff = [x for x in flat_fresh if x.requires_grad]
        got = iter(_grads(out_leaves, diff, ct_leaves, make_graph))
        flat = [next(got) if x.requires_grad else _zeros_like(x) for x in flat_fresh]
        res = []
        i = 0
        for group, rb in zip(fresh, rebuilds):
            res.append(rb(flat[i:i + len(group)]))
            i += len(group)
        return tuple(res)

    out_leaves_ret, out_rb = _flatten(out)
    output = out_rb([_out(o, create) for o in out_leaves_ret])
    if has_aux:
        aux_leaves, aux_rb = _flatten(aux)
        return output, vjp_fn, aux_rb([_out(a, create) for a in aux_leaves])
    return output, vjp_fn


def _jvp_leaves(out_leaves, inputs, tangents, create):
    """J v for every output leaf, by the double-vjp trick (see the module docstring)."""
    us = [_wrap(np.zeros_like(o._data), True, None) for o in out_leaves]
    live = [(o, u) for o, u in zip(out_leaves, us) if o.requires_grad]
    pairs = [(x, v) for x, v in zip(inputs, tangents) if x.requires_grad]
    if not live or not pairs:
        return [_zeros_like(o) for o in out_leaves]
    # g = J^T u, built with a graph so that it can be differentiated with respect to u
    g = _autograd_grad([o for o, _ in live], [x for x, _ in pairs], [u for _, u in live],
                       retain_graph=True, create_graph=True, allow_unused=True)
    gs = [(gi, v) for gi, (_, v) in zip(g, pairs) if gi is not None and gi.requires_grad]
    if not gs:
        return [_zeros_like(o) for o in out_leaves]
    res = _autograd_grad([gi for gi, _ in gs], [u for _, u in live], [v for _, v in gs],
                         retain_graph=True, create_graph=create, allow_unused=True)
    it = iter(res)
    out = []
    for o in out_leaves:
        r = next(it) if o.requires_grad else None
        out.append(_zeros_like(o) if r is None else r)
    return out


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(output, J @ tangents)``: the directional derivative of ``func`` at ``primals``.

    >>> import glassgrad as gg
    >>> gg.func.jvp(lambda x: x ** 2, (gg.tensor([1.0, 3.0]),), (gg.tensor([1.0, 1.0]),))
    (tensor([1., 9.]), tensor([2., 6.]))
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(  # noqa: TRY004  (PyTorch raises RuntimeError)
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
            "to call f(*primals)."
        )
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected tangents to be a tuple of the same length as "
            "primals"
        )
    nested = _LEVEL[0] > 0
    args, _, originals, fresh, _rebuilds = _prepare(primals, tuple(range(len(primals))),
                                                       "jvp(f, primals, tangents)")
    with _Level():
        out = func(*args)
        aux = None
        if has_aux:
            out, aux = out
        out_leaves, out_rb = _flatten(out)
        flat_orig = [x for group in originals for x in group]
        flat_fresh = [x for group in fresh for x in group]
        tan_leaves, _ = _flatten(tangents)
        create = _needs_graph(flat_orig + tan_leaves, out_leaves, flat_fresh, nested)
        jv = _jvp_leaves(out_leaves, flat_fresh, tan_leaves, create)
    output = out_rb([_out(o, create) for o in out_leaves])
    result = out_rb([_out(j, create) for j in jv])
    if has_aux:
        return output, result, aux
    return output, result


# -- Jacobians and Hessians ---------------------------------------------------------------------


def _stack_rows(rows, shape, create, plus_zero=False):
    """Rows (each an output-element's gradient) stacked into ``shape``."""
    if not rows:
        return _wrap(np.zeros(shape, dtype=np.float32), False, None)
    if create and any(r.requires_grad for r in rows):
        from .ops import tensor_ns

        flat = tensor_ns.cat([r.reshape((1, -1)) for r in rows], 0)
        return flat.reshape(shape)
    out = np.stack([r._data for r in rows]).reshape(shape)
    if plus_zero:  # a zero cotangent times a negative number is -0.0; PyTorch's rows print 0.
        out = out + out.dtype.type(0)
    return _wrap(out, False, None)


def _jacobian(func, argnums, has_aux, mode, args, kwargs):
    nested = _LEVEL[0] > 0
    args, _, originals, fresh, rebuilds = _prepare(args, argnums, f"jac{mode}(f)")
    with _Level():
        out = func(*args, **kwargs)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(
                    f"jac{mode}(f): output of function f should be a tuple: (output, aux) if "
                    "has_aux is True"
                )
            out, aux = out
        out_leaves, out_rb = _flatten(out)
        flat_orig = [x for group in originals for x in group]
        flat_fresh = [x for group in fresh for x in group]
        create = _needs_graph(flat_orig, out_leaves, flat_fresh, nested)
        # jac[i][j]: d out_leaves[i] / d flat_fresh[j], shape out.shape + in.shape
        jac = [[None] * len(flat_fresh) for _ in out_leaves]
        if mode == "rev":
            for i, o in enumerate(out_leaves):
                rows = [[] for _ in flat_fresh]
                for k in range(o._data.size):
                    onehot = np.zeros(o._data.size, dtype=o._data.dtype)
                    onehot[k] = 1
                    ct = _wrap(onehot.reshape(o._data.shape), False, None)
                    for j, gj in enumerate(_grads([o], flat_fresh, [ct], create)):
                        rows[j].append(gj)
                for j, x in enumerate(flat_fresh):
                    jac[i][j] = _stack_rows(rows[j], o._data.shape + x._data.shape, create,
                                            plus_zero=True)
        else:
            for j, x in enumerate(flat_fresh):
                cols = [[] for _ in out_leaves]
                for k in range(x._data.size):
                    onehot = np.zeros(x._data.size, dtype=x._data.dtype)
                    onehot[k] = 1
                    tangents = [
                        _wrap(onehot.reshape(x._data.shape), False, None) if jj == j
                        else _zeros_like(xx)
                        for jj, xx in enumerate(flat_fresh)
                    ]
                    for i, col in enumerate(_jvp_leaves(out_leaves, flat_fresh, tangents,
                                                        create)):
                        cols[i].append(col)
                for i, o in enumerate(out_leaves):
                    # columns stacked first: (in.size, out...) -> move the input dims last
                    stacked = _stack_rows(cols[i], (x._data.size,) + o._data.shape, create)
                    nd = o._data.ndim
                    moved = stacked.permute(tuple(range(1, nd + 1)) + (0,)) if nd else stacked
                    jac[i][j] = moved.reshape(o._data.shape + x._data.shape)
    # structure: outputs outside, argnums inside (torch.func's order)
    per_out = []
    for i in range(len(out_leaves)):
        groups = []
        pos = 0
        for group, rb in zip(fresh, rebuilds):
            groups.append(rb([_out(t, create) for t in jac[i][pos:pos + len(group)]]))
            pos += len(group)
        per_out.append(groups[0] if isinstance(argnums, int) else tuple(groups))
    result = out_rb(per_out)
    if has_aux:
        aux_leaves, aux_rb = _flatten(aux)
        return result, aux_rb([_out(a, create) for a in aux_leaves])
    return result


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` by reverse mode: one vector-Jacobian product per output element.

    >>> import glassgrad as gg
    >>> gg.func.jacrev(lambda x: x ** 2)(gg.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, "rev", args, kwargs)

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` column by column (one Jacobian-vector product per input element).

    Same result as ``jacrev``; the columns come from the double-vjp trick, not true forward mode.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, "fwd", args, kwargs)

    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar ``func``: ``jacfwd(jacrev(func))``, shape in.shape + in.shape.

    >>> import glassgrad as gg
    >>> gg.func.hessian(lambda x: (x ** 3).sum())(gg.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# -- vmap and functional_call -------------------------------------------------------------------


def _take(x, dim, i):
    from .ops import tensor_ns

    index = (slice(None),) * (dim % x.ndim) + (i,)
    # np.array, not ascontiguousarray: that one turns a 0-d slice into shape (1,)
    return tensor_ns.gather(x, index) if x.requires_grad else _wrap(
        np.array(x._data[index]), False, None)


def _stack_along(items, dim):
    from .ops import tensor_ns

    if isinstance(items[0], Tensor):
        d = dim % (items[0].ndim + 1)
        if any(t.requires_grad for t in items):
            return tensor_ns.cat([t.unsqueeze(d) for t in items], d)
        return _wrap(np.stack([t._data for t in items], axis=d), False, None)
    if isinstance(items[0], (tuple, list)):
        return type(items[0])(_stack_along([it[k] for it in items], dim)
                              for k in range(len(items[0])))
    if isinstance(items[0], dict):
        return {k: _stack_along([it[k] for it in items], dim) for k in items[0]}
    if isinstance(items[0], (int, float, bool)):
        return _wrap(np.asarray(items), False, None)
    return items[0]


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Map ``func`` over a batch dimension (``torch.func.vmap``'s results).

    Not vectorised: it calls ``func`` once per batch element and stacks the results, so it
    shows what vmap means rather than how fast it can be. Composes with the other transforms.

    >>> import glassgrad as gg
    >>> gg.func.vmap(lambda row: row.sum())(gg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([3., 7.])
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                f"structure of inputs: expected {len(args)} entries, got {len(dims)}"
            )
        flat = [_flatten(a) for a in args]
        sizes = {leaf.shape[d] for (leaves, _), d in zip(flat, dims) if d is not None
                 for leaf in leaves}
        if len(sizes) != 1:
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sorted(sizes)} for the mapped dimension"
            )
        (n,) = sizes
        results = []
        for i in range(n):
            sliced = [a if d is None else rb([_take(leaf, d, i) for leaf in leaves])
                      for a, d, (leaves, rb) in zip(args, dims, flat)]
            results.append(func(*sliced, **kwargs))
        if isinstance(results[0], tuple) and isinstance(out_dims, (tuple, list)):
            return tuple(_stack_along([r[k] for r in results], od)
                         for k, od in enumerate(out_dims))
        return _stack_along(results, out_dims)

    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Call ``module`` with some parameters/buffers replaced by the given tensors (by name).

    The module's own tensors are put back afterwards, so ``grad(lambda p: loss(
    functional_call(model, p, (x,))))(params)`` differentiates with respect to ``params``.
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (tuple, list)):
        merged = {}
        for d in dicts:
            merged.update(d)
        dicts = merged
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    kwargs = kwargs or {}
    saved = []
    try:
        for name, value in dicts.items():
            owner = module
            *path, leaf = name.split(".")
            for p in path:
                owner = getattr(owner, p)
            store = None
            for attr in ("_parameters", "_buffers"):
                d = owner.__dict__.get(attr)
                if d is not None and leaf in d:
                    store = d
            if store is None:
                if strict:
                    raise RuntimeError(f"functional_call: unexpected key '{name}'")
                saved.append((owner, leaf, None, owner.__dict__.get(leaf)))
                object.__setattr__(owner, leaf, value)
                continue
            saved.append((owner, leaf, store, store[leaf]))
            store[leaf] = value
        return module(*args, **kwargs)
    finally:
        for owner, leaf, store, old in reversed(saved):
            if store is None:
                object.__setattr__(owner, leaf, old)
            else:
                store[leaf] = old
