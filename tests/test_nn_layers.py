"""Every nn layer: outputs and gradients (input and parameters, random upstream) vs PyTorch
with copied weights, in float64 (tight) and float32."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad import nn
from glassgrad.ops import nnops

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [(np.float64, 1e-10), (np.float32, 2e-5)]


def _gdt(dtype):
    return gg.float64 if dtype == np.float64 else gg.float32


def _tdt(dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def _copy_weights(gmod, tmod):
    """glassgrad module gets torch's parameters and buffers (same keys)."""
    sd = OrderedDict((k, gg.from_numpy(v.detach().numpy().copy()))
                     for k, v in tmod.state_dict().items())
    gmod.load_state_dict(sd)


# name, glassgrad factory, torch factory, input shape, input scale
LAYERS = [
    ("Linear", lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (4, 5), 1.0),
    ("Linear3d", lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (2, 4, 5), 1.0),
    ("ReLU", nn.ReLU, torch.nn.ReLU, (4, 5), 1.0),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (4, 5), 1.0),
    ("ELU", lambda: nn.ELU(0.7), lambda: torch.nn.ELU(0.7), (4, 5), 2.0),
    ("CELU", lambda: nn.CELU(0.7), lambda: torch.nn.CELU(0.7), (4, 5), 2.0),
    ("SELU", nn.SELU, torch.nn.SELU, (4, 5), 2.0),
    ("GELU", nn.GELU, torch.nn.GELU, (4, 5), 2.0),
    ("GELUtanh", lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (4, 5), 2.0),
    ("SiLU", nn.SiLU, torch.nn.SiLU, (4, 5), 3.0),
    ("Mish", nn.Mish, torch.nn.Mish, (4, 5), 3.0),
    ("Sigmoid", nn.Sigmoid, torch.nn.Sigmoid, (4, 5), 3.0),
    ("LogSigmoid", nn.LogSigmoid, torch.nn.LogSigmoid, (4, 5), 3.0),
    ("Tanh", nn.Tanh, torch.nn.Tanh, (4, 5), 2.0),
    ("Hardtanh", nn.Hardtanh, torch.nn.Hardtanh, (4, 5), 2.0),
    ("ReLU6", nn.ReLU6, torch.nn.ReLU6, (4, 5), 5.0),
    ("Softplus", nn.Softplus, torch.nn.Softplus, (4, 5), 3.0),
    ("Softplus_beta", lambda: nn.Softplus(2.0, 3.0), lambda: torch.nn.Softplus(2.0, 3.0),
     (4, 5), 3.0),
    ("Softmax", lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1), (4, 5), 2.0),
    ("Softmax0", lambda: nn.Softmax(0), lambda: torch.nn.Softmax(0), (4, 5), 2.0),
    ("Softmax3d", lambda: nn.Softmax(-1), lambda: torch.nn.Softmax(-1), (2, 3, 4), 2.0),
    ("Softmin", lambda: nn.Softmin(1), lambda: torch.nn.Softmin(1), (4, 5), 2.0),
    ("Softmax2d", nn.Softmax2d, torch.nn.Softmax2d, (2, 3, 4, 5), 2.0),
    ("LogSoftmax", lambda: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1), (4, 5), 2.0),
    ("LogSoftmax3d", lambda: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1), (2, 3, 4), 2.0),
    ("Identity", nn.Identity, torch.nn.Identity, (4, 5), 1.0),
    ("Flatten", nn.Flatten, torch.nn.Flatten, (2, 3, 4), 1.0),
    ("Flatten02", lambda: nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1), (2, 3, 4), 1.0),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: torch.nn.Unflatten(1, (2, 3)),
     (4, 6), 1.0),
    ("LayerNorm", lambda: nn.LayerNorm(5), lambda: torch.nn.LayerNorm(5), (4, 5), 2.0),
    ("LayerNorm2", lambda: nn.LayerNorm((3, 4), eps=1e-3),
     lambda: torch.nn.LayerNorm((3, 4), eps=1e-3), (2, 3, 4), 2.0),
    ("LayerNormNoAffine", lambda: nn.LayerNorm(5, elementwise_affine=False),
     lambda: torch.nn.LayerNorm(5, elementwise_affine=False), (4, 5), 2.0),
    ("LayerNormNoBias", lambda: nn.LayerNorm(5, bias=False),
     lambda: torch.nn.LayerNorm(5, bias=False), (4, 5), 2.0),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(5), lambda: torch.nn.BatchNorm1d(5), (6, 5), 2.0),
    ("BatchNorm1d3d", lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3),
     (4, 3, 5), 2.0),
    ("BatchNorm1dNoAffine", lambda: nn.BatchNorm1d(5, affine=False),
     lambda: torch.nn.BatchNorm1d(5, affine=False), (6, 5), 2.0),
    ("BatchNorm1dNoStats", lambda: nn.BatchNorm1d(5, track_running_stats=False),
     lambda: torch.nn.BatchNorm1d(5, track_running_stats=False), (6, 5), 2.0),
    ("Hardsigmoid", nn.Hardsigmoid, torch.nn.Hardsigmoid, (4, 5), 4.0),
    ("Hardswish", nn.Hardswish, torch.nn.Hardswish, (4, 5), 4.0),
    ("Softsign", nn.Softsign, torch.nn.Softsign, (4, 5), 2.0),
    ("Tanhshrink", nn.Tanhshrink, torch.nn.Tanhshrink, (4, 5), 2.0),
    ("Threshold", lambda: nn.Threshold(0.1, 20.0), lambda: torch.nn.Threshold(0.1, 20.0),
     (4, 5), 1.0),
    ("Hardshrink", nn.Hardshrink, torch.nn.Hardshrink, (4, 5), 1.0),
    ("Softshrink", lambda: nn.Softshrink(0.3), lambda: torch.nn.Softshrink(0.3), (4, 5), 1.0),
    ("GLU", nn.GLU, torch.nn.GLU, (4, 6), 2.0),
    ("GLU0", lambda: nn.GLU(0), lambda: torch.nn.GLU(0), (4, 3), 2.0),
    ("PReLU", nn.PReLU, torch.nn.PReLU, (4, 5), 2.0),
    ("PReLU3", lambda: nn.PReLU(3, 0.1), lambda: torch.nn.PReLU(3, 0.1), (4, 3, 2), 2.0),
    ("GroupNorm", lambda: nn.GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4), (3, 4, 5), 2.0),
    ("GroupNorm2d", lambda: nn.GroupNorm(3, 6, eps=1e-3),
     lambda: torch.nn.GroupNorm(3, 6, eps=1e-3), (2, 6, 2, 3), 2.0),
    ("InstanceNorm1d", lambda: nn.InstanceNorm1d(3), lambda: torch.nn.InstanceNorm1d(3),
     (2, 3, 5), 2.0),
    ("InstanceNorm2dAffine", lambda: nn.InstanceNorm2d(3, affine=True),
     lambda: torch.nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 5), 2.0),
    ("InstanceNorm2dUnbatched", lambda: nn.InstanceNorm2d(3, affine=True),
     lambda: torch.nn.InstanceNorm2d(3, affine=True), (3, 4, 5), 2.0),
    ("Sequential", lambda: nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)),
     lambda: torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)),
     (4, 5), 1.0),
]


