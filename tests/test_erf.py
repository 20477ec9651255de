"""erf without SciPy: glassgrad/ops/_erf.py against math.erf (point by point) and torch."""

import math

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd.function import array_ns
from glassgrad.ops import _erf as erf_module
from glassgrad.ops._erf import erf


def _points():
    rng = np.random.default_rng(7)
    edges = []
    for b in (0.46875, 4.0, 6.0):  # the approximation's interval edges and the clip
        for s in (-1, 1):
            v = s * b
            edges += [v, np.nextafter(v, 0), np.nextafter(v, 2 * v)]
    return np.concatenate([
        np.linspace(-8, 8, 40001),
        rng.standard_normal(20000) * 3,
        np.logspace(-320, 1.5, 3000),  # subnormals up to the far tail
        -np.logspace(-320, 1.5, 3000),
        [1e-300, -5e-324, 5e-324, 26.5, -27.0, 1e10, -1e300, np.finfo(np.float64).max],
        edges,
    ])


def test_matches_math_erf_to_a_few_ulp(path):
    x = _points()
    ref = np.array([math.erf(v) for v in x])
    got = erf(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    ulps = np.abs(got - ref) / np.spacing(np.abs(ref))
    assert ulps.max() <= 4, (x[ulps.argmax()], got[ulps.argmax()], ref[ulps.argmax()])
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
    assert rel.max() < 1e-15


@pytest.fixture(params=["vectorised", "small"])
def path(request, monkeypatch):
    """Run a test through both code paths: the vectorised one and math.erf for small arrays."""
    monkeypatch.setattr(erf_module, "_LOOP_MAX", 0 if request.param == "vectorised" else 10**9)
    return request.param


def test_small_arrays_use_the_c_library_and_agree():
    x = np.linspace(-7, 7, erf_module._LOOP_MAX)
    assert np.array_equal(erf(x), [math.erf(v) for v in x])  # the loop path is math.erf itself
    y = np.linspace(-7, 7, erf_module._LOOP_MAX + 1)
    ulps = np.abs(erf(y) - [math.erf(v) for v in y]) / np.spacing(np.abs(erf(y)))
    assert ulps.max() <= 4


def test_special_values_and_signs(path):
    got = erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan]))
    assert got[0] == 0 and not np.signbit(got[0])
    assert got[1] == 0 and np.signbit(got[1])  # erf(-0) = -0, as math.erf
    assert got[2] == 1.0 and got[3] == -1.0
    assert np.isnan(got[4])
    x = _points()
    np.testing.assert_array_equal(erf(-x), -erf(x))  # exactly odd
    assert np.all(np.abs(erf(x)) <= 1)


def test_monotone_non_decreasing(path):
    x = np.linspace(-7, 7, 200001)
    assert np.all(np.diff(erf(x)) >= 0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_keeps_floating_dtype_and_shape(dtype, path):
    x = (np.random.default_rng(0).standard_normal((3, 4, 5)) * 2).astype(dtype)
    got = erf(x)
    assert got.dtype == dtype and got.shape == x.shape
    ref = np.array([math.erf(float(v)) for v in x.ravel()]).reshape(x.shape).astype(dtype)
    if dtype == np.float64:
        np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0)
    else:
        np.testing.assert_array_equal(got, ref)  # computed in float64, rounded once
    assert erf(np.asarray(0.5, dtype)).shape == ()
    assert array_ns.erf(x).dtype == dtype


def test_non_contiguous_input(path):
    x = np.linspace(-5, 5, 600).reshape(20, 30)[::2, ::-3]
    ref = np.array([math.erf(v) for v in x.ravel()]).reshape(x.shape)
    np.testing.assert_allclose(erf(x), ref, rtol=1e-15, atol=0)


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("fn", ["erf", "gelu"])
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_values_and_grads_vs_torch(fn, dtype, tol):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(500) * 4, [0.0, -0.0, 0.46875, -4.0, 4.5, -6.5, 9.0]])
    x = x.astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)

    def run(lib, mod):
        xt = lib.tensor(x, requires_grad=True)
        y = xt.erf() if fn == "erf" else mod.gelu(xt)
        y.backward(lib.tensor(g))
        return y.detach().numpy(), xt.grad.numpy()

    yg, dg = run(gg, gg.nn.functional)
    yt, dt = run(torch, torch.nn.functional)
    assert yg.dtype == yt.dtype and dg.dtype == dt.dtype
    np.testing.assert_allclose(yg, yt, rtol=tol, atol=tol)
    np.testing.assert_allclose(dg, dt, rtol=tol, atol=tol)


def test_gelu_second_derivative_vs_torch():
    x = np.linspace(-5, 5, 101)

    def run(lib, mod):
        xt = lib.tensor(x, requires_grad=True)
        (d,) = lib.autograd.grad(mod.gelu(xt).sum(), xt, create_graph=True)
        (dd,) = lib.autograd.grad(d.sum(), xt)
        return d.detach().numpy(), dd.numpy()

    for a, b in zip(run(gg, gg.nn.functional), run(torch, torch.nn.functional)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
