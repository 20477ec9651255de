"""repr/str of tensors, compared character for character with real PyTorch's repr.

Every expected string is produced live by torch from the same NumPy array; glassgrad prints its
dtype prefix as "torch" here (what ``glassgrad run`` does) so the strings can match exactly.
"""

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import _dtype

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(1234)


def _randn(*shape, dtype=np.float32, scale=1.0):
    return (_rng.standard_normal(shape) * scale).astype(dtype)


CASES = {
    "ints_as_floats": np.array([1.0, 2.0], np.float32),
    "fixed_point": np.array([0.3, 1.25], np.float32),
    "scalar_float": np.array(2.0, np.float32),
    "scalar_frac": np.array(3.14159, np.float64),
    "scalar_negative": np.array(-0.5, np.float32),
    "scalar_int": np.array(5),
    "scalar_bool": np.array(True),
    "scalar_nan": np.array(np.nan, np.float32),
    "scalar_tiny": np.array(1e-7, np.float32),
    "sci_small": np.array([1e-5, 1.0], np.float32),
    "sci_large": np.array([1e9, 1.0], np.float32),
    "sci_ratio": np.array([1000.5, 1.0]),
    "no_sci_ratio_1000": np.array([1000.0, 1.0, 0.5]),
    "sci_negative": np.array([-1e-6, 2.5e3, -3.0], np.float32),
    "sci_ints": np.array([1e10, 1.0], np.float32),
    "big_ints": np.array([123456789.0, 1.0]),
    "min_1e-4": np.array([1e-4, 0.1], np.float32),
    "nonfinite": np.array([1.0, np.nan, np.inf, -np.inf], np.float32),
    "nonfinite_frac": np.array([1.5, np.inf], np.float32),
    "all_nan": np.array([np.nan, np.nan], np.float32),
    "zeros_signed": np.array([0.0, -0.0]),
    "zeros": np.zeros((2, 3), np.float32),
    "negatives": np.array([-1.5, 2.25, 1e3]),
    "int64": np.array([1, -20, 300]),
    "int32": np.array([1, 2], np.int32),
    "int16": np.array([1, -2], np.int16),
    "int8": np.array([1, 2], np.int8),
    "uint8": np.array([[1, 2], [3, 255]], np.uint8),
    "bool": np.array([True, False]),
    "bool_2d": np.array([[True], [False], [True]]),
    "float16": _randn(4, 4, dtype=np.float16),
    "float64_2d": _randn(5, 30, dtype=np.float64),
    "matrix": _randn(3, 4),
    "cube": _randn(2, 3, 4),
    "four_d": _randn(2, 2, 2, 3),
    "long_row_wraps": _randn(40),
    "long_int_row_wraps": np.arange(100) * 37 - 1000,
    "wide_values": _randn(4, 4, scale=1e5),
    "summarized_row": _randn(2000),
    "summarized_matrix": _randn(40, 40),
    "summarized_cube": _randn(11, 12, 13),
    "summarized_ints": np.arange(2000),
    "summarized_bools": _rng.random(1500) > 0.5,
    "summarized_short_dim": _randn(3, 1000),
    "threshold_exact": _randn(1000),
    "empty_1d": np.zeros(0, np.float32),
    "empty_1d_int": np.zeros(0, np.int64),
    "empty_1d_f64": np.zeros(0, np.float64),
    "empty_rows": np.zeros((0, 3), np.float32),
    "empty_cols_f16": np.zeros((2, 0), np.float16),
    "empty_3d_bool": np.zeros((1, 0, 2), np.bool_),
    "column": _randn(5, 1),
    "ones_0_col": np.ones((3, 1, 1), np.float32),
    "ints_width": _rng.integers(-1000, 1000, (30, 30)),
}

OPTIONS = [
    {},
    {"precision": 2},
    {"precision": 6},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
]


@pytest.fixture(autouse=True)
def _torch_prefix():
    old = _dtype._PREFIX[0]
    _dtype._PREFIX[0] = "torch"
    yield
    _dtype._PREFIX[0] = old
    gg.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def _both(arr):
    return torch.from_numpy(arr.copy()), gg.from_numpy(arr.copy())


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_matches_torch(name):
    t, g = _both(CASES[name])
    assert repr(g) == repr(t)
    assert str(g) == str(t)


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_repr_with_printoptions(opts):
    torch.set_printoptions(**opts)
    gg.set_printoptions(**opts)
    for name, arr in CASES.items():
        t, g = _both(arr)
        assert repr(g) == repr(t), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_scales(dtype):
    # the style switches (int / fixed / scientific) at magnitude boundaries: sweep across them
    for exp in range(-9, 12):
        for n in (1, 3, 17):
            arr = (_rng.standard_normal(n) * 10.0**exp).astype(dtype)
            t, g = _both(arr)
            assert repr(g) == repr(t), arr
            t, g = _both(np.round(arr))
            assert repr(g) == repr(t), arr


