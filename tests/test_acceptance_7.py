"""Acceptance review of issue #7 (convolutions): bad input found by using the API as a user would.

Each case runs the same call on torch and glassgrad: the exception type must match and the
message must contain torch's own wording (checked against torch at run time, never a string
glassgrad produced). Also: integer average pooling, which torch supports.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn.functional as GF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# (call, exception type, a piece of torch's message both must contain)
SAME_MESSAGE = [
    (lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(0, 1, 3, 3)), RuntimeError,
     ("Given groups=1, expected weight to be at least 1 at dimension 0, but got weight of size "
     "[0, 1, 3, 3] instead")),
    (lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 0, 3)), RuntimeError,
     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 3"),
    (lambda F, L: F.conv1d(L.zeros(1, 1, 5), L.zeros(1, 1, 0)), RuntimeError,
     "kernel size should be greater than zero, but got kernel_height: 1 kernel_width: 0"),
    (lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 3, 3), dilation=0), RuntimeError,
     "dilation should be greater than zero, but got [0, 0]"),
    (lambda F, L: F.conv_transpose2d(L.zeros(1, 2, 1, 1), L.zeros(2, 1, 1, 1), padding=2),
     RuntimeError, ("Given input size per channel: (1 x 1). Calculated output size per channel: "
     "(-3 x -3). Output size is too small")),
    (lambda F, L: F.conv_transpose1d(L.zeros(1, 2, 2), L.zeros(2, 1, 1), padding=1),
     RuntimeError, ("Given input size per channel: (1 x 2). Calculated output size per channel: "
     "(1 x 0). Output size is too small")),
    (lambda F, L: F.avg_pool1d(L.zeros(2, 3, 2), 3), RuntimeError,
     "Given input size: (3x1x2). Calculated output size: (3x1x0). Output size is too small"),
    (lambda F, L: F.max_pool1d(L.zeros(2, 3, 2), 3), RuntimeError,
     "max_pool1d() Invalid computed output size: 0"),
    (lambda F, L: F.max_pool1d(L.zeros(2, 3, 2), 3, return_indices=True), RuntimeError,
     "Given input size: (3x1x2). Calculated output size: (3x1x0). Output size is too small"),
    (lambda F, L: L.nn.Conv2d(1, 4, 3)(L.zeros(2, 1, 8, 8, dtype=L.float64)), RuntimeError,
     "Input type (double) and bias type (float) should be the same"),
    (lambda F, L: F.conv2d(L.zeros(2, 1, 8, 8), L.zeros(4, 1, 3, 3), L.zeros(4, dtype=L.float64)),
     RuntimeError, "Input type (float) and bias type (double) should be the same"),
    (lambda F, L: L.nn.Conv2d(1, 4, 3)(L.zeros(2, 1, 8, 8, dtype=L.int64)), RuntimeError,
     "Input type (long int) and bias type (float) should be the same"),
    (lambda F, L: F.conv2d(L.zeros(2, 1, 8, 8, dtype=L.int64), L.zeros(4, 1, 3, 3)),
     RuntimeError, "expected scalar type Long but found Float"),
    (lambda F, L: L.nn.BatchNorm2d(1)(L.zeros(2, 1, 4, 4, dtype=L.float64)), RuntimeError,
     "mixed dtype (CPU): all inputs must share same datatype."),
    (lambda F, L: L.nn.BatchNorm2d(1).double()(L.zeros(2, 1, 4, 4)), RuntimeError,
     "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    (lambda F, L: F.adaptive_avg_pool2d(L.zeros(1, 1, 0, 4), 2), RuntimeError,
     ("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
      "but input has sizes [1, 1, 0, 4] with dimension 2 being empty")),
    (lambda F, L: F.adaptive_avg_pool2d(L.zeros(3, 4, 0), 2), RuntimeError,
     ("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
      "but input has sizes [3, 4, 0] with dimension 2 being empty")),
    (lambda F, L: F.max_unpool2d(L.zeros(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.int64), 2,
                                 output_size=(9, 9)), ValueError,
     'invalid output_size "(9, 9)" (dim 0 must be between 2 and 6)'),
    (lambda F, L: F.max_unpool2d(L.zeros(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.int64), 2,
                                 output_size=[1, 5, 3]), ValueError,
     "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"),
    (lambda F, L: F.max_unpool1d(L.zeros(1, 1, 2), L.zeros(1, 1, 2, dtype=L.int64), 2,
                                 output_size=[7]), ValueError,
     'invalid output_size "[7]" (dim 0 must be between 2 and 6)'),
    (lambda F, L: F.interpolate(L.zeros(1, 1, 4, 4)), ValueError,
     "either size or scale_factor should be defined"),
    (lambda F, L: F.interpolate(L.zeros(1, 1, 4, 4), size=2, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda F, L: F.interpolate(L.zeros(1, 1, 4, 4), scale_factor=0), RuntimeError,
     ("Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output "
     "(H: 0, W: 0)")),
    (lambda F, L: F.interpolate(L.zeros(1, 1, 4, 4), size=(2, 0)), RuntimeError,
     ("Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output "
     "(H: 2, W: 0)")),
    (lambda F, L: F.interpolate(L.zeros(1, 1, 4), scale_factor=0.1, mode="linear"), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)"),
]


@pytest.mark.parametrize("call, exc, message", SAME_MESSAGE, ids=[m[:40] for _, _, m in SAME_MESSAGE])
def test_errors_in_torch_wording(call, exc, message):
    with pytest.raises(exc) as t_err:
        call(TF, torch)
    assert message in str(t_err.value)  # the wording really is torch's
    with pytest.raises(exc) as g_err:
        call(GF, gg)
    assert message in str(g_err.value)


# float where torch wants ints: torch raises TypeError; glassgrad used to truncate silently
FLOAT_ARGS = [
    ("conv2d", lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 3, 3), padding=1.5),
     "padding"),
    ("conv2d", lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 3, 3), stride=1.5),
     "stride"),
    ("conv2d", lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 3, 3), dilation=1.5),
     "dilation"),
    ("conv2d", lambda F, L: F.conv2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 3, 3), padding=(1, 1.0)),
     "padding"),
    ("conv1d", lambda F, L: F.conv1d(L.zeros(1, 1, 5), L.zeros(1, 1, 3), stride=True), "stride"),
    ("conv_transpose2d",
     lambda F, L: F.conv_transpose2d(L.zeros(1, 1, 5, 5), L.zeros(1, 1, 3, 3), stride=1.5),
     "stride"),
    ("max_pool2d", lambda F, L: F.max_pool2d(L.zeros(1, 1, 6, 6), 2.0), "kernel_size"),
    ("avg_pool2d", lambda F, L: F.avg_pool2d(L.zeros(1, 1, 6, 6), 2, stride=1.5), "stride"),
]


@pytest.mark.parametrize("op, call, arg", FLOAT_ARGS, ids=[f"{o}-{a}" for o, _, a in FLOAT_ARGS])
def test_float_sizes_are_refused_like_torch(op, call, arg):
    with pytest.raises(TypeError):
        call(TF, torch)
    with pytest.raises(TypeError) as g_err:
        call(GF, gg)
    msg = str(g_err.value)
    assert op in msg and arg in msg and "tuple of ints" in msg


@pytest.mark.parametrize("op", ["conv1d", "conv2d"])
def test_non_tensor_bias_is_a_type_error(op):
    nd = int(op[4])
    x, w = gg.zeros(1, 1, *(5,) * nd), gg.zeros(1, 1, *(3,) * nd)
    with pytest.raises(TypeError):
        getattr(TF, op)(torch.zeros(1, 1, *(5,) * nd), torch.zeros(1, 1, *(3,) * nd), [0.0])
    with pytest.raises(TypeError, match=f"{op}\\(\\): argument 'bias' must be Tensor, not list"):
        getattr(GF, op)(x, w, [0.0])


def test_empty_batch_or_channels_pool_like_torch():
    for shape in [(1, 0, 3, 4), (0, 3, 4), (0, 2, 5, 5)]:
        x = np.zeros(shape, np.float32)
        assert tuple(GF.adaptive_avg_pool2d(gg.tensor(x), 2).shape) == \
            tuple(TF.adaptive_avg_pool2d(torch.tensor(x), 2).shape)


def test_max_unpool_output_size_with_batch_dims_like_torch():
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 3))
    gy, gi = GF.max_pool2d(gg.tensor(x), 2, return_indices=True)
    ty, ti = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    g = GF.max_unpool2d(gy, gi, 2, output_size=[1, 2, 5, 3])
    t = TF.max_unpool2d(ty, ti, 2, output_size=[1, 2, 5, 3])
    np.testing.assert_array_equal(g._data, t.numpy())


def test_numpy_integers_are_accepted_as_sizes():
    x, w = np.zeros((1, 1, 7, 7), np.float32), np.zeros((1, 1, 3, 3), np.float32)
    kw = {"stride": np.int64(2), "padding": (np.int32(1), 1)}
    assert tuple(GF.conv2d(gg.tensor(x), gg.tensor(w), **kw).shape) == \
        tuple(TF.conv2d(torch.tensor(x), torch.tensor(w), **kw).shape)


@pytest.mark.parametrize("fn, shape, kw", [
    ("avg_pool2d", (2, 3, 7, 6), {"kernel_size": 2}),
    ("avg_pool2d", (2, 3, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool2d", (2, 3, 7, 6), {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
    ("avg_pool2d", (2, 3, 7, 6), {"kernel_size": 2, "divisor_override": 3}),
    ("avg_pool1d", (2, 3, 9), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
])
def test_int64_avg_pool_matches_torch(fn, shape, kw):
    x = np.random.default_rng(0).integers(-50, 50, shape)
    t = getattr(TF, fn)(torch.tensor(x), **kw).numpy()
    g = getattr(GF, fn)(gg.tensor(x), **kw)
    assert g._data.dtype == t.dtype == np.int64
    np.testing.assert_array_equal(g._data, t)  # truncated toward zero, as torch


@pytest.mark.parametrize("fn", ["avg_pool1d", "avg_pool2d"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "bool"])
def test_other_integer_avg_pool_refused_like_torch(fn, dtype):
    x = np.ones((1, 2, 4, 4), dtype)[0 if fn == "avg_pool1d" else slice(None)]
    with pytest.raises(NotImplementedError) as t_err:
        getattr(TF, fn)(torch.tensor(x), 2)
    with pytest.raises(NotImplementedError) as g_err:
        getattr(GF, fn)(gg.tensor(x), 2)
    assert str(g_err.value) == str(t_err.value)


def test_digits_cnn_glass_trace_attributes_ops_to_modules_and_collapses(tmp_path):
    """The glass-box trace on the example's CNN: every conv/bn/pool node is attributed to its
    module, the collapsed view (used for graphs above max_nodes) has one box per layer, and the
    report is written."""
    pytest.importorskip("sklearn")
    from glassgrad import glass
    from glassgrad.examples.digits_cnn import DigitsCNN
    from glassgrad.glass.graph import Graph

    gg.manual_seed(0)
    model = DigitsCNN()
    opt = gg.optim.SGD(model.parameters(), lr=0.1)
    x, y = gg.randn(8, 1, 8, 8), gg.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    with glass.trace(warn=False) as t:
        for _ in range(2):
            opt.zero_grad()
            GF.cross_entropy(model(x), y).backward()
            opt.step()
    ops = {(n.op, n.module) for n in t.steps[0].nodes if n.kind == "op"}
    for op, module in [("ConvolutionBackward0", "model.features.0"),
                       ("NativeBatchNormBackward0", "model.features.1"),
                       ("MaxPool2DWithIndicesBackward0", "model.features.3"),
                       ("ConvolutionBackward0", "model.features.4")]:
        assert (op, module) in ops, sorted(ops, key=str)
    full = Graph.from_step(t.steps[0], "backward")
    small = Graph.from_step(t.steps[0], "backward", max_nodes=10)
    assert "collapsed by module" in small.title and small.collapsed_from is not None
    boxes = {n["lines"][0] for n in small.nodes if n["kind"] == "module"}
    assert {f"model.features.{i}" for i in range(8)} <= boxes
    assert len(small.nodes) < len(full.nodes)
    t.report(str(tmp_path / "report.html"))
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_float32_end_to_end_inside_backward():
    """Not just the final gradients: every op's raw backward result is float32 (the engine's
    cast to the input's dtype would hide a float64 detour, which costs twice the time)."""
    from glassgrad import nn
    from glassgrad.autograd.function import state

    gg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding="same", groups=2), nn.Dropout2d(0.1),
        nn.AvgPool2d(2, padding=1), nn.Upsample(scale_factor=2),
        nn.ConvTranspose2d(8, 4, 3, stride=2), nn.AdaptiveAvgPool2d(3),
        nn.AdaptiveMaxPool2d(2), nn.Flatten(), nn.Linear(16, 5))
    x = gg.randn(4, 3, 12, 12, requires_grad=True)
    seen = []

    def hook(node, g, input_grads):
        seen.extend((node.name(), a.dtype) for a in input_grads if a is not None)

    state.backward_hooks.append(hook)
    try:
        GF.cross_entropy(model(x), gg.tensor([0, 1, 2, 3])).backward()
    finally:
        state.backward_hooks.remove(hook)
    names = {n for n, _ in seen}
    assert {"ConvolutionBackward0", "NativeBatchNormBackward0", "MaxPool2DWithIndicesBackward0",
            "AvgPool2DBackward0", "UpsampleNearest2DBackward0",
            "AdaptiveAvgPool2DBackward0"} <= names, names
    wrong = [(n, d) for n, d in seen if d != np.float32]
    assert not wrong, wrong


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", [{"scale_factor": 2}, {"scale_factor": 1.7}, {"size": 13},
                                {"size": 3}, {"scale_factor": 0.5},
                                {"scale_factor": 1.7, "recompute_scale_factor": True}])