# layers glassgrad composes from other ops, so their last node has another name than torch's
COMPOSED = {"Mish", "SELU", "CELU", "LogSigmoid", "Softmin", "Linear3d", "Hardtanh", "ReLU6",
            "PReLU", "PReLU3", "GroupNorm", "GroupNorm2d", "Hardsigmoid", "Hardswish",
            "Softsign", "Tanhshrink", "Threshold", "Hardshrink", "Softshrink", "GLU", "GLU0",
            "InstanceNorm1d", "InstanceNorm2dAffine", "InstanceNorm2dUnbatched"}


def _randomise_affine(tmod, rng):
    """Make norm layers' weight/bias non-trivial so their gradients are really checked."""
    with torch.no_grad():
        for name, p in tmod.named_parameters():
            if name.endswith("weight") and p.ndim >= 1 and "Norm" in type(tmod).__name__:
                p.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, p.shape)))
            elif name.endswith("bias") and "Norm" in type(tmod).__name__:
                p.copy_(torch.from_numpy(rng.standard_normal(p.shape)))


def _run_pair(gmod, tmod, x, dtype, tol, train=True, seed=0):
    rng = np.random.default_rng(seed)
    gx = gg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gmod.train(train)
    tmod.train(train)
    gy, ty = gmod(gx), tmod(tx)
    assert gy.dtype == _gdt(dtype)
    assert tuple(gy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=tol, atol=tol)
    up = rng.standard_normal(ty.shape).astype(dtype)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad._data, tx.grad.numpy(), rtol=tol, atol=tol)
    gparams = dict(gmod.named_parameters())
    for name, tp in tmod.named_parameters():
        np.testing.assert_allclose(gparams[name].grad._data, tp.grad.numpy(), rtol=tol, atol=tol,
                                   err_msg=name)
    for name, tb in tmod.named_buffers():
        np.testing.assert_allclose(dict(gmod.named_buffers())[name]._data, tb.numpy(),
                                   rtol=tol, atol=tol, err_msg=name)
    return gy, ty


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("name,gf,tf,shape,scale", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_matches_torch(name, gf, tf, shape, scale, dtype, tol):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    tmod = tf().to(_tdt(dtype))
    _randomise_affine(tmod, rng)
    gmod = gf().to(_gdt(dtype))
    _copy_weights(gmod, tmod)
    x = (rng.standard_normal(shape) * scale).astype(dtype)
    if name in ("CELU", "Hardsigmoid", "Hardswish") and dtype == np.float64:
        # torch's own float64 gradients here carry a float32 constant: ~5e-9 off the exact
        # exp(x / alpha) (celu) and 1/6 (hardsigmoid, hardswish)
        tol = 1e-7
    gy, ty = _run_pair(gmod, tmod, x, dtype, tol)
    if ty.grad_fn is not None and gy.grad_fn is not None and name not in COMPOSED:
        assert gy.grad_fn.name() == ty.grad_fn.name()
    assert repr(gmod) == repr(tmod)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_batchnorm_running_stats_train_then_eval(dtype, tol):
    """Several training steps move running stats exactly as torch (unbiased var), then eval."""
    rng = np.random.default_rng(3)
    for momentum in (0.1, 0.5, None):
        tmod = torch.nn.BatchNorm1d(4, momentum=momentum).to(_tdt(dtype))
        gmod = nn.BatchNorm1d(4, momentum=momentum).to(_gdt(dtype))
        _randomise_affine(tmod, rng)
        _copy_weights(gmod, tmod)
        for step in range(4):
            x = (rng.standard_normal((7, 4)) * 2 + 1).astype(dtype)
            _run_pair(gmod, tmod, x, dtype, tol, train=True, seed=step)
        assert int(gmod.num_batches_tracked.item()) == 4
        assert gmod.num_batches_tracked.dtype == gg.int64
        x = rng.standard_normal((5, 4)).astype(dtype)
        _run_pair(gmod, tmod, x, dtype, tol, train=False)
        # eval with a batch of one works (running stats)
        _run_pair(gmod, tmod, x[:1], dtype, tol, train=False)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_instance_norm_running_stats(dtype, tol):
    rng = np.random.default_rng(4)
    tmod = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True).to(_tdt(dtype))
    gmod = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).to(_gdt(dtype))
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    _randomise_affine(tmod, rng)
    _copy_weights(gmod, tmod)
    for step in range(3):
        x = (rng.standard_normal((2, 3, 4, 4)) * 2 + 1).astype(dtype)
        _run_pair(gmod, tmod, x, dtype, tol, train=True, seed=step)
    _run_pair(gmod, tmod, rng.standard_normal((2, 3, 4, 4)).astype(dtype), dtype, tol,
              train=False)