def test_grad_suffixes():
    for arr in (np.array(2.0, np.float32), np.array([1.0, 2.0], np.float32),
                _randn(3, 9, dtype=np.float64), _randn(2, 12)):
        tw = torch.tensor(arr, requires_grad=True)
        gw = gg.tensor(arr, requires_grad=True)
        assert repr(gw) == repr(tw)
        assert repr(gw * 2) == repr(tw * 2)
        assert repr((gw * 2).sum()) == repr((tw * 2).sum())
        assert repr(gw + 1) == repr(tw + 1)
        assert repr(gw.exp()) == repr(tw.exp())
        assert repr(gw.detach()) == repr(tw.detach())


def test_suffix_wraps_past_linewidth():
    # a last line near 80 columns pushes dtype= and grad_fn= onto their own lines
    for n in range(3, 12):
        arr = _randn(n, dtype=np.float64)
        tw = torch.tensor(arr, requires_grad=True)
        gw = gg.tensor(arr, requires_grad=True)
        assert repr(gw * 3) == repr(tw * 3)
        assert repr(gw) == repr(tw)


def test_seed_demo_prints():
    w = gg.tensor(0.0, requires_grad=True)
    tw = torch.tensor(0.0, requires_grad=True)
    assert repr(w) == repr(tw) == "tensor(0., requires_grad=True)"
    assert repr(w * 3) == repr(tw * 3)
    assert str(gg.Size([2, 3])) == str(torch.Size([2, 3]))
    assert repr(gg.zeros(2, 3).shape) == repr(torch.zeros(2, 3).shape)
    assert repr(gg.zeros(()).shape) == repr(torch.zeros(()).shape)


def test_dtype_repr():
    for name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                 "bool"):
        assert repr(getattr(gg, name)) == repr(getattr(torch, name))
    assert repr(gg.float) == repr(torch.float)
    assert repr(gg.long) == repr(torch.long)


def test_default_prefix_is_glassgrad():
    _dtype._PREFIX[0] = "glassgrad"
    assert repr(gg.tensor([1.0], dtype=gg.float64)) == "tensor([1.], dtype=glassgrad.float64)"
    assert repr(gg.float64) == "glassgrad.float64"


def test_format_of_scalars():
    w = gg.tensor(0.29999, requires_grad=True)
    tw = torch.tensor(0.29999, requires_grad=True)
    for spec in (".3f", ".10f", "", "8.2e", "g"):
        assert format(w, spec) == format(tw, spec)
    assert f"{gg.tensor(7)}" == f"{torch.tensor(7)}"
    assert f"{gg.tensor([1.0, 2.0])}" == f"{torch.tensor([1.0, 2.0])}"
    # PyTorch formats only 0-d tensors with a spec; a one-element 1-d tensor raises
    with pytest.raises(TypeError):
        format(torch.tensor([1.0]), ".3f")
    with pytest.raises(TypeError):
        format(gg.tensor([1.0]), ".3f")


def test_printoptions_context_restores():
    from glassgrad._tensor_str import get_printoptions, printoptions

    before = get_printoptions()
    with printoptions(precision=1):
        assert repr(gg.tensor([1.25, 2.5])) == "tensor([1.2, 2.5])"
    assert get_printoptions() == before


def test_random_tensors_fuzz():
    # seeded random shapes, dtypes, magnitudes, specials and print options
    rng = np.random.default_rng(5)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 1e30, 65504.0, 1e-8]
    for _ in range(400):
        shape = tuple(int(s) for s in rng.integers(1, 6, int(rng.integers(0, 4))))
        dt = str(rng.choice(["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]))
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 10)
        if rng.random() < 0.3:
            a = np.round(a)
        if rng.random() < 0.2:
            a.reshape(-1)[int(rng.integers(0, a.size))] = rng.choice(specials)
        if dt == "bool":
            a = a > 0
        elif dt in ("int64", "int32"):
            a = np.clip(np.nan_to_num(a, nan=0, posinf=0, neginf=0), -1e9, 1e9)
        elif dt == "uint8":
            a = np.abs(np.clip(np.nan_to_num(a, nan=0, posinf=0, neginf=0), -255, 255))
        with np.errstate(all="ignore"):
            a = np.asarray(a).astype(dt)
        opts = {}
        if rng.random() < 0.3:
            opts = {"precision": int(rng.integers(0, 8)), "linewidth": int(rng.integers(20, 150))}
        torch.set_printoptions(**opts)
        gg.set_printoptions(**opts)
        t, g = _both(a)
        assert repr(g) == repr(t), (opts, a)
        torch.set_printoptions(profile="default")
        gg.set_printoptions(profile="default")
