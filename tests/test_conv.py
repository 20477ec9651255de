"""Convolutions, batch norm and channel dropout against PyTorch (the oracle).

Every case compares the forward value and the gradients of input, weight and bias with torch's
for one random upstream gradient: float64 within 1e-10, float32 within torch-like tolerances.
Small float64 cases also go through finite-difference gradcheck and gradgradcheck.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn as gnn
import glassgrad.nn.functional as GF
from glassgrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-10}, np.float32: {"rtol": 1e-4, "atol": 1e-4}}


def _pair(x, requires_grad=True):
    return (gg.tensor(x, requires_grad=requires_grad),
            torch.tensor(x, requires_grad=requires_grad))


def _close(g, t, dtype, what):
    assert g is not None, f"{what}: glassgrad gave no gradient"
    a = g._data if isinstance(g, gg.Tensor) else np.asarray(g)
    b = t.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def _compare(gfn, tfn, x_shape, w_shape, b_len, dtype, seed=0, **kw):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    gx, tx = _pair(x)
    gw, tw = _pair(w)
    gb = tb = None
    if b_len:
        gb, tb = _pair(rng.standard_normal(b_len).astype(dtype))
    ty = tfn(tx, tw, tb, **kw)
    gy = gfn(gx, gw, gb, **kw)
    _close(gy, ty, dtype, "forward")
    assert gy.grad_fn.name() == ty.grad_fn.name()
    up = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.tensor(up))
    gy.backward(gg.tensor(up))
    _close(gx.grad, tx.grad, dtype, "grad input")
    _close(gw.grad, tw.grad, dtype, "grad weight")
    if b_len:
        _close(gb.grad, tb.grad, dtype, "grad bias")


# (x shape, weight shape, kwargs): 2-D convolutions
CONV2D = [
    ((2, 3, 7, 7), (4, 3, 3, 3), {}),
    ((2, 1, 28, 28), (16, 1, 3, 3), {}),  # the benchmark's first layer (wide grid)
    ((3, 16, 13, 13), (32, 16, 3, 3), {}),  # its second
    ((2, 3, 9, 8), (4, 3, 3, 3), {"padding": 1}),
    ((2, 3, 9, 8), (4, 3, 1, 1), {}),
    ((2, 3, 9, 8), (4, 3, 2, 3), {"stride": 2}),
    ((2, 3, 9, 8), (4, 3, 3, 3), {"stride": (2, 3), "padding": (1, 2)}),
    ((2, 3, 11, 10), (4, 3, 3, 2), {"dilation": (2, 3), "padding": 2}),
    ((2, 3, 11, 10), (5, 3, 3, 3), {"stride": 2, "dilation": 2, "padding": 1}),
    ((2, 4, 9, 8), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 6, 9, 8), (6, 1, 3, 3), {"groups": 6, "stride": 2}),  # depthwise
    ((2, 4, 9, 8), (4, 4, 4, 4), {"padding": "same"}),  # even kernel: asymmetric padding
    ((2, 4, 9, 8), (4, 4, 3, 2), {"padding": "same", "dilation": 2}),
    ((2, 4, 9, 8), (4, 4, 3, 3), {"padding": "valid"}),
    ((1, 2, 3, 3), (3, 2, 3, 3), {}),  # 1x1 output
    ((2, 2, 5, 40), (3, 2, 3, 3), {}),  # wide rows: the plain (not wide-grid) path
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV2D, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONV2D])
def test_conv2d_matches_torch(case, dtype):
    xs, ws, kw = case
    _compare(GF.conv2d, TF.conv2d, xs, ws, ws[0], dtype, **kw)


def test_conv2d_without_bias_and_without_input_grad():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    gx, tx = _pair(x, requires_grad=False)
    gw, tw = _pair(w)
    gy, ty = GF.conv2d(gx, gw, padding=1), TF.conv2d(tx, tw, padding=1)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    _close(gw.grad, tw.grad, np.float64, "grad weight")
    assert gx.grad is None


CONV1D = [
    ((2, 3, 20), (4, 3, 3), {}),
    ((2, 3, 20), (4, 3, 5), {"stride": 2, "padding": 2}),
    ((2, 4, 20), (6, 2, 3), {"groups": 2, "dilation": 3, "padding": "same"}),
    ((3, 2, 9), (2, 2, 4), {"padding": "same"}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV1D, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONV1D])
def test_conv1d_matches_torch(case, dtype):
    xs, ws, kw = case
    _compare(GF.conv1d, TF.conv1d, xs, ws, ws[0], dtype, **kw)


# (x shape, weight shape (C_in, C_out/groups, k...), kwargs)
CONV_T = [
    ((2, 4, 5, 6), (4, 3, 3, 3), {}),
    ((2, 4, 5, 6), (4, 3, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 4, 5, 6), (4, 3, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ((2, 4, 5, 6), (4, 3, 3, 3), {"padding": 1, "output_padding": 1, "dilation": 2}),
    ((2, 4, 5, 6), (4, 3, 3, 2), {"stride": (3, 1), "padding": (1, 0), "dilation": (1, 2)}),
    ((2, 3, 7, 7), (3, 2, 4, 4), {"stride": 2, "padding": 1}),  # the DCGAN upsampling block
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV_T, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONV_T])
def test_conv_transpose2d_matches_torch(case, dtype):
    xs, ws, kw = case
    _compare(GF.conv_transpose2d, TF.conv_transpose2d, xs, ws, ws[1] * kw.get("groups", 1),
             dtype, **kw)


def test_conv_transpose1d_matches_torch():
    _compare(GF.conv_transpose1d, TF.conv_transpose1d, (2, 4, 9), (4, 3, 3), 3, np.float64,
             stride=2, padding=1, output_padding=1)


def test_unbatched_input():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 7, 7))
    w = rng.standard_normal((4, 3, 3, 3))
    y = GF.conv2d(gg.tensor(x), gg.tensor(w))
    _close(y, TF.conv2d(torch.tensor(x), torch.tensor(w)), np.float64, "unbatched conv2d")


def test_float32_stays_float32():
    x = gg.randn(2, 3, 8, 8, requires_grad=True)
    conv = gnn.Conv2d(3, 4, 3, padding=1)
    y = conv(x)
    assert y.dtype == gg.float32
    y.sum().backward()
    assert x.grad.dtype == gg.float32 and conv.weight.grad.dtype == gg.float32


@pytest.mark.parametrize("name, fn, args", [
    ("conv2d", lambda x, w, b: GF.conv2d(x, w, b, stride=2, padding=1, groups=2),
     ((1, 4, 5, 5), (2, 2, 3, 3), (2,))),
    ("conv2d-wide", lambda x, w: GF.conv2d(x, w, padding=1), ((1, 2, 5, 5), (2, 2, 3, 3))),
    ("conv1d", lambda x, w: GF.conv1d(x, w, padding="same", dilation=2), ((2, 2, 6), (3, 2, 3))),
    ("conv_transpose2d",
     lambda x, w, b: GF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     ((1, 2, 3, 3), (2, 2, 3, 3), (2,))),
    ("batch_norm-train", lambda x, w, b: GF.batch_norm(x, None, None, w, b, training=True),
     ((3, 2, 2, 2), (2,), (2,))),
])
def test_gradcheck_and_gradgradcheck(name, fn, args):
    rng = np.random.default_rng(3)
    inputs = tuple(gg.tensor(rng.standard_normal(s), requires_grad=True) for s in args)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_double_backward_matches_torch():
    """create_graph=True: the gradient of a conv's gradient (grad-of-conv runs as conv ops)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    res = []
    for lib, F in ((gg, GF), (torch, TF)):
        tx = lib.tensor(x, requires_grad=True)
        tw = lib.tensor(w, requires_grad=True)
        y = F.conv2d(tx, tw, stride=2, padding=1)
        (gx,) = lib.autograd.grad((y * y).sum(), tx, create_graph=True)
        (gx * gx).sum().backward()
        res.append((tx.grad, tw.grad))
    _close(res[0][0], res[1][0], np.float64, "d/dx |grad_x|^2")
    _close(res[0][1], res[1][1], np.float64, "d/dw |grad_x|^2")


