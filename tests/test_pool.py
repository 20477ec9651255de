"""Pooling and nearest upsampling against PyTorch (values, gradients, indices, modules)."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn as gnn
import glassgrad.nn.functional as GF
from glassgrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


def _close(g, t, dtype, what):
    a, b = g._data, t.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def _compare(name, shape, dtype, relu=False, seed=0, **kw):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if relu:  # many exact ties (zeros): the gradient must go where torch sends it
        x = np.maximum(x, 0)
    gx = gg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = getattr(GF, name)(gx, **kw), getattr(TF, name)(tx, **kw)
    if isinstance(ty, tuple):
        np.testing.assert_array_equal(gy[1]._data, ty[1].numpy(), err_msg="indices")
        assert gy[1]._data.dtype == np.int64
        gy, ty = gy[0], ty[0]
    _close(gy, ty, dtype, "forward")
    up = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    _close(gx.grad, tx.grad, dtype, "grad input")
    return gy, ty


MAX_POOL = [
    ((2, 3, 8, 8), {"kernel_size": 2}),
    ((2, 3, 9, 7), {"kernel_size": 2}),  # odd sizes: the last row/col is dropped
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True}),
    ((2, 3, 9, 7), {"kernel_size": (3, 2), "stride": 1, "padding": 1, "dilation": (1, 2),
                    "return_indices": True}),
    ((2, 3, 9, 7), {"kernel_size": 2, "ceil_mode": True, "return_indices": True}),
    ((2, 3, 10, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 3, 12, 12), {"kernel_size": 3, "stride": 3, "dilation": 2}),
    ((3, 9, 7), {"kernel_size": 2, "return_indices": True}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape, kw", MAX_POOL, ids=[f"{s}-{k}" for s, k in MAX_POOL])
def test_max_pool2d_matches_torch(shape, kw, relu, dtype):
    _compare("max_pool2d", shape, dtype, relu=relu, **kw)


@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 9), {"kernel_size": 2}),
    ((2, 3, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True}),
    ((3, 10), {"kernel_size": 3, "ceil_mode": True, "return_indices": True}),
])
def test_max_pool1d_matches_torch(shape, kw):
    _compare("max_pool1d", shape, np.float64, relu=True, **kw)


AVG_POOL = [
    ((2, 3, 8, 8), {"kernel_size": 2}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ((2, 3, 10, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 3, 10, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                     "count_include_pad": False}),
    ((2, 3, 10, 7), {"kernel_size": (3, 2), "stride": 1, "padding": 1, "divisor_override": 5}),
    ((3, 8, 8), {"kernel_size": 4}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, kw", AVG_POOL, ids=[f"{s}-{k}" for s, k in AVG_POOL])
def test_avg_pool2d_matches_torch(shape, kw, dtype):
    _compare("avg_pool2d", shape, dtype, **kw)


@pytest.mark.parametrize("kw", [{"kernel_size": 3}, {"kernel_size": 3, "stride": 2,
                                                     "padding": 1, "ceil_mode": True,
                                                     "count_include_pad": False}])
def test_avg_pool1d_matches_torch(kw):
    _compare("avg_pool1d", (2, 3, 10), np.float64, **kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, out", [((2, 3, 10, 7), (3, 4)), ((2, 3, 10, 7), (5, None)),
                                        ((2, 3, 8, 8), 1), ((3, 7, 5), (7, 2)),
                                        ((2, 3, 5, 5), (8, 8))])
def test_adaptive_avg_pool2d_matches_torch(shape, out, dtype):
    _compare("adaptive_avg_pool2d", shape, dtype, output_size=out)


def test_adaptive_avg_pool1d_matches_torch():
    _compare("adaptive_avg_pool1d", (3, 4, 10), np.float64, output_size=3)


@pytest.mark.parametrize("kw", [{"scale_factor": 2}, {"size": (7, 3)}, {"scale_factor": 1.7},
                                {"scale_factor": (2, 3)}, {"size": 5}])
def test_interpolate_nearest_matches_torch(kw):
    _compare("interpolate", (2, 3, 4, 5), np.float64, **kw)


@pytest.mark.parametrize("name, fn", [
    ("max_pool2d", lambda x: GF.max_pool2d(x, 3, stride=2, padding=1)),
    ("max_pool2d-overlap", lambda x: GF.max_pool2d(x, 2, stride=1)),
    ("avg_pool2d", lambda x: GF.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)),
    ("adaptive_avg_pool2d", lambda x: GF.adaptive_avg_pool2d(x, (2, 3))),
    ("interpolate", lambda x: GF.interpolate(x, scale_factor=2)),
])
def test_gradcheck_and_gradgradcheck(name, fn):
    rng = np.random.default_rng(1)
    x = gg.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_pool_grad_fn_names_match_torch():
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    for name, kw in [("max_pool2d", {"kernel_size": 2}), ("avg_pool2d", {"kernel_size": 2}),
                     ("adaptive_avg_pool2d", {"output_size": 3}),
                     ("interpolate", {"scale_factor": 2})]:
        gy = getattr(GF, name)(gg.tensor(x, requires_grad=True), **kw)
        ty = getattr(TF, name)(torch.tensor(x, requires_grad=True), **kw)
        assert gy.grad_fn.name() == ty.grad_fn.name()


MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", (3,), {"stride": 1, "padding": 1, "ceil_mode": True}),
    ("MaxPool1d", (3, 1), {}),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3, 1, 1), {"count_include_pad": False}),
    ("AvgPool1d", (2,), {}),
    ("AdaptiveAvgPool2d", ((3, 3),), {}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", (), {"size": (3, 4)}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_modules_match_torch(name, args, kwargs):
    g = getattr(gnn, name)(*args, **kwargs)
    t = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    x = np.random.default_rng(3).standard_normal((2, 3, 8, 8) if "1d" not in name
                                                 else (2, 3, 8))
    _close(g(gg.tensor(x)), t(torch.tensor(x)), np.float64, name)


def test_maxpool_module_return_indices():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 6))
    _gy, gi = gnn.MaxPool2d(2, return_indices=True)(gg.tensor(x))
    _ty, ti = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(gi._data, ti.numpy())


ERRORS = [
    (lambda F, lib: F.max_pool2d(lib.zeros(2, 4, 8, 8), 3, padding=2),
     ("pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
     "dilation=1")),
    (lambda F, lib: F.max_pool2d(lib.zeros(2, 4, 8, 8), 9),
     "Given input size: (4x8x8). Calculated output size: (4x0x0). Output size is too small"),
    (lambda F, lib: F.avg_pool2d(lib.zeros(2, 4, 8, 8), 2, divisor_override=0),
     "divisor must be not zero"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m[:30] for _, m in ERRORS])
def test_errors_use_torch_wording(call, message):
    with pytest.raises(RuntimeError) as t_err:
        call(TF, torch)
    assert message in str(t_err.value)
    with pytest.raises(RuntimeError) as g_err:
        call(GF, gg)
    assert message in str(g_err.value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, out", [((2, 3, 5, 7), (3, 4)), ((2, 3, 8, 8), 1),
                                        ((2, 3, 5, 7), (5, None)), ((3, 5, 7), (2, 2)),
                                        ((2, 3, 4, 4), (6, 6))])
def test_adaptive_max_pool2d_matches_torch(shape, out, dtype):
    _compare("adaptive_max_pool2d", shape, dtype, relu=True, output_size=out,
             return_indices=True)


def test_adaptive_max_pool1d_and_modules_match_torch():
    _compare("adaptive_max_pool1d", (2, 3, 9), np.float64, output_size=4, return_indices=True)
    for name, args in [("AdaptiveMaxPool2d", ((3, 3),)), ("AdaptiveMaxPool2d", (1,)),
                       ("UpsamplingNearest2d", ())]:
        kwargs = {"scale_factor": 2} if name == "UpsamplingNearest2d" else {}
        g, t = getattr(gnn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
        assert repr(g) == repr(t)
        x = np.random.default_rng(5).standard_normal((2, 3, 7, 6))
        _close(g(gg.tensor(x)), t(torch.tensor(x)), np.float64, name)
    x = gg.tensor(np.random.default_rng(6).standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradgradcheck(lambda t: GF.adaptive_max_pool2d(t, (2, 3)), (x,))
    _close(GF.upsample(gg.tensor(x._data), scale_factor=2),
           TF.interpolate(torch.tensor(x._data), scale_factor=2), np.float64, "upsample")


@pytest.mark.parametrize("nd, shape, kw, out", [
    (2, (2, 3, 6, 6), {"kernel_size": 2}, None),
    (2, (2, 3, 7, 5), {"kernel_size": 3, "stride": 2, "padding": 1}, (7, 5)),
    (1, (2, 3, 9), {"kernel_size": 2}, (9,)),
])
def test_max_unpool_matches_torch(nd, shape, kw, out):
    x = np.random.default_rng(17).standard_normal(shape)
    pool, unpool = f"max_pool{nd}d", f"max_unpool{nd}d"
    ty, ti = getattr(TF, pool)(torch.tensor(x), return_indices=True, **kw)
    _, gi = getattr(GF, pool)(gg.tensor(x), return_indices=True, **kw)
    gv, tv = _pair_of(ty.numpy())
    extra = {"output_size": out} if out else {}
    gu = getattr(GF, unpool)(gv, gi, **kw, **extra)
    tu = getattr(TF, unpool)(tv, ti, **kw, **extra)
    _close(gu, tu, np.float64, "max_unpool")
    up = np.random.default_rng(18).standard_normal(tuple(tu.shape))
    gu.backward(gg.tensor(up))
    tu.backward(torch.tensor(up))
    _close(gv.grad, tv.grad, np.float64, "grad")
    assert gu.grad_fn.name() == tu.grad_fn.name() or nd == 1
    name = f"MaxUnpool{nd}d"
    assert repr(getattr(gnn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


def _pair_of(x):
    return gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def test_max_unpool_rejects_indices_outside_the_output():
    y, i = GF.max_pool2d(gg.randn(1, 2, 5, 5), 2, return_indices=True)
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        GF.max_unpool2d(y, i, 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}),
    ((2, 3, 4, 5), {"size": (7, 3), "mode": "bilinear"}),
    ((2, 3, 4, 5), {"scale_factor": 1.7, "mode": "bilinear"}),
    ((2, 3, 4, 5), {"size": (1, 1), "mode": "bilinear", "align_corners": True}),
    ((2, 3, 6), {"scale_factor": 2.5, "mode": "linear"}),
    ((2, 3, 6), {"size": 4, "mode": "linear", "align_corners": True}),
])
def test_interpolate_linear_modes_match_torch(shape, kw, dtype):
    _compare("interpolate", shape, dtype, **kw)


def test_bilinear_modules_and_gradgradcheck():
    for g, t in [(gnn.Upsample(scale_factor=2, mode="bilinear"),
                  torch.nn.Upsample(scale_factor=2, mode="bilinear")),
                 (gnn.UpsamplingBilinear2d(scale_factor=2),
                  torch.nn.UpsamplingBilinear2d(scale_factor=2))]:
        assert repr(g) == repr(t)
        x = np.random.default_rng(19).standard_normal((1, 2, 3, 4))
        _close(g(gg.tensor(x)), t(torch.tensor(x)), np.float64, repr(g))
    x = gg.tensor(np.random.default_rng(20).standard_normal((1, 2, 3, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: GF.interpolate(t, scale_factor=2, mode="bilinear"), (x,))
