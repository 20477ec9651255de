"""nn.init: fan computation, gains and errors equal PyTorch's; draws follow the same
distributions (bounds and moments); in place, outside the graph, from the global generator."""

import math
import warnings

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import nn
from glassgrad.nn import init

torch = pytest.importorskip("torch")
TI = torch.nn.init

SHAPES = [(3, 5), (64, 32), (8, 4, 3, 3), (6, 2, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_in_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(gg.empty(*shape)) == \
        TI._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_errors_match_torch():
    for fn_g, fn_t in ((init.xavier_uniform_, TI.xavier_uniform_),
                       (init.kaiming_normal_, TI.kaiming_normal_)):
        with pytest.raises(ValueError) as eg:
            fn_g(gg.empty(3))
        with pytest.raises(ValueError) as et:
            fn_t(torch.empty(3))
        assert str(eg.value) == str(et.value)
    with pytest.raises(ValueError) as eg:
        init.kaiming_uniform_(gg.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError) as et:
        TI.kaiming_uniform_(torch.empty(3, 3), mode="fan_avg")
    assert str(eg.value) == str(et.value)


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3),
                                  ("selu",)])
def test_calculate_gain_matches_torch(args):
    assert init.calculate_gain(*args) == TI.calculate_gain(*args)


def test_calculate_gain_errors_match_torch():
    for args in (("swish",), ("leaky_relu", True)):
        with pytest.raises(ValueError) as eg:
            init.calculate_gain(*args)
        with pytest.raises(ValueError) as et:
            TI.calculate_gain(*args)
        assert str(eg.value) == str(et.value)


def _bound_and_std(fn_name, shape, **kw):
    """torch's bound (uniform) or std (normal) for this init, computed from torch's rules."""
    fan_in, fan_out = TI._calculate_fan_in_and_fan_out(torch.empty(*shape))
    if fn_name == "xavier":
        return kw.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
    gain = TI.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
    return gain / math.sqrt(fan)


@pytest.mark.parametrize("kw", [{}, {"a": math.sqrt(5)}, {"mode": "fan_out"},
                                {"nonlinearity": "relu"}])
def test_kaiming_distributions(kw):
    shape = (256, 128)
    std = _bound_and_std("kaiming", shape, **kw)
    gg.manual_seed(0)
    w = init.kaiming_uniform_(gg.empty(*shape), **kw)._data
    bound = math.sqrt(3) * std
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - std) < 0.02 * std and abs(w.mean()) < 0.02 * std
    w = init.kaiming_normal_(gg.empty(*shape, dtype=gg.float64), **kw)._data
    assert w.dtype == np.float64
    assert abs(w.std() - std) < 0.02 * std and abs(w.mean()) < 0.02 * std


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_distributions(gain):
    shape = (300, 200)
    std = _bound_and_std("xavier", shape, gain=gain)
    w = init.xavier_uniform_(gg.empty(*shape), gain=gain)._data
    assert np.abs(w).max() <= math.sqrt(3) * std * (1 + 1e-6)
    assert abs(w.std() - std) < 0.02 * std
    w = init.xavier_normal_(gg.empty(*shape), gain=gain)._data
    assert abs(w.std() - std) < 0.02 * std and abs(w.mean()) < 0.02 * std


def test_uniform_normal_constant_ones_zeros_eye_dirac():
    t = gg.empty(200, 300)
    w = init.uniform_(t, -2.0, 3.0)._data
    assert w.min() >= -2 and w.max() <= 3 and abs(w.mean() - 0.5) < 0.05
    w = init.normal_(t, 1.0, 0.5)._data
    assert abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01
    assert np.all(init.constant_(t, 0.3)._data == np.float32(0.3))
    assert np.all(init.ones_(t)._data == 1) and np.all(init.zeros_(t)._data == 0)
    assert np.array_equal(init.eye_(gg.empty(3, 4))._data, TI.eye_(torch.empty(3, 4)).numpy())
    for shape, groups in (((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)):
        assert np.array_equal(init.dirac_(gg.empty(*shape), groups)._data,
                              TI.dirac_(torch.empty(*shape), groups).numpy())


def test_trunc_normal():
    w = init.trunc_normal_(gg.empty(100, 1000), mean=0.5, std=1.0, a=-1.0, b=1.5)._data
    assert w.min() >= -1.0 and w.max() <= 1.5
    t = TI.trunc_normal_(torch.empty(100, 1000, dtype=torch.float64), 0.5, 1.0, -1.0, 1.5).numpy()
    # same truncated distribution: compare moments with torch's sample
    assert abs(w.mean() - t.mean()) < 0.01 and abs(w.std() - t.std()) < 0.01


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(gg.empty(*shape, dtype=gg.float64), gain=2.0)._data
    flat = w.reshape(shape[0], -1)
    if flat.shape[0] <= flat.shape[1]:
        np.testing.assert_allclose(flat @ flat.T, 4 * np.eye(flat.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(flat.T @ flat, 4 * np.eye(flat.shape[1]), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(gg.empty(3))


def test_in_place_no_graph_version_and_generator():
    p = nn.Parameter(gg.empty(4, 4))
    out = init.normal_(p)
    assert out is p and p.requires_grad and p.grad_fn is None and p._version == 1
    gg.manual_seed(5)
    a = init.uniform_(gg.empty(10))._data.copy()
    gg.manual_seed(5)
    assert np.array_equal(init.uniform_(gg.empty(10))._data, a)
    g = gg.Generator().manual_seed(5)
    assert np.array_equal(init.uniform_(gg.empty(10), generator=g)._data, a)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        init.kaiming_uniform_(gg.empty(0, 3))
    assert any("zero-element" in str(r.message) for r in rec)


def test_default_layer_inits_follow_torch_rules():
    """Linear: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); LayerNorm/BatchNorm: 1, 0;
    Embedding: N(0, 1)."""
    lin = nn.Linear(500, 400)
    b = 1 / math.sqrt(500)
    for w in (lin.weight._data, lin.bias._data):
        assert np.abs(w).max() <= b
    assert abs(lin.weight._data.std() - b / math.sqrt(3)) < 0.02 * b
    ln, bn = nn.LayerNorm(6), nn.BatchNorm1d(6)
    for m in (ln, bn):
        assert np.all(m.weight._data == 1) and np.all(m.bias._data == 0)
    assert np.all(bn.running_var._data == 1) and np.all(bn.running_mean._data == 0)


def test_deprecated_names_warn_like_torch():
    for name in ("uniform", "normal", "xavier_uniform", "kaiming_normal", "orthogonal"):
        with pytest.warns(FutureWarning) as g_rec:
            getattr(init, name)(gg.empty(3, 4))
        with pytest.warns(FutureWarning) as t_rec:
            getattr(TI, name)(torch.empty(3, 4))
        assert str(g_rec[0].message) == str(t_rec[0].message)
    with pytest.warns(FutureWarning):
        assert np.all(init.constant(gg.empty(2), 0.5)._data == 0.5)
