"""Every loss (functional and module): values and gradients (input and target) vs PyTorch,
float64 and float32, every reduction; stability for large logits; PyTorch's errors."""

import warnings

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [(np.float64, 1e-10), (np.float32, 2e-5)]
REDUCTIONS = ["mean", "sum", "none"]


def _tdt(dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def _pair(x, dtype=None, requires_grad=False):
    x = np.asarray(x)
    if dtype is not None:
        x = x.astype(dtype)
    return gg.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


def _check(g_out, t_out, g_inputs, t_inputs, tol, seed=0, name=True):
    """Values equal; then gradients of a random upstream equal for every input needing one."""
    assert tuple(g_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(g_out._data, t_out.detach().numpy(), rtol=tol, atol=tol)
    assert g_out.dtype.name == str(t_out.dtype).replace("torch.", "")
    up = np.random.default_rng(seed).standard_normal(t_out.shape).astype(g_out._data.dtype)
    g_out.backward(gg.tensor(up))
    t_out.backward(torch.tensor(up))
    for gi, ti in zip(g_inputs, t_inputs):
        if ti.requires_grad:
            np.testing.assert_allclose(gi.grad._data, ti.grad.numpy(), rtol=tol, atol=tol)
    # fused losses end in torch's node (composites end in core ops named by the core)
    if t_out.grad_fn is not None and name and ("Loss" in t_out.grad_fn.name()
                                               or "Entropy" in t_out.grad_fn.name()):
        assert g_out.grad_fn.name() == t_out.grad_fn.name()


def _data(shape, kind, rng):
    if kind == "prob":
        return rng.uniform(0.02, 0.98, shape)
    if kind == "logp":
        x = rng.standard_normal(shape)
        return x - np.log(np.exp(x).sum(-1, keepdims=True))
    return rng.standard_normal(shape) * 2


# name, glassgrad fn, torch fn, input kind, target kind, kwargs, target needs grad
ELEMENTWISE = [
    ("mse", F.mse_loss, TF.mse_loss, "real", "real", {}, True),
    ("l1", F.l1_loss, TF.l1_loss, "real", "real", {}, True),
    ("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss, "real", "real", {}, True),
    ("smooth_l1_beta", F.smooth_l1_loss, TF.smooth_l1_loss, "real", "real", {"beta": 0.5}, True),
    ("smooth_l1_beta0", F.smooth_l1_loss, TF.smooth_l1_loss, "real", "real", {"beta": 0.0},
     True),
    ("huber", F.huber_loss, TF.huber_loss, "real", "real", {}, True),
    ("huber_delta", F.huber_loss, TF.huber_loss, "real", "real", {"delta": 2.5}, True),
    ("bce", F.binary_cross_entropy, TF.binary_cross_entropy, "prob", "prob", {}, True),
    ("bce_logits", F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
     "real", "prob", {}, True),
    ("kl", F.kl_div, TF.kl_div, "logp", "prob", {}, True),
    ("kl_logt", F.kl_div, TF.kl_div, "logp", "logp", {"log_target": True}, True),
]


CASES = [row + (r,) for row in ELEMENTWISE
         for r in REDUCTIONS + (["batchmean"] if row[0].startswith("kl") else [])]


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("name,gf,tf,xk,yk,kw,ygrad,reduction", CASES,
                         ids=[f"{row[0]}-{row[-1]}" for row in CASES])
def test_elementwise_losses(name, gf, tf, xk, yk, kw, ygrad, reduction, dtype, tol):
    rng = np.random.default_rng(0)
    shape = (4, 5)
    gx, tx = _pair(_data(shape, xk, rng), dtype, True)
    gy, ty = _pair(_data(shape, yk, rng), dtype, ygrad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g_out = gf(gx, gy, reduction=reduction, **kw)
        t_out = tf(tx, ty, reduction=reduction, **kw)
    _check(g_out, t_out, (gx, gy), (tx, ty), tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_weights(dtype, tol, reduction):
    rng = np.random.default_rng(1)
    gx, tx = _pair(rng.uniform(0.05, 0.95, (6, 3)), dtype, True)
    gy, ty = _pair(rng.uniform(0, 1, (6, 3)), dtype)
    gw, tw = _pair(rng.uniform(0.5, 2, (3,)), dtype)
    _check(F.binary_cross_entropy(gx, gy, gw, reduction=reduction),
           TF.binary_cross_entropy(tx, ty, tw, reduction=reduction), (gx,), (tx,), tol)
    gl, tl = _pair(rng.standard_normal((6, 3)) * 3, dtype, True)
    gpw, tpw = _pair(rng.uniform(0.5, 3, (3,)), dtype)
    gy2, ty2 = _pair(rng.uniform(0, 1, (6, 3)), dtype, True)
    _check(F.binary_cross_entropy_with_logits(gl, gy2, gw, reduction=reduction, pos_weight=gpw),
           TF.binary_cross_entropy_with_logits(tl, ty2, tw, reduction=reduction,
                                               pos_weight=tpw), (gl, gy2), (tl, ty2), tol)


def test_bce_logs_clamped_like_torch():
    gx, tx = _pair([0.0, 1.0, 0.5, 1e-50], np.float64, True)
    gy, ty = _pair([1.0, 0.0, 1.0, 1.0], np.float64)
    _check(F.binary_cross_entropy(gx, gy), TF.binary_cross_entropy(tx, ty), (gx,), (tx,), 1e-10)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(gg.tensor([1.5]), gg.tensor([1.0]))


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (4,)])
def test_cross_entropy_class_indices(dtype, tol, reduction, weighted, smoothing, shape):
    rng = np.random.default_rng(2)
    c = shape[1] if len(shape) > 1 else shape[0]
    gx, tx = _pair(rng.standard_normal(shape) * 3, dtype, True)
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    t = rng.integers(0, c, tshape)
    if len(shape) > 1:
        t.flat[1] = -100  # ignored
    gt, tt = _pair(t)
    gw = tw = None
    if weighted:
        gw, tw = _pair(rng.uniform(0.5, 2.0, c), dtype)
    g_out = F.cross_entropy(gx, gt, gw, reduction=reduction, label_smoothing=smoothing)
    t_out = TF.cross_entropy(tx, tt, tw, reduction=reduction, label_smoothing=smoothing)
    # torch ends 3-D 'none' with a ViewBackward0 after its 2-D kernel
    _check(g_out, t_out, (gx,), (tx,), tol, name=not (len(shape) == 3 and reduction == "none"))


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_class_probabilities(dtype, tol, reduction, weighted, smoothing):
    rng = np.random.default_rng(3)
    gx, tx = _pair(rng.standard_normal((5, 4)) * 3, dtype, True)
    p = rng.uniform(0, 1, (5, 4))
    gp, tp = _pair(p / p.sum(1, keepdims=True), dtype, True)
    gw = tw = None
    if weighted:
        gw, tw = _pair(rng.uniform(0.5, 2.0, 4), dtype)
    _check(F.cross_entropy(gx, gp, gw, reduction=reduction, label_smoothing=smoothing),
           TF.cross_entropy(tx, tp, tw, reduction=reduction, label_smoothing=smoothing),
           (gx, gp), (tx, tp), tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(dtype, tol, reduction, weighted):
    rng = np.random.default_rng(4)
    gx, tx = _pair(_data((6, 5), "logp", rng), dtype, True)
    t = rng.integers(0, 5, 6)
    t[2] = 1
    gt, tt = _pair(t)
    gw = tw = None
    if weighted:
        gw, tw = _pair(rng.uniform(0.5, 2.0, 5), dtype)
    _check(F.nll_loss(gx, gt, gw, ignore_index=1, reduction=reduction),
           TF.nll_loss(tx, tt, tw, ignore_index=1, reduction=reduction), (gx,), (tx,), tol)


def test_cross_entropy_stable_for_large_logits():
    x = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]], dtype=np.float32)
    gx, tx = _pair(x, None, True)
    gt, tt = _pair([1, 0])
    g_out, t_out = F.cross_entropy(gx, gt), TF.cross_entropy(tx, tt)
    assert np.isfinite(g_out.item())
    _check(g_out, t_out, (gx,), (tx,), 1e-4)
    gl, tl = _pair([[1e4, -1e4]], np.float32, True)
    gy, ty = _pair([[0.0, 1.0]], np.float32)
    _check(F.binary_cross_entropy_with_logits(gl, gy), TF.binary_cross_entropy_with_logits(tl, ty),
           (gl,), (tl,), 1e-4)


def test_all_ignored_gives_nan_like_torch():
    gx, tx = _pair(np.zeros((2, 3)), np.float64, True)
    gt, tt = _pair([-100, -100])
    assert np.isnan(F.cross_entropy(gx, gt).item()) and np.isnan(TF.cross_entropy(tx, tt).item())


MODULES = [
    (nn.MSELoss, torch.nn.MSELoss, "real", "real", {}),
    (nn.L1Loss, torch.nn.L1Loss, "real", "real", {"reduction": "sum"}),
    (nn.SmoothL1Loss, torch.nn.SmoothL1Loss, "real", "real", {"beta": 0.7}),
    (nn.HuberLoss, torch.nn.HuberLoss, "real", "real", {"delta": 0.5}),
    (nn.BCELoss, torch.nn.BCELoss, "prob", "prob", {}),
    (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, "real", "prob", {}),
    (nn.KLDivLoss, torch.nn.KLDivLoss, "logp", "prob", {"reduction": "batchmean"}),
    (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, "real", "class",
     {"label_smoothing": 0.1}),
    (nn.NLLLoss, torch.nn.NLLLoss, "logp", "class", {"reduction": "none"}),
]


@pytest.mark.parametrize("gm,tm,xk,yk,kw", MODULES, ids=[row[0].__name__ for row in MODULES])
def test_loss_modules(gm, tm, xk, yk, kw):
    rng = np.random.default_rng(5)
    gx, tx = _pair(_data((4, 3), xk, rng), np.float64, True)
    if yk == "class":
        gy, ty = _pair(rng.integers(0, 3, 4))
    else:
        gy, ty = _pair(_data((4, 3), yk, rng), np.float64)
    gmod, tmod = gm(**kw), tm(**kw)
    assert repr(gmod) == repr(tmod)
    _check(gmod(gx, gy), tmod(tx, ty), (gx,), (tx,), 1e-10)
    assert [n for n, _ in gmod.named_buffers()] == [n for n, _ in tmod.named_buffers()]


def test_weighted_loss_modules_and_legacy_args():
    w = np.array([1.0, 2.0, 0.5])
    g = nn.CrossEntropyLoss(weight=gg.tensor(w))
    t = torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    gx, tx = _pair(np.random.default_rng(0).standard_normal((4, 3)), None, True)
    gy, ty = _pair([0, 1, 2, 1])
    _check(g(gx, gy), t(tx, ty), (gx,), (tx,), 1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nn.MSELoss(size_average=False).reduction == \
            torch.nn.MSELoss(size_average=False).reduction
        assert nn.MSELoss(reduce=False).reduction == torch.nn.MSELoss(reduce=False).reduction


def _same_error(g_call, t_call):
    with pytest.raises(Exception) as eg:
        g_call()
    with pytest.raises(Exception) as et:
        t_call()
    assert type(eg.value) is type(et.value)
    return str(eg.value), str(et.value)


def test_errors_match_torch():
    x = np.random.default_rng(0).standard_normal((3, 4))
    gx, tx = _pair(x)
    eg, et = _same_error(lambda: F.nll_loss(gx, gg.tensor([0, 1, 5])),
                         lambda: TF.nll_loss(tx, torch.tensor([0, 1, 5])))
    assert eg == et
    eg, et = _same_error(lambda: F.nll_loss(gx, gg.tensor([0, 1])),
                         lambda: TF.nll_loss(tx, torch.tensor([0, 1])))
    assert eg == et
    eg, et = _same_error(lambda: F.cross_entropy(gx, gg.tensor([0.0, 1.0, 2.0])),
                         lambda: TF.cross_entropy(tx, torch.tensor([0.0, 1.0, 2.0])))
    assert eg.startswith(et)
    eg, et = _same_error(lambda: F.mse_loss(gx, gx, reduction="avg"),
                         lambda: TF.mse_loss(tx, tx, reduction="avg"))
    assert eg == et
    eg, et = _same_error(lambda: F.binary_cross_entropy_with_logits(gx, gg.zeros(3)),
                         lambda: TF.binary_cross_entropy_with_logits(tx, torch.zeros(3)))
    assert eg.replace("glassgrad", "torch") == et
    eg, et = _same_error(lambda: F.binary_cross_entropy(gx.sigmoid(), gg.zeros(3)),
                         lambda: TF.binary_cross_entropy(tx.sigmoid(), torch.zeros(3)))
    assert eg.replace("glassgrad", "torch") == et
    # common beginner mistakes: torch's message first, then glassgrad's hint
    for g_call, t_call in (
        (lambda: F.cross_entropy(gx, gg.zeros(3, 1, dtype=gg.int64)),
         lambda: TF.cross_entropy(tx, torch.zeros(3, 1, dtype=torch.long))),
        (lambda: F.binary_cross_entropy(gx.sigmoid(), gg.ones(3, 4, dtype=gg.int64)),
         lambda: TF.binary_cross_entropy(tx.sigmoid(), torch.ones(3, 4, dtype=torch.long))),
        (lambda: F.binary_cross_entropy_with_logits(gx, gg.ones(3, 4, dtype=gg.int64)),
         lambda: TF.binary_cross_entropy_with_logits(tx, torch.ones(3, 4, dtype=torch.long))),
    ):
        eg, et = _same_error(g_call, t_call)
        assert eg.startswith(et), (eg, et)
    with pytest.warns(UserWarning, match="different to the input size") as rec:
        F.mse_loss(gg.zeros(3, 1), gg.zeros(3))
    with pytest.warns(UserWarning) as trec:
        TF.mse_loss(torch.zeros(3, 1), torch.zeros(3))
    assert str(rec[0].message).replace("glassgrad", "torch") == str(trec[0].message)


def test_float32_stays_float32_and_promotion():
    gx = gg.randn(4, 3, requires_grad=True)
    assert F.mse_loss(gx, gg.zeros(4, 3)).dtype == gg.float32
    assert F.cross_entropy(gx, gg.tensor([0, 1, 2, 0])).dtype == gg.float32
    # float32 input, float64 target: PyTorch promotes to float64
    out = F.mse_loss(gx, gg.zeros(4, 3, dtype=gg.float64))
    tout = TF.mse_loss(torch.zeros(4, 3), torch.zeros(4, 3, dtype=torch.float64))
    assert out.dtype.name == str(tout.dtype).replace("torch.", "")


# -- further losses: composites checked against torch, values and gradients ----------------------

def _pm1(rng, shape):
    return np.where(rng.random(shape) > 0.5, 1.0, -1.0)


EXTRA = {
    "margin_ranking": (lambda m, a, b, y: m.margin_ranking_loss(a, b, y, margin=0.3, **m.kw),
                       lambda r: (r.standard_normal(6), r.standard_normal(6), _pm1(r, 6)), 2),
    "hinge_embedding": (lambda m, x, y: m.hinge_embedding_loss(x, y, margin=0.7, **m.kw),
                        lambda r: (r.standard_normal((3, 4)), _pm1(r, (3, 4))), 1),
    "soft_margin": (lambda m, x, y: m.soft_margin_loss(x, y, **m.kw),
                    lambda r: (r.standard_normal((3, 4)) * 30, _pm1(r, (3, 4))), 1),
    "cosine_embedding": (lambda m, a, b, y: m.cosine_embedding_loss(a, b, y, margin=0.1, **m.kw),
                         lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)),
                                    _pm1(r, 5)), 2),
    "triplet": (lambda m, a, p, n: m.triplet_margin_loss(a, p, n, margin=2.0, **m.kw),
                lambda r: tuple(r.standard_normal((5, 3)) for _ in range(3)), 3),
    "triplet_swap_p1": (lambda m, a, p, n: m.triplet_margin_loss(a, p, n, p=1, swap=True,
                                                                 **m.kw),
                        lambda r: tuple(r.standard_normal((5, 3)) for _ in range(3)), 3),
    "poisson_log": (lambda m, x, t: m.poisson_nll_loss(x, t, **m.kw),
                    lambda r: (r.standard_normal((3, 4)), r.poisson(2.0, (3, 4)) * 1.0), 1),
    "poisson_full": (lambda m, x, t: m.poisson_nll_loss(x, t, log_input=False, full=True,
                                                        **m.kw),
                     lambda r: (r.uniform(0.5, 3, (3, 4)), r.poisson(2.0, (3, 4)) * 1.0), 1),
    "gaussian": (lambda m, x, t, v: m.gaussian_nll_loss(x, t, v, **m.kw),
                 lambda r: (r.standard_normal((4, 3)), r.standard_normal((4, 3)),
                            r.uniform(0.1, 2, (4, 3))), 3),
    "gaussian_hetero_full": (lambda m, x, t, v: m.gaussian_nll_loss(x, t, v, full=True, **m.kw),
                             lambda r: (r.standard_normal((4, 3)), r.standard_normal((4, 3)),
                                        r.uniform(0.1, 2, 4)), 3),
    "multilabel_soft_margin": (lambda m, x, t: m.multilabel_soft_margin_loss(x, t, **m.kw),
                               lambda r: (r.standard_normal((3, 4)),
                                          (r.random((3, 4)) > 0.5) * 1.0), 1),
}


