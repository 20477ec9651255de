"""Every op in tests/opspecs.py against real PyTorch: values, gradients, dtypes, node names.

- forward values and dtypes vs torch, float32 and float64 (float32 in -> float32 out and grads)
- the gradient of a RANDOM upstream gradient (not only ``.sum()``) vs torch
- torch's grad_fn names
- float64 finite-difference gradcheck (``glassgrad.autograd.gradcheck``)
- int64 forwards where the op takes integers
- hypothesis over shapes and values for elementwise ops and reductions
- errors: PyTorch's wording, naming the op and the shapes
- every op class carries its math in the first two docstring lines (DESIGN.md)
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest
from opspecs import SPEC_BY_NAME, SPECS, case, distinct, normal  # noqa: F401

import glassgrad as gg
import glassgrad.ops
from glassgrad.autograd.function import Function

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

NP = {"float32": np.float32, "float64": np.float64}
TORCH = {"float32": torch.float32, "float64": torch.float64}


# -- helpers -------------------------------------------------------------------------------------


def _seed(*parts) -> int:
    return abs(hash(tuple(str(p) for p in parts))) % (2**32)


def _draw(spec, shapes, rng):
    arrays = [mk(rng, shape) for mk, shape in zip(spec.makers(len(shapes)), shapes)]
    extra = spec.extra(rng, shapes) if spec.extra else {}
    return arrays, extra


def _lib_kwargs(kwargs, extra, lib):
    out = dict(kwargs)
    for k, v in extra.items():
        out[k] = gg.tensor(v) if lib is gg else torch.from_numpy(np.array(v))
    return out


def _outputs(res):
    return list(res) if isinstance(res, (tuple, list)) else [res]


def _dtype_name(t) -> str:
    if isinstance(t, gg.Tensor):
        return t.dtype.name
    return str(t.dtype).split(".")[-1]


def _run_both(spec, arrays, kwargs, extra, dtype, requires_grad=True):
    """(glassgrad inputs, outputs), (torch inputs, outputs) for the same values."""
    grad_pos = spec.grad_positions(len(arrays)) if requires_grad else ()
    g_in = [gg.tensor(a.astype(NP[dtype]), requires_grad=i in grad_pos)
            for i, a in enumerate(arrays)]
    t_in = [torch.tensor(a.astype(NP[dtype]), requires_grad=i in grad_pos)
            for i, a in enumerate(arrays)]
    g_out = _outputs(spec.fn(gg, *g_in, **_lib_kwargs(kwargs, extra, gg)))
    t_out = _outputs(spec.fn(torch, *t_in, **_lib_kwargs(kwargs, extra, torch)))
    return g_in, g_out, t_in, t_out


def _tols(spec, dtype):
    return (spec.atol32, spec.rtol32) if dtype == "float32" else (spec.atol64, spec.rtol64)


def _compare_forward(spec, g_out, t_out, dtype):
    atol, rtol = _tols(spec, dtype)
    assert len(g_out) == len(t_out), f"{spec.name}: {len(g_out)} outputs, torch {len(t_out)}"
    for k, (g, t) in enumerate(zip(g_out, t_out)):
        assert isinstance(g, gg.Tensor), f"{spec.name}: output {k} is {type(g).__name__}"
        assert tuple(g.shape) == tuple(t.shape), f"{spec.name}: output {k} shape"
        assert _dtype_name(g) == _dtype_name(t), (
            f"{spec.name}: output {k} dtype {_dtype_name(g)}, torch {_dtype_name(t)}"
        )
        np.testing.assert_allclose(g._data, t.detach().numpy(), atol=atol, rtol=rtol,
                                   equal_nan=True, err_msg=f"{spec.name}: output {k}")


def _compare_backward(spec, g_in, g_out, t_in, t_out, dtype, rng, names=True):
    atol, rtol = _tols(spec, dtype)
    pairs = [(g, t) for g, t in zip(g_out, t_out) if t.requires_grad]
    for k, (g, t) in enumerate(zip(g_out, t_out)):
        assert g.requires_grad == t.requires_grad, f"{spec.name}: output {k} requires_grad"
    if not pairs:
        return
    if names and spec.name_check:
        for g, t in pairs:
            if t.grad_fn is None:  # torch returned the input itself (a no-op, e.g. .to(same))
                assert g.grad_fn is None, f"{spec.name}: {g.grad_fn.name()}, torch: a leaf"
                continue
            assert g.grad_fn is not None
            assert g.grad_fn.name() == type(t.grad_fn).__name__, (
                f"{spec.name}: grad_fn {g.grad_fn.name()}, torch {type(t.grad_fn).__name__}"
            )
    upstream = [rng.standard_normal(tuple(t.shape)).astype(NP[dtype]) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(u) for u in upstream])
    gg.autograd.backward([g for g, _ in pairs], [gg.tensor(u) for u in upstream])
    for i, (g, t) in enumerate(zip(g_in, t_in)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert g.grad is None or not np.any(g.grad._data), f"{spec.name}: grad of input {i}"
            continue
        assert g.grad is not None, f"{spec.name}: input {i} got no gradient"
        assert g.grad.dtype == g.dtype, (
            f"{spec.name}: grad of input {i} is {g.grad.dtype}, input is {g.dtype}"
        )
        assert tuple(g.grad.shape) == tuple(t.grad.shape)
        np.testing.assert_allclose(g.grad._data, t.grad.numpy(), atol=atol * 10, rtol=rtol * 10,
                                   equal_nan=True, err_msg=f"{spec.name}: grad of input {i}")


CASES = [(s, shapes, kw) for s in SPECS for shapes, kw in s.cases]
CASE_IDS = [i for s in SPECS for i in s.ids()]


# -- forward and gradient vs torch ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec,shapes,kwargs", CASES, ids=CASE_IDS)
def test_forward_and_gradient_match_torch(spec, shapes, kwargs, dtype):
    rng = np.random.default_rng(_seed(spec.name, shapes, kwargs, dtype))
    arrays, extra = _draw(spec, shapes, rng)
    g_in, g_out, t_in, t_out = _run_both(spec, arrays, kwargs, extra, dtype)
    _compare_forward(spec, g_out, t_out, dtype)
    _compare_backward(spec, g_in, g_out, t_in, t_out, dtype, rng)


@pytest.mark.parametrize("spec,shapes,kwargs", CASES, ids=CASE_IDS)
def test_exact_nodes_return_each_gradient_in_its_inputs_shape_and_dtype(spec, shapes, kwargs):
    """A node marked ``_exact`` returns every input's gradient in that input's shape and dtype:
    ``loss.backward()``'s loop then skips summing and casting its gradients back. Each node the
    case records is checked on its own, with a gradient of ones for its output."""
    from glassgrad.autograd.function import state

    rng = np.random.default_rng(_seed("exact", spec.name, shapes, kwargs))
    arrays, extra = _draw(spec, shapes, rng)
    made = []

    def record(node, args, kw, result):
        made.append((node, result))

    state.forward_hooks.append(record)
    try:
        _run_both(spec, arrays, kwargs, extra, "float32")
    finally:
        state.forward_hooks.remove(record)
    checked = 0
    for node, result in made:
        if not isinstance(result, gg.Tensor) or result.grad_fn is not node or not node._exact:
            continue
        grads = node.backward(node, np.ones(result.shape, result._data.dtype))
        for t, gi in zip(node.inputs, grads if type(grads) is tuple else (grads,)):
            if t is not None and gi is not None:
                assert (gi.shape, gi.dtype) == (t._data.shape, t._data.dtype), node.name()
                checked += 1
    if any(n._exact for n, r in made if isinstance(r, gg.Tensor) and r.grad_fn is n):
        assert checked


GRADCHECK_CASES = [(s, shapes, kw) for s, shapes, kw in CASES
                   if s.gradcheck and s.grad_positions(len(shapes))]


@pytest.mark.parametrize(
    "spec,shapes,kwargs", GRADCHECK_CASES,
    ids=[f"{s.name}-{i}" for i, (s, _, _) in enumerate(GRADCHECK_CASES)],
)
def test_gradcheck_float64(spec, shapes, kwargs):
    rng = np.random.default_rng(_seed("gradcheck", spec.name, shapes, kwargs))
    arrays, extra = _draw(spec, shapes, rng)
    grad_pos = spec.grad_positions(len(arrays))
    inputs = [gg.tensor(a, dtype=gg.float64, requires_grad=i in grad_pos)
              for i, a in enumerate(arrays)]
    kw = _lib_kwargs(kwargs, extra, gg)
    assert gg.autograd.gradcheck(lambda *xs: spec.fn(gg, *xs, **kw), tuple(inputs))


GRADGRAD_SPECS = [s for s in SPECS
                  if s.gradcheck and s.gradgrad and s.grad_positions(len(s.cases[0][0]))]


@pytest.mark.parametrize("spec", GRADGRAD_SPECS, ids=[s.name for s in GRADGRAD_SPECS])
def test_gradgradcheck_float64(spec):
    """Each backward formula is itself differentiable (``create_graph=True``): first case only."""
    shapes, kwargs = spec.cases[0]
    rng = np.random.default_rng(_seed("gradgrad", spec.name))
    arrays, extra = _draw(spec, shapes, rng)
    grad_pos = spec.grad_positions(len(arrays))
    inputs = [gg.tensor(a, dtype=gg.float64, requires_grad=i in grad_pos)
              for i, a in enumerate(arrays)]
    kw = _lib_kwargs(kwargs, extra, gg)
    assert gg.autograd.gradgradcheck(lambda *xs: spec.fn(gg, *xs, **kw), tuple(inputs))


INT_SPECS = [s for s in SPECS if s.ints]


@pytest.mark.parametrize("spec", INT_SPECS, ids=[s.name for s in INT_SPECS])
def test_int64_forward_matches_torch(spec):
    rng = np.random.default_rng(_seed("int", spec.name))
    for shapes, kwargs in spec.cases[:2]:
        arrays = [rng.integers(-3, 4, size=s) for s in shapes]
        extra = spec.extra(rng, shapes) if spec.extra else {}
        g_out = _outputs(spec.fn(gg, *[gg.tensor(a) for a in arrays],
                                 **_lib_kwargs(kwargs, extra, gg)))
        t_out = _outputs(spec.fn(torch, *[torch.tensor(a) for a in arrays],
                                 **_lib_kwargs(kwargs, extra, torch)))
        for g, t in zip(g_out, t_out):
            assert _dtype_name(g) == _dtype_name(t), f"{spec.name}: {g.dtype} vs {t.dtype}"
            np.testing.assert_array_equal(g._data, t.numpy())


def test_every_spec_case_is_exercised():
    names = {s.name for s in SPECS}
    assert len(names) == len(SPECS)
    assert all(s.cases for s in SPECS)


# -- hypothesis: shapes and values ---------------------------------------------------------------

UNARY = [s for s in SPECS if s.kind == "unary" and not s.cases[0][1]]
BINARY = [s for s in SPECS if s.kind == "binary"]
FAST = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _check_random(spec, shapes, kwargs, seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    arrays, extra = _draw(spec, shapes, rng)
    with warnings.catch_warnings():  # var/std of one element: both libraries warn (tested below)
        warnings.filterwarnings("ignore", "var\\(\\): degrees of freedom|std\\(\\): degrees")
        g_in, g_out, t_in, t_out = _run_both(spec, arrays, kwargs, extra, dtype)
    _compare_forward(spec, g_out, t_out, dtype)
    _compare_backward(spec, g_in, g_out, t_in, t_out, dtype, rng, names=False)


@FAST
@given(st.sampled_from(UNARY), hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
       st.integers(0, 2**32 - 1), st.sampled_from(["float32", "float64"]))
def test_hypothesis_unary(spec, shape, seed, dtype):
    _check_random(spec, (shape,), {}, seed, dtype)


@FAST
@given(st.sampled_from(BINARY), hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=4),
       st.integers(0, 2**32 - 1))
def test_hypothesis_binary_broadcasting(spec, shapes, seed):
    _check_random(spec, shapes.input_shapes, {}, seed)


REDUCERS = {  # name -> (takes a dim tuple, needs a dim)
    "sum": (True, False), "mean": (True, False), "var": (True, False), "std": (True, False),
    "amax": (True, False), "amin": (True, False), "logsumexp": (True, True),
    "prod": (False, False), "max_dim": (False, True), "min_dim": (False, True),
    "norm": (True, False), "cumsum": (False, True),
}


@st.composite
def _reduction(draw):
    name = draw(st.sampled_from(sorted(REDUCERS)))
    tuples, needs_dim = REDUCERS[name]
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    dims = st.integers(-nd, nd - 1)
    choices = [dims]
    if tuples:
        choices.append(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)
                       .map(tuple))
    if not needs_dim:
        choices.append(st.none())
    dim = draw(st.one_of(*choices))
    kwargs = {} if dim is None else {"dim": dim, "keepdim": draw(st.booleans())}
    if name == "cumsum":
        kwargs.pop("keepdim")
    if name == "norm" and isinstance(dim, tuple) and len(dim) > 2:
        kwargs["dim"] = dim[:2]  # torch.norm takes at most two dims
    return name, shape, kwargs


@FAST
@given(_reduction(), st.integers(0, 2**32 - 1))
def test_hypothesis_reductions(red, seed):
    name, shape, kwargs = red
    spec = SPEC_BY_NAME[name]
    if name in ("amax", "amin", "max_dim", "min_dim", "norm"):
        spec = _with_maker(spec, distinct)
    _check_random(spec, (shape,), kwargs, seed)


@st.composite
def _index_case(draw):
    """A shape and a key mixing ints, slices, None, ``...``, integer arrays and one mask."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    n_arr = draw(st.integers(1, 3))  # the common length of the integer arrays
    key = []
    dim = 0
    used_ellipsis = False
    while dim < len(shape):
        kind = draw(st.sampled_from(["int", "slice", "none", "array", "mask", "ellipsis",
                                     "stop"]))
        size = shape[dim]
        if kind == "stop":
            break
        if kind == "int":
            key.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-size, size))
            stop = draw(st.none() | st.integers(-size, size))
            step = draw(st.none() | st.integers(1, 3))
            key.append(slice(start, stop, step))
        elif kind == "none":
            key.append(None)
            continue
        elif kind == "array":
            key.append(("array", draw(st.lists(st.integers(-size, size - 1), min_size=n_arr,
                                               max_size=n_arr))))
        elif kind == "mask":
            key.append(("mask", draw(st.lists(st.booleans(), min_size=size, max_size=size))))
        elif kind == "ellipsis":
            if used_ellipsis:
                continue
            used_ellipsis = True
            key.append(Ellipsis)
            dim = len(shape) - sum(1 for k in key[:-1] if k is not None)
            dim = max(dim, len(shape) - (len(shape) - 1))
            break
        dim += 1
    return shape, key