def test_batchnorm_errors_and_state_dict():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        bn(gg.randn(1, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(gg.randn(2, 3, 4, 5))
    assert list(bn.state_dict()) == list(torch.nn.BatchNorm1d(3).state_dict())
    # an old checkpoint without num_batches_tracked still loads strictly
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    nn.BatchNorm1d(3).load_state_dict(sd)
    nb = nn.BatchNorm1d(3, track_running_stats=False)
    nb.eval()
    assert nb(gg.randn(4, 3)).shape == (4, 3)  # batch statistics even in eval


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch(dtype, tol, padding_idx):
    torch.manual_seed(0)
    tmod = torch.nn.Embedding(6, 3, padding_idx=padding_idx).to(_tdt(dtype))
    gmod = nn.Embedding(6, 3, padding_idx=padding_idx).to(_gdt(dtype))
    _copy_weights(gmod, tmod)
    idx = np.array([[0, 2, 5, 2], [5, 5, 1, 0]])
    gy, ty = gmod(gg.tensor(idx)), tmod(torch.tensor(idx))
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=tol, atol=tol)
    up = np.random.default_rng(0).standard_normal(ty.shape).astype(dtype)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gmod.weight.grad._data, tmod.weight.grad.numpy(), rtol=tol,
                               atol=tol)
    assert gy.grad_fn.name() == ty.grad_fn.name()
    assert repr(gmod) == repr(tmod)