def test_interpolate_nearest_1d_matches_torch(kw, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 8)).astype(dtype)
    up = None
    res = []
    for lib, F in ((torch, TF), (gg, GF)):
        xt = lib.tensor(x, requires_grad=True)
        y = F.interpolate(xt, **kw)
        if up is None:
            up = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype)
        y.backward(lib.tensor(up))
        res.append((y.detach().numpy(), xt.grad.numpy(), y.grad_fn.name()))
    (ty, tg, tn), (gy, g_grad, gn) = res
    assert gn == tn == "UpsampleNearest1DBackward0"
    assert gy.dtype == ty.dtype and g_grad.dtype == tg.dtype
    np.testing.assert_array_equal(gy, ty)
    np.testing.assert_allclose(g_grad, tg, rtol=1e-6, atol=1e-6)


def test_interpolate_nearest_1d_gradcheck_and_module():
    from glassgrad.autograd import gradcheck, gradgradcheck

    x = gg.tensor(np.random.default_rng(2).standard_normal((1, 2, 5)), requires_grad=True)
    fn = lambda t: GF.interpolate(t, scale_factor=2.5)
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))
    xs = np.arange(12.0).reshape(1, 2, 6)
    np.testing.assert_array_equal(gg.nn.Upsample(size=9)(gg.tensor(xs))._data,
                                  torch.nn.Upsample(size=9)(torch.tensor(xs)).numpy())