def _lib_key(key, lib):
    out = []
    for k in key:
        if isinstance(k, tuple) and k[0] == "array" or isinstance(k, tuple) and k[0] == "mask":
            out.append(lib.tensor(k[1]))
        else:
            out.append(k)
    return tuple(out)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_index_case(), st.integers(0, 2**32 - 1))
def test_hypothesis_indexing_matches_torch(index_case, seed):
    shape, key = index_case
    n_masks = sum(1 for k in key if isinstance(k, tuple) and k[0] == "mask")
    n_arrays = sum(1 for k in key if isinstance(k, tuple) and k[0] == "array")
    if n_masks > 1 or (n_masks and n_arrays):
        return  # several masks / masks with arrays: their nonzero counts rarely broadcast
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    xt = torch.tensor(data, requires_grad=True)
    try:
        yt = xt[_lib_key(key, torch)]
    except (IndexError, RuntimeError, ValueError):
        with pytest.raises((IndexError, RuntimeError, ValueError)):
            gg.tensor(data, requires_grad=True)[_lib_key(key, gg)]
        return
    x = gg.tensor(data, requires_grad=True)
    y = x[_lib_key(key, gg)]
    assert tuple(y.shape) == tuple(yt.shape), key
    np.testing.assert_allclose(y._data, yt.detach().numpy())
    up = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(up))
    y.backward(gg.tensor(up))
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), err_msg=str(key))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_index_case(), st.integers(0, 2**32 - 1))
def test_hypothesis_setitem_matches_torch(index_case, seed):
    """``y[key] = v * 2`` on a non-leaf: values and the gradients of x and v vs torch."""
    shape, key = index_case
    arrays = [k[1] for k in key if isinstance(k, tuple) and k[0] == "array"]
    n_masks = sum(1 for k in key if isinstance(k, tuple) and k[0] == "mask")
    if n_masks > 1 or (n_masks and arrays) or any(len(set(a)) != len(a) for a in arrays):
        return  # (repeated positions: which write wins is unspecified in both)
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    try:
        target = tuple(torch.tensor(data)[_lib_key(key, torch)].shape)
    except (IndexError, RuntimeError, ValueError):
        return
    vdata = rng.standard_normal(target)
    up = rng.standard_normal(shape)
    results = []
    for m in (gg, torch):
        x = m.tensor(data, requires_grad=True)
        v = m.tensor(vdata, requires_grad=True)
        y = x * 1.0
        y[_lib_key(key, m)] = v * 2
        y.backward(m.tensor(up))
        results.append([np.array(t.detach().tolist()) for t in (y, x.grad, v.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, err_msg=str(key))


def _with_maker(spec, make):
    from dataclasses import replace

    return replace(spec, make=make)


# -- semantics beyond the table ------------------------------------------------------------------


def test_max_dim_returns_named_values_and_indices():
    x = gg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    res = x.max(dim=1)
    values, indices = res
    assert res.values is values and res.indices is indices
    assert indices.tolist() == [1, 0]  # the first of tied maxima, as torch
    assert indices.dtype == gg.int64
    assert type(res).__name__ == "max"
    assert "return_types.max(" in repr(res) and "indices=" in repr(res)
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_max_of_empty_tensor_needs_dim():
    with pytest.raises(IndexError, match="Expected reduction dim to be specified"):
        gg.zeros(0).max()
    values, indices = gg.zeros(0, 3).max(1)
    assert tuple(values.shape) == (0,) and tuple(indices.shape) == (0,)


@pytest.mark.parametrize("key", [(0, None, "mask"), ([1], None, 0), (0, slice(None), [1, 3]),
                                 ([0, 1], slice(None), 0)])
def test_integer_with_arrays_is_selected_first_like_torch(key):
    """NumPy would broadcast an integer with the arrays (moving the result dims); PyTorch
    selects it first. Found by the hypothesis test: x[0, None, mask] on a (1, 1) tensor."""
    data = np.arange(24.0).reshape(2, 3, 4)
    results = []
    for m in (gg, torch):
        k = tuple(m.tensor([False, True, True]) if v == "mask" else
                  m.tensor(v) if isinstance(v, list) else v for v in key)
        x = m.tensor(data, requires_grad=True)
        y = x[k]
        y.backward(m.ones(*y.shape, dtype=m.float64) * 2)
        results.append((tuple(y.shape), y.detach().numpy().copy(), x.grad.numpy().copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1])
    np.testing.assert_allclose(results[0][2], results[1][2])


def test_index_repeated_indices_accumulate():
    x = gg.zeros(3, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_getitem_basic_is_a_view_sharing_the_version_counter():
    x = gg.arange(6.0).reshape(2, 3)
    row = x[1]
    row[0] = 100.0
    assert x[1, 0].item() == 100.0
    assert x._version == row._version == 1


def test_setitem_bumps_version_and_saved_tensor_check_fires():
    x = gg.randn(3, 4, requires_grad=True)
    y = x * 1.0
    z = y * y  # saves y
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_gradient_flows_to_destination_and_value():
    xt = torch.randn(3, 4, requires_grad=True)
    vt = torch.randn(2, requires_grad=True)
    yt = xt * 2
    yt[1:, 2] = vt * 3
    up = torch.randn(3, 4)
    yt.backward(up)
    x = gg.tensor(xt.detach().numpy(), requires_grad=True)
    v = gg.tensor(vt.detach().numpy(), requires_grad=True)
    y = x * 2
    y[1:, 2] = v * 3
    assert y.grad_fn.name() == "CopySlices"
    y.backward(gg.tensor(up.numpy()))
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(v.grad._data, vt.grad.numpy(), rtol=1e-6)


def test_setitem_into_a_view_in_a_graph_reaches_the_base():
    # x[i][j] = v writes through the view x[i]; x records it (CopySlices), as in PyTorch
    grads = []
    for lib in (torch, gg):
        w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = w * 1.0
        y[0][1] = 5.0
        (y * y).sum().backward()
        grads.append((y.tolist(), w.grad.tolist()))
    assert grads[0] == grads[1]


def test_integer_index_of_a_vector_is_a_0d_view():
    x = gg.arange(3.0)
    r = x[1]
    r += 10
    assert x.tolist() == [0.0, 11.0, 2.0] and r.dim() == 0


@pytest.mark.parametrize("key", [1, (slice(1, None), 2), [0, 2], "mask"])
def test_augmented_index_assignment_matches_torch(key):
    """``y[key] += v`` is getitem, an in-place add on the result, then setitem."""
    results = []
    for m in (gg, torch):
        k = key
        if key == "mask":
            k = m.tensor([True, False, True])
        x = m.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        v = m.tensor([2.0], requires_grad=True)
        y = x * 1.0
        y[k] += v * 3
        (y * m.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        results.append([np.array(t.detach().tolist()) for t in (y, x.grad, v.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


def test_setitem_without_grad_writes_in_place():
    x = gg.zeros(3, 4)
    x[x == 0] = 2.0
    x[0, [1, 3]] = gg.tensor([5.0, 6.0])
    assert x.tolist()[0] == [2.0, 5.0, 2.0, 6.0]
    assert x.grad_fn is None and not x.requires_grad


def test_setitem_on_leaf_requiring_grad_raises():
    x = gg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with gg.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]


def test_masked_fill_inplace_records_history():
    x = gg.randn(3, requires_grad=True)
    y = x * 2
    y.masked_fill_(gg.tensor([True, False, True]), 0.0)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]


def test_iterating_a_tensor_that_requires_grad_unbinds():
    x = gg.randn(3, 2, requires_grad=True)
    rows = list(x)
    assert rows[0].grad_fn.name() == "UnbindBackward0"
    (rows[0] * 2 + rows[2]).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]


def test_squeeze_non_one_dim_is_noop():
    x = gg.zeros(3, 4)
    assert tuple(x.squeeze(0).shape) == (3, 4)
    assert tuple(gg.zeros(1, 3, 1).squeeze((0, 1)).shape) == (3, 1)


def test_sum_to_size_is_the_inverse_of_broadcasting():
    x = gg.ones(2, 3, 4)
    assert x.sum_to_size(3, 1).tolist() == [[8.0], [8.0], [8.0]]
    assert x.sum_to_size((2, 3, 4)) is x


def test_float32_stays_float32_through_reductions_and_indexing():
    x = gg.randn(4, 5, requires_grad=True)
    outs = [x.var(1), x.std(), x.prod(0), x.logsumexp(1), x.max(1).values, x[[0, 1]],
            gg.cat([x, x]), gg.stack([x, x]), x.gather(1, gg.zeros(4, 1, dtype=gg.int64)),
            x.abs().rsqrt(), x.square(), 2 ** x, x.abs() ** x]
    for out in outs:  # (x ** |x| is NaN for negative x: only dtypes matter here)
        assert out.dtype == gg.float32, out.grad_fn.name()
        out.sum().backward()
        assert x.grad.dtype == gg.float32


def test_int_reductions_follow_torch_dtypes():
    x = gg.tensor([[1, 2], [3, 4]], dtype=gg.int32)
    assert x.sum().dtype == gg.int64 and x.prod(1).dtype == gg.int64
    assert x.max().dtype == gg.int32 and x.argmax().dtype == gg.int64
    assert gg.tensor([True, False]).sum().item() == 1


def test_var_of_one_element_warns_like_torch():
    for m in (gg, torch):
        with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
            out = m.tensor([1.0]).var()
        assert np.isnan(out.item())
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
        gg.tensor([[1.0, 2.0]]).std(0)


def test_var_old_positional_unbiased_and_correction():
    xt = torch.randn(3, 4)
    x = gg.tensor(xt.numpy())
    np.testing.assert_allclose(x.var(False)._data, xt.var(False).numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.std(1, correction=0)._data, xt.std(1, correction=0).numpy(),
                               rtol=1e-5)


def test_prod_gradient_with_zeros_matches_torch_exactly():
    for vals in ([2.0, 0.0, 3.0, 4.0], [2.0, 0.0, 3.0, 0.0], [0.0], [5.0, 0.5]):
        xt = torch.tensor(vals, requires_grad=True)
        xt.prod().backward()
        x = gg.tensor(vals, requires_grad=True)
        x.prod().backward()
        assert x.grad.tolist() == xt.grad.tolist()


def test_logsumexp_is_stable():
    x = gg.tensor([1000.0, 1000.0], dtype=gg.float64, requires_grad=True)
    y = x.logsumexp(0)
    assert abs(y.item() - (1000.0 + np.log(2.0))) < 1e-9
    y.backward()
    np.testing.assert_allclose(x.grad._data, [0.5, 0.5], rtol=1e-12)
    assert gg.tensor([-np.inf, -np.inf]).logsumexp(0).item() == -np.inf


def test_edge_values_match_torch():
    """abs/sqrt at 0, division by zero, clamp with min > max, pow with 0s."""
    cases = [
        lambda m, x: m.abs(x), lambda m, x: m.sqrt(x), lambda m, x: x / 0.0,
        lambda m, x: m.clamp(x, 1.0, -1.0), lambda m, x: x**0, lambda m, x: 0.0**x,
        lambda m, x: x**x, lambda m, x: m.relu(x), lambda m, x: m.reciprocal(x),
    ]
    vals = np.array([0.0, 1.0, 2.0, 0.0], dtype=np.float32)
    for fn in cases:
        xt = torch.tensor(vals, requires_grad=True)
        x = gg.tensor(vals, requires_grad=True)
        with np.errstate(all="ignore"):
            yt, y = fn(torch, xt), fn(gg, x)
            np.testing.assert_allclose(y._data, yt.detach().numpy(), equal_nan=True)
            yt.sum().backward()
            y.sum().backward()
        np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), equal_nan=True)


@pytest.mark.parametrize("expr", [
    "m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5)",
    "m.where(m.tensor([True, False]), m.tensor([1.0, 2.0]), m.tensor([1, 2]))",
    "m.tensor([1, 2]).clamp(0.5)", "m.tensor([1, 2]).clamp(0, 1)",
    "m.tensor([1, 2]) ** 0.5", "m.tensor([1, 2]) ** m.tensor([2.0, 3.0])",
    "2.5 ** m.tensor([1, 2])", "m.maximum(m.tensor([1, 2]), m.tensor([1.5, 0.0]))",
    "m.tensor([1, 2], dtype=m.int32) + m.tensor([1, 2])", "m.tensor([1, 2]).sqrt()",
    "m.tensor([[1, 2], [3, 4]]).cumsum(0)", "m.cat([m.tensor([1]), m.tensor([1.0])])",
    "m.stack([m.tensor([1]), m.tensor([True])])", "m.tensor([1, 2]).logsumexp(0)",
    "m.tensor([1, 2]).sum(dtype=m.float32)",
    "m.tensor([1, 2]).masked_fill(m.tensor([True, False]), 3.7)",
    "m.tensor([1, 2]).reciprocal()", "m.tensor([1, 2]).sign()",
])
def test_mixed_dtype_results_match_torch(expr):
    got = eval(expr, {"m": gg})
    want = eval(expr, {"m": torch})
    assert _dtype_name(got) == _dtype_name(want)
    np.testing.assert_allclose(np.asarray(got.tolist(), dtype=float),
                               np.asarray(want.tolist(), dtype=float), rtol=1e-6)


@pytest.mark.parametrize("expr", [
    "x.max()", "x.max(1).values", "x.max(1).indices", "x.argmax(1)", "x.amax(1)",
    "x.min(1).indices", "m.maximum(x, m.zeros(4))", "x.clamp(0, 2)", "x.sort(1).values",
    "x.sort(1).indices", "x.sort(1, descending=True).indices", "x.topk(2, 1).indices",
    "x.logsumexp(1)", "x.cumsum(1)", "x.norm(dim=1)", "x.nan_to_num()", "x.isnan()",
])
def test_nan_handling_matches_torch(expr):
    """NaN propagates through reductions and counts as the largest value when ordering."""
    data = [[1.0, float("nan"), 3.0, 1.0], [2.0, 0.5, -1.0, 2.0]]
    with np.errstate(invalid="ignore"):
        got = eval(expr, {"m": gg, "x": gg.tensor(data)})
    want = eval(expr, {"m": torch, "x": torch.tensor(data)})
    np.testing.assert_allclose(np.asarray(got.tolist(), dtype=float),
                               np.asarray(want.tolist(), dtype=float), equal_nan=True)


def test_int_division_by_zero_gives_float_inf():
    with np.errstate(divide="ignore"):
        out = gg.tensor([1, 2]) / gg.tensor([0, 0])
    assert out.dtype == gg.float32 and out.tolist() == [float("inf")] * 2


# -- errors: PyTorch's wording -------------------------------------------------------------------

ERRORS = [
    # (call, exception, message shared with torch (None: glassgrad only), extra glassgrad text)
    ("mul_broadcast", lambda m: m.zeros(3, 4) * m.zeros(4, 3), RuntimeError,
     "must match the size of tensor b (3) at non-singleton dimension 1",
     "mul: cannot broadcast shape (3, 4) with (4, 3)"),
    ("add_broadcast", lambda m: m.zeros(2) + m.zeros(3), RuntimeError,
     "at non-singleton dimension 0", "add: cannot broadcast shape (2,) with (3,)"),
    ("sum_dim_range", lambda m: m.zeros(3, 4).sum(5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)", None),
    ("mean_dim_range", lambda m: m.zeros(3, 4).mean(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)", None),
    ("sum_dup_dims", lambda m: m.zeros(3, 4).sum((0, -2)), RuntimeError,
     "dim 0 appears multiple times in the list of dims", None),
    ("max_dim_range", lambda m: m.zeros(3).max(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)", None),
    ("max_empty", lambda m: m.zeros(0).max(), IndexError,
     "Expected reduction dim to be specified for input.numel() == 0", None),
    ("var_int", lambda m: m.tensor([1, 2]).var(), RuntimeError,
     "std and var only support floating point and complex dtypes", None),
    ("mean_int", lambda m: m.tensor([1, 2]).mean(), RuntimeError,
     "mean(): could not infer output dtype", None),
    ("view_invalid", lambda m: m.zeros(3, 4).view(5), RuntimeError,
     "shape '[5]' is invalid for input of size 12", None),
    ("reshape_two_infer", lambda m: m.zeros(3, 4).reshape(-1, -1), RuntimeError,
     "only one dimension can be inferred", None),
    ("view_noncontiguous", lambda m: m.zeros(3, 4).t().view(12), RuntimeError,
     "view size is not compatible with input tensor's size and stride", None),
    ("expand", lambda m: m.zeros(3, 4).expand(2, 5), RuntimeError,
     ("The expanded size of the tensor (5) must match the existing size (4) at non-singleton "
     "dimension 1"), None),
    ("cat_sizes", lambda m: m.cat([m.zeros(3, 4), m.zeros(4, 3)]), RuntimeError,
     ("Sizes of tensors must match except in dimension 0. Expected size 4 but got size 3 for "
     "tensor number 1 in the list."), None),
    ("cat_ndim", lambda m: m.cat([m.zeros(3, 4), m.zeros(3)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 1", None),
    ("cat_empty", lambda m: m.cat([]), RuntimeError, "expected a non-empty list of Tensors",
     None),
    ("stack_sizes", lambda m: m.stack([m.zeros(3, 4), m.zeros(4, 3)]), RuntimeError,
     ("stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [4, 3] at "
     "entry 1"), None),
    ("index_oob", lambda m: m.zeros(3, 4)[5], IndexError,
     "index 5 is out of bounds for dimension 0 with size 3", None),
    ("index_oob_list", lambda m: m.zeros(3, 4)[[0, 5]], IndexError,
     "index 5 is out of bounds for dimension 0 with size 3", None),
    ("index_too_many", lambda m: m.zeros(3, 4)[0, 0, 0], IndexError,
     "too many indices for tensor of dimension 2", None),
    ("index_mask_shape", lambda m: m.zeros(3, 4)[m.tensor([True, False])], IndexError,
     ("The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
     "[3, 4] at index 0"), None),
    ("index_float_tensor", lambda m: m.zeros(3)[m.tensor([0.0])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors", None),
    ("index_float", lambda m: m.zeros(3)[1.5], IndexError,
     ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
     "valid indices (got float)"), None),
    ("index_negative_step", lambda m: m.zeros(3)[::-1], ValueError,
     "step must be greater than zero", None),
    ("setitem_shape", lambda m: m.zeros(3, 4).__setitem__(0, m.ones(3)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3)", None),
    ("setitem_index_shape", lambda m: m.zeros(3, 4).__setitem__([0, 1], m.ones(3)),
     RuntimeError, ("shape mismatch: value tensor of shape [3] cannot be broadcast to indexing "
     "result of shape [2, 4]"), None),
    ("setitem_leaf", lambda m: m.zeros(3, requires_grad=True).__setitem__(0, 1.0),
     RuntimeError, ("a view of a leaf Variable that requires grad is being used in an in-place "
     "operation."), None),
    ("repeat_dims", lambda m: m.zeros(3, 4).repeat(2), RuntimeError,
     ("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
     "tensor"), None),
    ("sum_to_size", lambda m: m.zeros(3, 4).sum_to_size(2, 4), RuntimeError,
     "size {[2, 4]} is not expandable to size {[3, 4]}.", None),
    ("split_sizes", lambda m: m.zeros(5).split([2, 2]), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 5", None),
    ("narrow", lambda m: m.zeros(4, 4).narrow(1, 3, 2), RuntimeError,
     "start (3) + length (2) exceeds dimension size (4).", None),
    ("gather_ndim", lambda m: m.zeros(3, 4).gather(1, m.tensor([0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor", None),
    ("gather_oob", lambda m: m.zeros(3, 4).gather(1, m.tensor([[5]])), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 4", None),
    ("matmul", lambda m: m.zeros(2, 3) @ m.zeros(4, 5), RuntimeError,
     "cannot be multiplied", "matmul: shapes (2, 3) and (4, 5) cannot be multiplied"),
    ("pow_int_negative", lambda m: m.tensor([2]) ** -1, RuntimeError,
     "Integers to negative integer powers are not allowed", None),
    ("logsumexp_needs_dim", lambda m: m.logsumexp(m.zeros(3)), TypeError,
     "missing 1 required positional argument", None),
    ("squeeze_dim_range", lambda m: m.zeros(3).squeeze(2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 2)", None),
    ("bmm_2d", lambda m: m.bmm(m.zeros(2, 3), m.zeros(2, 3)), RuntimeError,
     "batch1 must be a 3D tensor", None),
    ("trace_1d", lambda m: m.zeros(3).trace(), RuntimeError,
     "trace: expected a matrix, but got tensor with dim 1", None),
    ("roll_align", lambda m: m.zeros(3).roll((1, 2), (0,)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1", None),
    ("mv_shapes", lambda m: m.zeros(2, 3).mv(m.zeros(2, 3)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 2, 2", None),
    ("dot_shapes", lambda m: m.dot(m.zeros(2, 3), m.zeros(3)), RuntimeError,
     "1D tensors expected, but got 2D and 1D tensors", None),
    ("masked_select_int", lambda m: m.zeros(3).masked_select(m.tensor([1, 0, 1])), RuntimeError,
     "masked_select: expected BoolTensor for mask", None),
    ("tril_1d", lambda m: m.zeros(3).tril(), RuntimeError,
     "tril: input tensor must have at least 2 dimensions", None),
    ("scatter_ndim", lambda m: m.zeros(2, 3).scatter(1, m.tensor([0]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor", None),
    ("meshgrid_indexing", lambda m: m.meshgrid(m.zeros(2), indexing="ab"), RuntimeError,
     'indexing must be one of "xy" or "ij", but received: ab', None),
    ("diag_3d", lambda m: m.zeros(2, 2, 2).diag(), RuntimeError,
     "diag(): Supports 1D or 2D tensors. Got 3D", None),
    ("inv_not_square", lambda m: m.linalg.inv(m.zeros(3, 2)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 3 by 2 matrices", None),
    ("inv_singular", lambda m: m.linalg.inv(m.zeros(3, 3)), RuntimeError,
     "the inversion could not be completed because the input matrix is singular", None),
    ("masked_fill_int_mask", lambda m: m.zeros(3).masked_fill(m.tensor([1, 0, 1]), 0.0),
     RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype", None),
]


@pytest.mark.parametrize("name,call,exc,shared,own", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_use_torch_wording(name, call, exc, shared, own):
    with pytest.raises(exc) as ours:
        call(gg)
    msg = str(ours.value)
    assert shared.lower() in msg.lower(), msg
    if own is not None:
        assert own in msg, msg
    with pytest.raises(Exception) as theirs:  # the shared text really is torch's
        call(torch)
    assert shared.lower() in str(theirs.value).lower().replace("arguments", "argument"), \
        str(theirs.value)


# -- every op documents its math -----------------------------------------------------------------


def _op_classes():
    classes = []
    for info in pkgutil.iter_modules(glassgrad.ops.__path__):
        module = importlib.import_module(f"glassgrad.ops.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Function) and obj.__module__ == module.__name__ and \
                    obj.node_name:
                classes.append(obj)
    return classes


def test_every_op_class_has_its_math_on_top():
    classes = _op_classes()
    assert len(classes) > 40
    bad = []
    for cls in classes:
        lines = [ln.strip() for ln in (cls.__doc__ or "").strip().splitlines()]
        # the forward on the first line; the gradient right below it (a long forward may wrap
        # onto a second line or two)
        ok = len(lines) >= 2 and "=" in lines[0] and any(
            "=" in ln and (ln.startswith(("grad", "d")) or " grad" in ln) for ln in lines[1:4]
        )
        if not ok:
            bad.append(cls.__name__)
    assert not bad, f"op classes without their math on top (y = ..., grad_x = ...): {bad}"


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32"])
def test_sum_all_gives_numpys_reduction_bit_for_bit(dtype):
    """``sum_all`` (full reductions: sum, mean, a gradient summed to a 0-d weight) takes a
    faster route on tiny float vectors; its result must be np.add.reduce's, bit for bit."""
    from glassgrad.autograd.function import sum_all

    rng = np.random.default_rng(7)
    specials = [[-0.0], [-0.0, -0.0], [np.inf, -np.inf], [np.nan, 1.0], [1e30, 1e30, -1e30],
                [0.0, -0.0], [-1.5, 1.5]]
    cases = [np.array(v) for v in specials] if dtype.startswith("float") else []
    for n in range(10):
        for _ in range(300):
            base = rng.standard_normal(2 * n + 1) * 10.0 ** rng.uniform(-4, 4, 2 * n + 1)
            cases += [base[:n], base[: 2 * n : 2], base[:n][::-1]]
    with np.errstate(all="ignore"):
        for c in cases:
            x = c.astype(dtype)
            want, got = np.add.reduce(x, None), sum_all(x)
            assert got.dtype == want.dtype
            assert want.tobytes() == np.asarray(got, dtype=want.dtype).tobytes(), x


def test_every_apply1_call_names_a_one_tensor_op():
    """``Op._apply1(x, ...)`` treats its first argument as the op's only tensor: only ops marked
    ``_unary`` may be called that way (a scan of glassgrad's source)."""
    import importlib
    import pathlib
    import re

    from glassgrad.autograd.function import Function

    root = pathlib.Path(gg.__file__).parent
    calls = 0
    for path in sorted(root.rglob("*.py")):
        src = path.read_text()
        names = set(re.findall(r"\b([A-Z]\w*)\._apply1\(", src))
        if not names:
            continue
        rel = path.relative_to(root.parent).with_suffix("")
        module = importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
        for name in names:
            op = getattr(module, name)
            assert issubclass(op, Function) and op._raw and op._unary, (path.name, name)
            calls += 1
    assert calls > 50


def test_a_one_tensor_op_applied_with_keyword_parameters():
    # apply(x, dim, keepdim=True) reaches _apply1, which takes parameters by position
    from glassgrad.ops.reduce import SumDim

    x = gg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = SumDim.apply(x, 0, keepdim=True)
    assert y.shape == (1, 2) and y.tolist() == [[4.0, 6.0]]
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    # a keyword after a parameter left at its default (dim): still bound to its own name
    from glassgrad.ops.reduce import Sum

    assert Sum.apply(x, keepdim=True).shape == (1, 1)