class _NS:
    def __init__(self, mod, reduction):
        self.mod = mod
        self.kw = {"reduction": reduction}

    def __getattr__(self, name):
        return getattr(self.mod, name)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(EXTRA))
def test_further_losses_match_torch(name, reduction):
    fn, make, n_grad = EXTRA[name]
    arrays = make(np.random.default_rng(0))
    g_args = [gg.tensor(a, requires_grad=i < n_grad) for i, a in enumerate(arrays)]
    t_args = [torch.tensor(a, requires_grad=i < n_grad) for i, a in enumerate(arrays)]
    g_out = fn(_NS(F, reduction), *g_args)
    t_out = fn(_NS(TF, reduction), *t_args)
    _check(g_out, t_out, g_args, t_args, 1e-10, name=False)  # composites: other node names


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(p, weighted, reduction):
    rng = np.random.default_rng(0)
    gx, tx = _pair(rng.standard_normal((5, 4)), None, True)
    gt, tt = _pair(rng.integers(0, 4, 5))
    gw, tw = _pair(rng.uniform(0.5, 2, 4)) if weighted else (None, None)
    _check(F.multi_margin_loss(gx, gt, p=p, margin=0.8, weight=gw, reduction=reduction),
           TF.multi_margin_loss(tx, tt, p=p, margin=0.8, weight=tw, reduction=reduction),
           (gx,), (tx,), 1e-10, name=False)


def test_further_loss_modules_repr():
    for name in ("MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
                 "CosineEmbeddingLoss", "TripletMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
                 "MultiLabelSoftMarginLoss", "MultiMarginLoss"):
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