# -- modules ---------------------------------------------------------------------------------


MODULES = [
    ("Conv2d", (1, 16, 3), {}),
    ("Conv2d", (2, 4, (3, 2)), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2,
                                "bias": False}),
    ("Conv2d", (2, 4, 3), {"padding": "same"}),
    ("Conv1d", (2, 4, 3), {"padding": "same"}),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "output_padding": 1}),
    ("ConvTranspose1d", (4, 2, 3), {"stride": 2}),
    ("BatchNorm2d", (16,), {}),
    ("BatchNorm1d", (4,), {"momentum": None, "affine": False}),
    ("Dropout2d", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_repr_and_parameters_match_torch(name, args, kwargs):
    g = getattr(gnn, name)(*args, **kwargs)
    t = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    assert [(n, tuple(p.shape)) for n, p in g.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(g.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("name, args", [("Conv2d", (6, 8, 3)), ("ConvTranspose2d", (6, 8, 3)),
                                         ("Conv1d", (6, 4, 5))])
def test_default_init_range(name, args):
    """PyTorch's rule: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    gg.manual_seed(0)
    m = getattr(gnn, name)(*args)
    w = m.weight._data
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(m.bias._data).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.2 * bound


def test_conv_modules_with_copied_weights_match_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 7, 7)).astype(np.float32)
    for name, args, kwargs in [("Conv2d", (4, 6, 3), {"stride": 2, "padding": 1}),
                               ("ConvTranspose2d", (4, 3, 3), {"stride": 2, "padding": 1})]:
        g = getattr(gnn, name)(*args, **kwargs)
        t = getattr(torch.nn, name)(*args, **kwargs)
        g.load_state_dict({k: gg.tensor(v.numpy()) for k, v in t.state_dict().items()})
        _close(g(gg.tensor(x)), t(torch.tensor(x)), np.float32, name)


def test_conv_transpose_output_size():
    g = gnn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = np.zeros((1, 3, 4, 4), np.float32)
    for size in ([8, 8], [7, 8], (1, 2, 8, 7)):
        assert tuple(g(gg.tensor(x), output_size=size).shape) == \
            tuple(t(torch.tensor(x), output_size=size).shape)
    with pytest.raises(ValueError, match="valid sizes range"):
        g(gg.tensor(x), output_size=[10, 10])


# -- batch norm ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind, shape, kwargs", [
    ("BatchNorm2d", (4, 3, 5, 5), {}),
    ("BatchNorm2d", (4, 3, 5, 5), {"momentum": None}),
    ("BatchNorm2d", (4, 3, 5, 5), {"affine": False}),
    ("BatchNorm1d", (8, 3), {"momentum": 0.3}),
    ("BatchNorm1d", (4, 3, 6), {"track_running_stats": False}),
])
def test_batchnorm_train_then_eval_matches_torch(kind, shape, kwargs, dtype):
    rng = np.random.default_rng(6)
    g = getattr(gnn, kind)(shape[1], **kwargs).to(dtype=gg.float64 if dtype == np.float64
                                                   else gg.float32)
    t = getattr(torch.nn, kind)(shape[1], **kwargs).to(torch.float64 if dtype == np.float64
                                                       else torch.float32)
    if g.weight is not None:
        w = rng.standard_normal(shape[1]).astype(dtype)
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w))
            t.bias.copy_(torch.tensor(w[::-1].copy()))
        g.weight._data[...] = w
        g.bias._data[...] = w[::-1]
    for step in range(3):
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        gx, tx = _pair(x)
        gy, ty = g(gx), t(tx)
        _close(gy, ty, dtype, f"train forward {step}")
        up = rng.standard_normal(shape).astype(dtype)
        gy.backward(gg.tensor(up))
        ty.backward(torch.tensor(up))
        _close(gx.grad, tx.grad, dtype, "grad input")
        if g.weight is not None:
            _close(g.weight.grad, t.weight.grad, dtype, "grad weight")
            _close(g.bias.grad, t.bias.grad, dtype, "grad bias")
    if t.running_mean is not None:
        _close(g.running_mean, t.running_mean, dtype, "running_mean")
        _close(g.running_var, t.running_var, dtype, "running_var")
        assert int(g.num_batches_tracked.item()) == int(t.num_batches_tracked.item())
    g.eval()
    t.eval()
    x = rng.standard_normal(shape).astype(dtype)
    gx, tx = _pair(x)
    gy, ty = g(gx), t(tx)
    _close(gy, ty, dtype, "eval forward")
    gy.sum().backward()
    ty.sum().backward()
    _close(gx.grad, tx.grad, dtype, "eval grad input")


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="expected 4D input"):
        gnn.BatchNorm2d(3)(gg.zeros(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        gnn.BatchNorm1d(3)(gg.zeros(1, 3))


# -- channel dropout -------------------------------------------------------------------------


def test_dropout2d_zeroes_whole_channels():
    gg.manual_seed(0)
    x = gg.ones(8, 16, 4, 4, requires_grad=True)
    m = gnn.Dropout2d(p=0.25)
    y = m(x)
    per_channel = y._data.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1))
    dropped = (per_channel == 0).all(-1).mean()
    assert 0.1 < dropped < 0.4
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, y._data)  # d(x*mask)/dx = mask
    m.eval()
    assert m(x) is x


# -- errors (PyTorch's wording) --------------------------------------------------------------


ERRORS = [
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 3, 3, 3)),
     "expected input[2, 4, 8, 8] to have 3 channels, but got 4 channels instead"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 4, 3, 3), groups=3),
     "expected weight to be divisible by 3 at dimension 0"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 2, 2), lib.zeros(4, 4, 3, 3)),
     "Kernel size can't be greater than actual input size"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 4, 3, 3), stride=2,
                             padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 4, 3, 3), padding="foo"),
     "Invalid padding string: 'foo'"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 4, 3, 3), padding=-1),
     "negative padding is not supported"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 4, 3, 3), stride=0),
     "non-positive stride is not supported"),
    (lambda F, lib: F.conv2d(lib.zeros(4, 8), lib.zeros(4, 4, 3, 3)),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d"),
    (lambda F, lib: F.conv2d(lib.zeros(2, 4, 8, 8, dtype=lib.float64), lib.zeros(4, 4, 3, 3)),
     "expected scalar type Double but found Float"),
    (lambda F, lib: F.conv_transpose2d(lib.zeros(2, 4, 8, 8), lib.zeros(4, 4, 3, 3), stride=2,
                                       output_padding=2),
     "output padding must be smaller than either stride or dilation"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_errors_use_torch_wording(call, message):
    with pytest.raises(RuntimeError) as t_err:
        call(TF, torch)
    assert message in str(t_err.value)  # the wording really is torch's
    with pytest.raises(RuntimeError) as g_err:
        call(GF, gg)
    assert message in str(g_err.value)


def test_top_level_functions_like_torch():
    """torch.conv2d, torch.max_pool2d, ... exist at glassgrad's top level too."""
    x = np.random.default_rng(7).standard_normal((1, 2, 6, 6))
    w = np.random.default_rng(8).standard_normal((3, 2, 3, 3))
    _close(gg.conv2d(gg.tensor(x), gg.tensor(w), padding=1),
           torch.conv2d(torch.tensor(x), torch.tensor(w), padding=1), np.float64, "conv2d")
    _close(gg.max_pool2d(gg.tensor(x), 2), torch.max_pool2d(torch.tensor(x), 2), np.float64,
           "max_pool2d")
    for name in ("conv1d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "avg_pool1d",
                 "adaptive_avg_pool1d"):
        assert hasattr(gg, name) and hasattr(torch, name)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("kind, shape, kw", [
    ("Conv2d", (2, 3, 7, 6), {"padding": 1}),
    ("Conv2d", (2, 3, 7, 6), {"padding": "same", "dilation": 2}),
    ("Conv2d", (2, 3, 7, 6), {"padding": (2, 1), "stride": 2}),
    ("Conv1d", (2, 3, 9), {"padding": 2}),
])
def test_padding_modes_match_torch(kind, shape, kw, mode):
    x = np.random.default_rng(9).standard_normal(shape)
    t = getattr(torch.nn, kind)(3, 4, 3, padding_mode=mode, **kw).double()
    g = getattr(gnn, kind)(3, 4, 3, padding_mode=mode, **kw).double()
    g.load_state_dict({k: gg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert repr(g) == repr(t)
    gx, tx = _pair(x)
    gy, ty = g(gx), t(tx)
    _close(gy, ty, np.float64, "forward")
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    _close(gx.grad, tx.grad, np.float64, "grad input")
    _close(g.weight.grad, t.weight.grad, np.float64, "grad weight")


def test_transposed_conv_rejects_padding_modes():
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        gnn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


# -- unfold / fold (im2col / col2im made visible) ---------------------------------------------

UNFOLD = [
    {"kernel_size": (2, 3), "padding": 1, "stride": (2, 1)},
    {"kernel_size": 3, "dilation": 2, "padding": 2},
    {"kernel_size": 1},
]


@pytest.mark.parametrize("kw", UNFOLD, ids=[str(k) for k in UNFOLD])
def test_unfold_and_fold_match_torch(kw):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 5, 6))
    gx, tx = _pair(x)
    gu, tu = GF.unfold(gx, **kw), TF.unfold(tx, **kw)
    _close(gu, tu, np.float64, "unfold")
    assert gu.grad_fn.name() == tu.grad_fn.name()
    up = rng.standard_normal(tuple(tu.shape))
    gu.backward(gg.tensor(up))
    tu.backward(torch.tensor(up))
    _close(gx.grad, tx.grad, np.float64, "unfold grad")
    gc, tc = _pair(rng.standard_normal(tuple(tu.shape)))
    gf, tf = GF.fold(gc, (5, 6), **kw), TF.fold(tc, (5, 6), **kw)
    _close(gf, tf, np.float64, "fold")
    assert gf.grad_fn.name() == tf.grad_fn.name()
    up = rng.standard_normal(tuple(tf.shape))
    gf.backward(gg.tensor(up))
    tf.backward(torch.tensor(up))
    _close(gc.grad, tc.grad, np.float64, "fold grad")


def test_conv_is_unfold_then_one_matmul():
    rng = np.random.default_rng(11)
    x = gg.tensor(rng.standard_normal((2, 3, 6, 6)))
    w = gg.tensor(rng.standard_normal((4, 3, 3, 3)))
    cols = GF.unfold(x, 3, padding=1)  # (2, 27, 36)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 6, 6)
    np.testing.assert_allclose(y._data, GF.conv2d(x, w, padding=1)._data, rtol=1e-12)


def test_unfold_fold_gradcheck_and_modules():
    x = gg.tensor(np.random.default_rng(12).standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert gradgradcheck(lambda t: GF.unfold(t, 2, padding=1, stride=2), (x,))
    c = gg.tensor(np.random.default_rng(13).standard_normal((1, 8, 9)), requires_grad=True)
    assert gradgradcheck(lambda t: GF.fold(t, (4, 4), 2), (c,))
    assert repr(gnn.Unfold((2, 3), padding=1)) == repr(torch.nn.Unfold((2, 3), padding=1))
    assert repr(gnn.Fold((5, 6), (2, 3))) == repr(torch.nn.Fold((5, 6), (2, 3)))
    assert tuple(gnn.Unfold(2)(gg.ones(3, 5, 6)).shape) == (12, 20)  # unbatched
    assert tuple(gnn.Fold((5, 6), 2)(gg.ones(12, 20)).shape) == (3, 5, 6)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        GF.fold(gg.ones(1, 12, 7), (5, 6), 2)


def test_outputs_and_input_grads_are_contiguous_like_torch():
    """Tutorials flatten with ``x.view(-1, n)``: that needs contiguous outputs, as in torch."""
    rng = np.random.default_rng(14)
    x = gg.tensor(rng.standard_normal((2, 3, 10, 10)).astype(np.float32), requires_grad=True)
    w = gg.tensor(rng.standard_normal((16, 3, 3, 3)).astype(np.float32), requires_grad=True)
    outs = {
        "conv2d": GF.conv2d(x, w),
        "conv2d-wide": GF.conv2d(GF.conv2d(x, w, padding=1), gg.ones(4, 16, 3, 3), padding=1),
        "conv2d-stride": GF.conv2d(x, w, stride=2, padding=1),
        "conv_transpose2d": GF.conv_transpose2d(x, gg.ones(3, 2, 3, 3), stride=2),
        "max_pool2d": GF.max_pool2d(GF.relu(GF.conv2d(x, w)), 2),
        "avg_pool2d": GF.avg_pool2d(x, 3, stride=2, padding=1),
        "unfold": GF.unfold(x, 3),
        "fold": GF.fold(GF.unfold(x, 3), (10, 10), 3),
    }
    for name, y in outs.items():
        assert y.is_contiguous(), name
        y.view(y.shape[0], -1)
        (gx,) = gg.autograd.grad(y.sum(), x)
        assert gx.is_contiguous(), f"grad of {name}"


def test_unfold_of_a_1x1_kernel_is_a_new_array():
    x = gg.randn(2, 3, 4, 4)
    before = x._data.copy()
    u = GF.unfold(x, 1)
    u.add_(1)  # writable, and x is untouched
    np.testing.assert_array_equal(x._data, before)


@pytest.mark.parametrize("shape, size", [((2, 6, 5, 5), 3), ((2, 6, 5, 5), 4), ((2, 5, 7), 2),
                                         ((2, 4, 3, 3, 3), 5)])
def test_local_response_norm_matches_torch(shape, size):
    x = np.random.default_rng(15).standard_normal(shape)
    gx, tx = _pair(x)
    gy = GF.local_response_norm(gx, size, alpha=0.1, beta=0.6, k=2.0)
    ty = TF.local_response_norm(tx, size, alpha=0.1, beta=0.6, k=2.0)
    _close(gy, ty, np.float64, "forward")
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    _close(gx.grad, tx.grad, np.float64, "grad")
    assert repr(gnn.LocalResponseNorm(size)) == repr(torch.nn.LocalResponseNorm(size))


def test_batchnorm3d_and_dropout3d():
    rng = np.random.default_rng(16)
    g, t = gnn.BatchNorm3d(3).double(), torch.nn.BatchNorm3d(3).double()
    assert repr(g) == repr(t)
    x = rng.standard_normal((2, 3, 2, 3, 4))
    gx, tx = _pair(x)
    gy, ty = g(gx), t(tx)
    _close(gy, ty, np.float64, "forward")
    gy.sum().backward()
    ty.sum().backward()
    _close(gx.grad, tx.grad, np.float64, "grad")
    _close(g.running_var, t.running_var, np.float64, "running_var")
    gg.manual_seed(0)
    y = gnn.Dropout3d(0.5)(gg.ones(4, 8, 2, 2, 2))._data.reshape(4, 8, -1)
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))


def test_non_contiguous_inputs():
    """Permuted and flipped views (any strides, negative too) go straight into im2col."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    gx = gg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gv, tv = gx.permute(0, 1, 3, 2).flip(-1), tx.permute(0, 1, 3, 2).flip(-1)
    gy = GF.conv2d(gv, gg.tensor(w), stride=2, padding=1)
    ty = TF.conv2d(tv, torch.tensor(w), stride=2, padding=1)
    _close(gy, ty, np.float64, "conv of a view")
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    _close(gx.grad, tx.grad, np.float64, "grad through the view")
    _close(GF.unfold(gv, 2), TF.unfold(tv, 2), np.float64, "unfold of a view")