def test_embedding_init_and_errors():
    e = nn.Embedding(1000, 20, padding_idx=3)
    w = e.weight._data
    assert np.all(w[3] == 0)
    assert abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02
    with pytest.raises(IndexError, match="index out of range"):
        e(gg.tensor([1000]))
    with pytest.raises(IndexError, match="index out of range"):  # no wrap-around, as torch
        e(gg.tensor([-1]))
    with pytest.raises(RuntimeError, match="Long"):
        e(gg.tensor([1.0]))
    with pytest.raises(AssertionError):
        nn.Embedding(3, 2, padding_idx=3)
    pre = nn.Embedding.from_pretrained(gg.ones(4, 2))
    assert not pre.weight.requires_grad and pre(gg.tensor([1])).shape == (1, 2)
    m = nn.Embedding(5, 4, max_norm=1.0)
    m(gg.tensor([0, 1]))
    assert np.all(np.linalg.norm(m.weight._data[:2], axis=1) <= 1.0 + 1e-5)


def test_dropout_train_eval_and_generator():
    x = gg.ones(200, 100, requires_grad=True)
    d = nn.Dropout(0.3)
    gg.manual_seed(7)
    y = d(x)
    kept = y._data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y._data[kept], 1 / 0.7, rtol=1e-6)
    up = np.random.default_rng(0).standard_normal((200, 100)).astype(np.float32)
    y.backward(gg.tensor(up))
    np.testing.assert_allclose(x.grad._data, up * y._data, rtol=1e-6)
    # same seed, same mask (glassgrad's global generator)
    gg.manual_seed(7)
    assert np.array_equal(d(x)._data, y._data)
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert np.all(F.dropout(x, 1.0)._data == 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert y.dtype == gg.float32
    z = gg.ones(10, dtype=gg.float64)
    assert F.dropout(z, 0.5).dtype == gg.float64


def test_softmax_stable_for_large_logits():
    x = np.array([[1000.0, 0.0, -1000.0], [5e4, 5e4, 5e4]], dtype=np.float32)
    for g_fn, t_fn in ((F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)):
        gx = gg.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        gy, ty = g_fn(gx, 1), t_fn(tx, 1)
        assert np.all(np.isfinite(gy._data))
        np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=1e-6, atol=1e-6)
        up = np.ones_like(x)
        gy.backward(gg.tensor(up))
        ty.backward(torch.tensor(up))
        np.testing.assert_allclose(gx.grad._data, tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_softmax_tensor_methods_and_implicit_dim():
    x = np.random.default_rng(0).standard_normal((3, 4))
    gx, tx = gg.tensor(x), torch.tensor(x)
    np.testing.assert_allclose(gx.softmax(0)._data, tx.softmax(0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.log_softmax(-1)._data, tx.log_softmax(-1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.softmax(gx, 1)._data, torch.softmax(tx, 1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.log_softmax(gx, 1)._data, torch.log_softmax(tx, 1).numpy(),
                               rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        y = F.softmax(gx)
    np.testing.assert_allclose(y._data, TF.softmax(tx, 1).numpy(), rtol=1e-12)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(gx, 2)
    assert F.softmax(gg.tensor([1, 2]).float(), 0, dtype=gg.float64).dtype == gg.float64


def test_pad_one_hot_normalize():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    for pad in [(1, 2), (1, 1, 2, 0), (0, 1, 1, 0, 2, 1), (-1, 2), (1, -2, -1, 1)]:
        gx = gg.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        gy, ty = F.pad(gx, pad, value=0.5), TF.pad(tx, pad, value=0.5)
        np.testing.assert_allclose(gy._data, ty.detach().numpy())
        up = rng.standard_normal(ty.shape)
        gy.backward(gg.tensor(up))
        ty.backward(torch.tensor(up))
        np.testing.assert_allclose(gx.grad._data, tx.grad.numpy())
        assert gy.grad_fn.name() == ty.grad_fn.name()
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode"):
        F.pad(gg.tensor(x), (1, 1), mode="mirror")
    t = np.array([0, 2, 1, 2])
    assert np.array_equal(F.one_hot(gg.tensor(t))._data, TF.one_hot(torch.tensor(t)).numpy())
    assert np.array_equal(F.one_hot(gg.tensor(t), 5)._data,
                          TF.one_hot(torch.tensor(t), 5).numpy())
    assert F.one_hot(gg.tensor(t)).dtype == gg.int64
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(gg.tensor(t), 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(gg.tensor([-1, 0]))
    gx = gg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = F.normalize(gx, dim=-1), TF.normalize(tx, dim=-1)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=1e-12)


PAD_CASES = [((1, 2, 5), (2, 1)), ((2, 5), (3, 4)), ((1, 2, 4, 5), (2, -1, 1, 3)),
             ((1, 1, 4), (-1, 2)), ((1, 1, 3, 4, 5), (1, 2, 2, 1, 0, 2)),
             ((1, 3, 4, 5), (-1, 2, 1, -2))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PAD_CASES)
def test_pad_modes_match_torch(shape, pad, mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = F.pad(gx, pad, mode=mode), TF.pad(tx, pad, mode=mode)
    np.testing.assert_allclose(gy._data, ty.detach().numpy())
    up = rng.standard_normal(ty.shape)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad._data, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    if mode != "circular":
        assert gy.grad_fn.name() == ty.grad_fn.name()


def test_pad_errors_and_modules_match_torch():
    x = gg.randn(1, 2, 5)
    with pytest.raises(RuntimeError, match="Padding size should be less"):
        F.pad(x, (5, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (6, 1), mode="circular")
    with pytest.raises(NotImplementedError, match="not supported for 1D input"):
        F.pad(gg.randn(5), (1, 1), mode="reflect")
    for name, args in [("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 2, 0, 1),)),
                       ("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", (1, 0.0)),
                       ("ReflectionPad1d", ((1, 2),)), ("ReflectionPad2d", (2,)),
                       ("ReplicationPad1d", ((1, 2),)), ("ReplicationPad2d", (1,)),
                       ("CircularPad1d", (1,)), ("CircularPad2d", ((1, 0, 2, 1),))]:
        gm, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(gm) == repr(tm)
        xa = np.random.default_rng(0).standard_normal((2, 3, 4, 5) if "2d" in name else (2, 3, 5))
        np.testing.assert_allclose(gm(gg.tensor(xa))._data, tm(torch.tensor(xa)).numpy())


def test_inplace_activations():
    for gm, tm in ((nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
                   (nn.LeakyReLU(0.1, inplace=True), torch.nn.LeakyReLU(0.1, inplace=True)),
                   (nn.ELU(inplace=True), torch.nn.ELU(inplace=True)),
                   (nn.SiLU(inplace=True), torch.nn.SiLU(inplace=True))):
        x = np.random.default_rng(0).standard_normal((3, 4))
        ga = gg.tensor(x, requires_grad=True)
        ta = torch.tensor(x, requires_grad=True)
        gh, th = ga * 2, ta * 2
        gy, ty = gm(gh), tm(th)
        assert gy is gh
        np.testing.assert_allclose(gh._data, th.detach().numpy(), rtol=1e-12)
        gy.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(ga.grad._data, ta.grad.numpy(), rtol=1e-12)
        # without a graph too
        z = gg.tensor(x)
        assert gm(z) is z
        np.testing.assert_allclose(z._data, tm(torch.tensor(x)).numpy(), rtol=1e-12)


def test_layer_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\]"):
        nn.LayerNorm(4)(gg.randn(2, 3))
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(gg.randn(2), approximate="fast")
    with pytest.raises(RuntimeError, match="multiply up"):
        nn.Unflatten(1, (2, 2))(gg.randn(3, 5))


def test_gelu_exact_values():
    """Exact GELU uses erf: compare far into the tails."""
    x = np.linspace(-8, 8, 33)
    gx = gg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    F.gelu(gx).sum().backward()
    TF.gelu(tx).sum().backward()
    np.testing.assert_allclose(gx.grad._data, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert math.isclose(F.gelu(gg.tensor(1.0, dtype=gg.float64)).item(),
                        0.5 * (1 + math.erf(1 / math.sqrt(2))), rel_tol=1e-15)


# -- finite differences: first and second derivatives of every fused nn op -----------------------

def _ho_cases():
    rng = np.random.default_rng(0)

    def T(*shape, lo=None, hi=None):
        a = rng.uniform(lo, hi, shape) if lo is not None else rng.standard_normal(shape)
        return gg.tensor(a, dtype=gg.float64, requires_grad=True)

    t = gg.tensor([0, 2, 1])
    pw = gg.tensor([1.0, 2.0, 3.0, 0.5], dtype=gg.float64)
    return {
        "linear": (F.linear, (T(3, 4), T(2, 4), T(2))),
        "linear_nobias": (F.linear, (T(2, 3, 4), T(2, 4))),
        "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), (T(3, 4),)),
        "elu": (lambda x: F.elu(x, 0.7), (T(3, 4),)),
        "gelu": (F.gelu, (T(3, 4),)),
        "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), (T(3, 4),)),
        "silu": (F.silu, (T(3, 4),)),
        "softplus": (lambda x: F.softplus(x, 2.0), (T(3, 4),)),
        "softmax": (lambda x: F.softmax(x, 1), (T(3, 4),)),
        "log_softmax": (lambda x: F.log_softmax(x, 0), (T(3, 4),)),
        "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), (T(3, 4), T(4), T(4))),
        "embedding": (lambda w: F.embedding(gg.tensor([[0, 2], [2, 1]]), w), (T(3, 2),)),
        "pad": (lambda x: F.pad(x, (1, -1, 2, 0)), (T(3, 4),)),
        "pad_reflect": (lambda x: F.pad(x, (2, 1), mode="reflect"), (T(2, 3, 4),)),
        "pad_circular": (lambda x: F.pad(x, (1, 2, 1, 0), mode="circular"), (T(1, 3, 4),)),
        "erf": (gg.erf, (T(3, 4),)),
        "lstm_cell": (lambda gates, c: nnops.LstmCell.apply(gates, c), (T(2, 12), T(2, 3))),
        "mse": (F.mse_loss, (T(3, 4), T(3, 4))),
        "smooth_l1": (lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), (T(3, 4), T(3, 4))),
        "huber": (lambda x, y: F.huber_loss(x, y, reduction="none"), (T(3, 4), T(3, 4))),
        "bce": (F.binary_cross_entropy, (T(3, 4, lo=0.1, hi=0.9), T(3, 4, lo=0, hi=1))),
        "bce_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
                       (T(3, 4), T(3, 4, lo=0, hi=1))),
        "nll": (lambda x: F.nll_loss(x, t), (T(3, 4),)),
        "cross_entropy": (lambda x: F.cross_entropy(x, t, label_smoothing=0.1), (T(3, 4),)),
        "cross_entropy_probs": (F.cross_entropy, (T(3, 4), T(3, 4, lo=0, hi=1))),
        "kl_div": (lambda x, p: F.kl_div(x, p, reduction="batchmean"),
                   (T(3, 4), T(3, 4, lo=0.1, hi=1))),
    }


HO = _ho_cases()


@pytest.mark.parametrize("name", list(HO))
def test_gradcheck_and_gradgradcheck(name):
    fn, args = HO[name]
    assert gg.autograd.gradcheck(fn, args)
    assert gg.autograd.gradgradcheck(fn, args)


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("kind", ["bilinear", "bilinear_nobias", "cosine", "pairwise", "pairwise1"])
def test_two_input_layers(kind, dtype, tol):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    if kind.startswith("bilinear"):
        bias = kind == "bilinear"
        tmod = torch.nn.Bilinear(3, 4, 2, bias=bias).to(_tdt(dtype))
        gmod = nn.Bilinear(3, 4, 2, bias=bias).to(_gdt(dtype))
        shapes = ((5, 3), (5, 4))
    elif kind == "cosine":
        tmod, gmod = torch.nn.CosineSimilarity(dim=1), nn.CosineSimilarity(dim=1)
        shapes = ((5, 3), (5, 3))
    else:
        p = 1.0 if kind == "pairwise1" else 2.0
        tmod, gmod = torch.nn.PairwiseDistance(p), nn.PairwiseDistance(p)
        shapes = ((5, 3), (5, 3))
    _copy_weights(gmod, tmod)
    xs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    gx = [gg.tensor(x, requires_grad=True) for x in xs]
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    gy, ty = gmod(*gx), tmod(*tx)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=tol, atol=tol)
    up = rng.standard_normal(ty.shape).astype(dtype)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    for a, b in zip(gx, tx):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=tol, atol=tol)
    gparams = dict(gmod.named_parameters())
    for name, tp in tmod.named_parameters():
        np.testing.assert_allclose(gparams[name].grad._data, tp.grad.numpy(), rtol=tol, atol=tol)
    assert repr(gmod) == repr(tmod)


@pytest.mark.parametrize("mode", ["mean", "sum", "max"])
@pytest.mark.parametrize("padding_idx", [None, 0])
@pytest.mark.parametrize("layout", ["offsets", "2d", "last_offset"])
def test_embedding_bag_matches_torch(mode, padding_idx, layout):
    torch.manual_seed(0)
    kw = {"mode": mode, "padding_idx": padding_idx,
          "include_last_offset": layout == "last_offset"}
    tmod = torch.nn.EmbeddingBag(10, 3, **kw).double()
    gmod = nn.EmbeddingBag(10, 3, **kw).double()
    assert repr(gmod) == repr(tmod)
    _copy_weights(gmod, tmod)
    idx = np.array([1, 2, 0, 0, 5, 7, 7, 3])
    if layout == "2d":
        g_args, t_args = (gg.tensor(idx.reshape(2, 4)),), (torch.tensor(idx.reshape(2, 4)),)
    else:
        off = np.array([0, 2, 4, 4] + ([8] if layout == "last_offset" else []))
        g_args = (gg.tensor(idx), gg.tensor(off))
        t_args = (torch.tensor(idx), torch.tensor(off))
    gy, ty = gmod(*g_args), tmod(*t_args)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    up = np.random.default_rng(0).standard_normal(ty.shape)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gmod.weight.grad._data, tmod.weight.grad.numpy(), rtol=1e-12,
                               atol=1e-14)


def test_embedding_bag_per_sample_weights():
    torch.manual_seed(0)
    tmod = torch.nn.EmbeddingBag(10, 3, mode="sum").double()
    gmod = nn.EmbeddingBag(10, 3, mode="sum").double()
    _copy_weights(gmod, tmod)
    idx, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 3])
    w = np.random.default_rng(1).standard_normal(6)
    gw, tw = gg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    gy = gmod(gg.tensor(idx), gg.tensor(off), per_sample_weights=gw)
    ty = tmod(torch.tensor(idx), torch.tensor(off), per_sample_weights=tw)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=1e-12)
    gy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(gw.grad._data, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gmod.weight.grad._data, tmod.weight.grad.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        nn.EmbeddingBag(10, 3)(gg.tensor(idx), gg.tensor(off), per_sample_weights=gw)


@pytest.mark.parametrize("name,args,shape", [
    ("PixelShuffle", (2,), (2, 8, 3, 4)), ("PixelShuffle", (3,), (9, 2, 2)),
    ("PixelUnshuffle", (2,), (2, 3, 4, 6)), ("ChannelShuffle", (3,), (2, 6, 2, 2)),
])
def test_shuffles_match_torch(name, args, shape):
    gm, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(gm) == repr(tm)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = gm(gx), tm(tx)
    np.testing.assert_array_equal(gy._data, ty.detach().numpy())
    up = rng.standard_normal(ty.shape)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_array_equal(gx.grad._data, tx.grad.numpy())


@pytest.mark.parametrize("name, args", [("hardtanh", ()), ("hardtanh", (-0.5, 0.5)),
                                        ("relu6", ())])
def test_hardtanh_gradient_is_zero_at_the_bounds_like_torch(name, args):
    # clamp passes the gradient at its bounds; hardtanh (and relu6) do not
    values = [-1.0, 1.0, -0.5, 0.5, 0.0, 6.0, 3.0, -2.0]
    grads = []
    for lib in (gg, torch):
        x = lib.tensor(values, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, *args)
        assert y.grad_fn.name() == "HardtanhBackward0"
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6"])
def test_inplace_activation_keeps_earlier_consumers_on_the_old_history(name):
    # x.sum() was recorded before the in-place change: its gradient must reach the leaf
    # directly, not through the activation (a silent wrong gradient before)
    grads = []
    for lib in (gg, torch):
        leaf = lib.tensor([-1.0, 2.0, -3.0, 0.5], requires_grad=True)
        x = leaf * 1
        s = x.sum()
        getattr(lib.nn.functional, name)(x, inplace=True)
        (s + (x * 3).sum()).backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