@pytest.mark.parametrize("fn, shape, kw", [
    ("max_pool1d", (2, 3, 8), {"kernel_size": 2}),
    ("max_pool1d", (3, 8), {"kernel_size": 3, "stride": 2, "return_indices": True}),
    ("avg_pool1d", (2, 3, 8), {"kernel_size": 2}),
    ("avg_pool1d", (3, 8), {"kernel_size": 2}),
])
def test_pool1d_grad_fn_names_and_values_match_torch(fn, shape, kw):
    x = np.random.default_rng(3).standard_normal(shape)
    out = []
    for lib, F in ((torch, TF), (gg, GF)):
        xt = lib.tensor(x, requires_grad=True)
        y = getattr(F, fn)(xt, **kw)
        idx = None
        if isinstance(y, tuple):
            y, idx = y[0], y[1].numpy()
        y.sum().backward()
        out.append((y.grad_fn.name(), y.detach().numpy(), xt.grad.numpy(), idx))
    assert out[0][0] == out[1][0]
    for a, b in zip(out[0][1:], out[1][1:]):
        if a is not None:
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -- a seeded random sweep against torch (beyond the hand-picked grids of test_conv/test_pool) --


def _conv_cases(n, seed=7):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        nd = int(rng.choice([1, 2]))
        transposed = bool(rng.random() < 0.3)
        g = int(rng.choice([1, 1, 2, 3]))
        cin, cout = g * int(rng.integers(1, 4)), g * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5, nd))
        s = tuple(int(v) for v in rng.integers(1, 4, nd))
        d = tuple(int(v) for v in rng.integers(1, 3, nd))
        size = tuple(int(v) for v in rng.integers(1, 12, nd))
        kw = {"stride": s, "dilation": d, "groups": g}
        if transposed:
            kw["padding"] = tuple(int(rng.integers(0, 3)) for _ in range(nd))
            kw["output_padding"] = tuple(int(rng.integers(0, max(a, b))) for a, b in zip(s, d))
            w_shape, name = (cin, cout // g) + k, f"conv_transpose{nd}d"
            out = [(i - 1) * st - 2 * p + dl * (kk - 1) + op + 1 for i, st, p, dl, kk, op in
                   zip(size, s, kw["padding"], d, k, kw["output_padding"])]
        else:
            r = rng.random()
            kw["padding"] = ("same" if r < 0.15 and s == (1,) * nd else "valid" if r < 0.25 else
                             tuple(int(rng.integers(0, 3)) for _ in range(nd)))
            w_shape, name = (cout, cin // g) + k, f"conv{nd}d"
            pads = (0,) * nd if isinstance(kw["padding"], str) else kw["padding"]
            out = [0 if kw["padding"] == "valid" and i < dl * (kk - 1) + 1 else
                   i + 2 * p - dl * (kk - 1) for i, p, dl, kk in zip(size, pads, d, k)]
        if min(out) < 1:
            continue  # an error case: covered by the error tables
        cases.append((name, (int(rng.integers(1, 4)), cin) + size, w_shape,
                      bool(rng.random() < 0.5), kw))
    return cases


@pytest.mark.parametrize("name, x_shape, w_shape, bias, kw", _conv_cases(60))
def test_random_conv_sweep_matches_torch(name, x_shape, w_shape, bias, kw):
    rng = np.random.default_rng(abs(hash((x_shape, w_shape))) % 2**32)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    c_out = w_shape[0] if name.startswith("conv") and "transpose" not in name else \
        w_shape[1] * kw["groups"]
    b = rng.standard_normal(c_out) if bias else None
    res = []
    for lib, F in ((torch, TF), (gg, GF)):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True) if bias else None
        y = getattr(F, name)(xt, wt, bt, **kw)
        y.backward(lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape))))
        res.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()]
                   + ([bt.grad.numpy()] if bias else []))
    for what, a, b_ in zip(["y", "grad x", "grad w", "grad b"], *res):
        assert a.shape == b_.shape, what
        np.testing.assert_allclose(b_, a, rtol=1e-10, atol=1e-10, err_msg=what)
