"""Higher-order gradients (``create_graph=True``) against PyTorch: 1st, 2nd and 3rd derivatives.

Each case is ``f(lib, *inputs)`` written once against the torch API and run on both libraries.
For inputs ``x`` and random weights ``v, w, u`` we compare, for every input,

    g1 = d<f(x), v>/dx,  g2 = d<g1, w>/dx,  g3 = d<g2, u>/dx

(vector-Hessian and third-order products, the same quantities a Hessian-vector product or a
gradient penalty needs), in float64 and float32, plus ``gradgradcheck`` in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")


def _softmax(L, x):
    return (
        L.softmax(x, dim=-1) if hasattr(L, "softmax") else (x.exp() / x.exp().sum(-1, keepdim=True))
    )


def _log_softmax(L, x):
    if hasattr(L, "log_softmax"):
        return L.log_softmax(x, dim=-1)
    return x - x.exp().sum(-1, keepdim=True).log()


def _cross_entropy(L, x):
    target = L.tensor([1, 0, 3])
    return L.nn.functional.cross_entropy(x, target)


def _mse(L, a, b):
    return ((a - b) ** 2).mean()


# name, f(lib, *inputs), input shapes, domain ("any" | "pos" | "away0")
CASES = [
    ("add", lambda L, a, b: a + b, [(3, 4), (4,)], "any"),
    ("sub", lambda L, a, b: a - b, [(3, 4), (3, 1)], "any"),
    ("mul", lambda L, a, b: a * b, [(3, 4), (3, 4)], "any"),
    ("mul_self", lambda L, a: a * a * a, [(5,)], "any"),
    ("div", lambda L, a, b: a / b, [(3, 4), (3, 4)], "away0"),
    ("rdiv", lambda L, a: 2.0 / a, [(6,)], "away0"),
    ("rsub", lambda L, a: 2.0 - a * a, [(6,)], "any"),
    ("neg", lambda L, a: -(a * a), [(6,)], "any"),
    ("pow_scalar", lambda L, a: a**3, [(6,)], "any"),
    ("pow_half", lambda L, a: a**2.5, [(6,)], "pos"),
    ("pow_tensor", lambda L, a, b: a**b, [(2, 3), (2, 3)], "pos"),
    ("rpow", lambda L, a: 2.0**a, [(6,)], "any"),
    ("exp", lambda L, a: a.exp(), [(6,)], "any"),
    ("log", lambda L, a: a.log(), [(6,)], "pos"),
    ("sqrt", lambda L, a: a.sqrt(), [(6,)], "pos"),
    ("sin", lambda L, a: a.sin(), [(6,)], "any"),
    ("cos", lambda L, a: a.cos(), [(6,)], "any"),
    ("tanh", lambda L, a: a.tanh(), [(6,)], "any"),
    ("sigmoid", lambda L, a: a.sigmoid(), [(6,)], "any"),
    ("relu_sq", lambda L, a: a.relu() * a, [(6,)], "away0"),
    ("abs_sq", lambda L, a: a.abs() * a, [(6,)], "away0"),
    ("clamp", lambda L, a: a.clamp(-0.5, 0.5) * a, [(8,)], "away0"),
    ("maximum", lambda L, a, b: L.maximum(a, b) * a, [(6,), (6,)], "any"),
    ("minimum", lambda L, a, b: L.minimum(a, b) * b, [(6,), (6,)], "any"),
    ("where", lambda L, a, b: L.where(a > 0, a * b, b * b), [(6,), (6,)], "away0"),
    ("sum", lambda L, a: (a * a).sum(), [(3, 4)], "any"),
    ("sum_dim", lambda L, a: (a * a).sum(1) ** 2, [(3, 4)], "any"),
    ("sum_keepdim", lambda L, a: a * (a * a).sum(0, keepdim=True), [(3, 4)], "any"),
    ("mean_dim", lambda L, a: (a.exp().mean(-1)) ** 2, [(2, 3, 4)], "any"),
    ("mean", lambda L, a: a.mean() * a, [(3, 4)], "any"),
    ("reshape", lambda L, a: a.reshape(4, 3).sin() * a.reshape(4, 3), [(3, 4)], "any"),
    ("permute", lambda L, a: a.permute(2, 0, 1).exp() * a.permute(2, 0, 1), [(2, 3, 4)], "any"),
    ("transpose", lambda L, a: a.transpose(0, 1) @ a, [(3, 4)], "any"),
    ("expand", lambda L, a: a.expand(3, 4).sin() * a, [(1, 4)], "any"),
    ("matmul", lambda L, a, b: (a @ b).tanh(), [(3, 4), (4, 2)], "any"),
    ("matmul_vec", lambda L, a, b: (a @ b).sin(), [(3, 4), (4,)], "any"),
    ("vec_matmul", lambda L, a, b: (a @ b).sin(), [(4,), (4, 2)], "any"),
    ("dot", lambda L, a, b: (a @ b) * (a @ a), [(4,), (4,)], "any"),
    ("matmul_batched", lambda L, a, b: (a @ b) ** 2, [(2, 3, 4), (4, 2)], "any"),
    ("softmax", lambda L, a: _softmax(L, a), [(3, 5)], "any"),
    ("log_softmax", lambda L, a: _log_softmax(L, a), [(3, 5)], "any"),
    ("mse", lambda L, a, b: _mse(L, a, b), [(4, 3), (4, 3)], "any"),
    # 0-d intermediates: ops that save their own (scalar) output must stay connected
    ("scalar_chain", lambda L, a: (a * a).sum().sqrt().exp().tanh().sigmoid() * a, [(3,)], "any"),
    ("scalar_pow", lambda L, a: (a * a).sum() ** 1.5 + 2.0 ** a.sum(), [(3,)], "any"),
    ("mlp", lambda L, x, w1, w2: ((x @ w1).tanh() @ w2).sigmoid(), [(5, 3), (3, 4), (4, 2)], "any"),
]

# cases that need ops from other engineers' work: run once they exist
OPTIONAL = [
    ("cross_entropy", _cross_entropy, [(3, 5)], "any"),
]


def _inputs(shapes, domain, dtype, seed):
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        x = rng.uniform(-1.5, 1.5, shape)
        if domain == "pos":
            x = np.abs(x) + 0.5
        elif domain == "away0":
            x = np.where(np.abs(x) < 0.3, 0.3 * np.sign(x) + 0.3 * (x == 0), x)
        out.append(x.astype(dtype))
    return out


def _derivatives(lib, fn, arrays, seed, order=3, grad_pos=None, kwargs=None):
    """[y, g1 per input, g2 per input, g3 per input] as NumPy arrays (None: no gradient)."""
    grad_pos = range(len(arrays)) if grad_pos is None else grad_pos
    xs = [lib.tensor(a, requires_grad=i in grad_pos) for i, a in enumerate(arrays)]
    diff = [x for i, x in enumerate(xs) if i in grad_pos]
    rng = np.random.default_rng(seed + 1)
    res = fn(lib, *xs, **(kwargs or {}))
    outs = [
        o
        for o in (res if isinstance(res, (tuple, list)) else [res])
        if o.dtype in (lib.float32, lib.float64)
    ]
    res = [[o.detach().numpy(force=True).copy() for o in outs]]
    for k in range(order):
        # the next order differentiates a random weighting of this order's results
        s = 0
        for o in outs:
            if o is not None and o.requires_grad:
                w = rng.standard_normal(tuple(o.shape)).astype(arrays[0].dtype)
                s = s + (o * lib.tensor(w)).sum()
        if not isinstance(s, lib.Tensor) or not s.requires_grad:
            break  # everything left is constant: higher derivatives are all zero
        outs = lib.autograd.grad(s, diff, create_graph=k < order - 1, allow_unused=True)
        res.append([None if g is None else g.detach().numpy(force=True).copy() for g in outs])
    return res


def _compare(got, want, rtol, atol, where):
    if isinstance(want, list):
        assert len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want)):
            if a is None or b is None:
                # glassgrad may return an explicit zero where torch returns None (or vice versa)
                other = b if a is None else a
                if other is not None:
                    np.testing.assert_allclose(other, 0, atol=atol, err_msg=f"{where} input {i}")
                continue
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{where} input {i}")
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)


def _run_case(name, fn, shapes, domain, dtype):
    arrays = _inputs(shapes, domain, dtype, seed=sum(map(ord, name)))
    _check_orders(name, fn, arrays, dtype)


def _check_orders(name, fn, arrays, dtype, grad_pos=None, kwargs=None, tol=None):
    want = _derivatives(torch, fn, arrays, 7, grad_pos=grad_pos, kwargs=kwargs)
    got = _derivatives(gg, fn, arrays, 7, grad_pos=grad_pos, kwargs=kwargs)
    if tol is None:
        tol = (1e-9, 1e-9) if dtype == np.float64 else (2e-4, 2e-4)
    n = len(got[1]) if len(got) > 1 else len(arrays)
    for k in range(max(len(got), len(want))):
        # a library that stopped early (everything constant) owes zeros from there on
        a = got[k] if k < len(got) else [None] * n
        b = want[k] if k < len(want) else [None] * n
        _compare(a, b, *tol, where=f"{name} order {k} {np.dtype(dtype).name}")


@pytest.mark.parametrize("name,fn,shapes,domain", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_higher_order_matches_torch(name, fn, shapes, domain, dtype):
    _run_case(name, fn, shapes, domain, dtype)


@pytest.mark.parametrize("name,fn,shapes,domain", OPTIONAL, ids=[c[0] for c in OPTIONAL])
def test_higher_order_optional_ops(name, fn, shapes, domain):
    try:
        fn(gg, gg.zeros(shapes[0]))
    except (AttributeError, NotImplementedError) as e:
        pytest.skip(f"op not available yet: {e}")
    _run_case(name, fn, shapes, domain, np.float64)


# -- the core op table (tests/opspecs.py, the ops engineer's) drives the same comparison -------

try:
    from opspecs import SPECS
except ImportError:  # pragma: no cover - the table lives beside this file
    SPECS = []

SPEC_CASES = [
    (s, shapes, kw)
    for s in SPECS
    if s.gradcheck and s.gradgrad and s.grad_positions(len(s.cases[0][0]))
    for shapes, kw in s.cases[:2]
]


@pytest.mark.parametrize(
    "spec,shapes,kwargs",
    SPEC_CASES,
    ids=[f"{s.name}-{i % 2}" for i, (s, _, _) in enumerate(SPEC_CASES)],
)
def test_opspec_second_and_third_derivatives_match_torch(spec, shapes, kwargs):
    rng = np.random.default_rng(sum(map(ord, spec.name)) + len(shapes))
    arrays = [
        mk(rng, shape).astype(np.float64) for mk, shape in zip(spec.makers(len(shapes)), shapes)
    ]
    extra = spec.extra(rng, shapes) if spec.extra else {}

    def call(lib, *xs, **kw):
        kw = dict(kw)
        for k, v in extra.items():
            kw[k] = lib.tensor(np.array(v))
        return spec.fn(lib, *xs, **kw)

    pos = spec.grad_positions(len(arrays))
    try:
        _check_orders(spec.name, call, arrays, np.float64, pos, kwargs, tol=(1e-7, 1e-9))
    except NotImplementedError as e:
        # PyTorch has no double backward for this op (cdist): finite differences decide
        assert "not implemented" in str(e)
        xs = tuple(gg.tensor(a, requires_grad=i in pos) for i, a in enumerate(arrays))
        assert gg.autograd.gradgradcheck(lambda *t: call(gg, *t, **kwargs), xs)


# -- nn.functional: activations, softmax, losses, normalisation, conv, pooling, attention --------


def _nn(name, call, shapes, pos=None, dom="any"):
    return (name, call, shapes, pos, dom)


def nnf(L):
    return L.nn.functional


def T(L, a):
    return L.tensor(np.array(a))


NN_CASES = [
    _nn("gelu", lambda L, a: nnf(L).gelu(a), [(6,)]),
    _nn("gelu_tanh", lambda L, a: nnf(L).gelu(a, approximate="tanh"), [(6,)]),
    _nn("silu", lambda L, a: nnf(L).silu(a), [(6,)]),
    _nn("softplus", lambda L, a: nnf(L).softplus(a), [(6,)]),
    _nn("elu", lambda L, a: nnf(L).elu(a), [(6,)]),
    _nn("selu", lambda L, a: nnf(L).selu(a), [(6,)]),
    _nn("celu", lambda L, a: nnf(L).celu(a), [(6,)]),
    _nn("leaky_relu", lambda L, a: nnf(L).leaky_relu(a, 0.1) * a, [(6,)]),
    _nn("mish", lambda L, a: nnf(L).mish(a), [(6,)]),
    _nn("logsigmoid", lambda L, a: nnf(L).logsigmoid(a), [(6,)]),
    _nn("hardtanh", lambda L, a: nnf(L).hardtanh(a) * a, [(6,)]),
    _nn("relu6", lambda L, a: nnf(L).relu6(a * 4) * a, [(6,)]),
    _nn("softmax", lambda L, a: nnf(L).softmax(a, dim=1), [(3, 4)]),
    _nn("log_softmax", lambda L, a: nnf(L).log_softmax(a, dim=0), [(3, 4)]),
    _nn("softmin", lambda L, a: nnf(L).softmin(a, dim=1), [(3, 4)]),
    _nn("mse", lambda L, a, b: nnf(L).mse_loss(a, b), [(3, 4), (3, 4)]),
    _nn("smooth_l1", lambda L, a, b: nnf(L).smooth_l1_loss(a, b) * a.sum(), [(3, 4), (3, 4)]),
    _nn("huber", lambda L, a, b: nnf(L).huber_loss(a, b, delta=0.5) * a.sum(), [(3, 4), (3, 4)]),
    _nn(
        "bce",
        lambda L, a, b: nnf(L).binary_cross_entropy(a.sigmoid(), b.sigmoid()),
        [(3, 4), (3, 4)],
    ),
    _nn(
        "bce_logits",
        lambda L, a, b: nnf(L).binary_cross_entropy_with_logits(a, b.sigmoid()),
        [(3, 4), (3, 4)],
    ),
    _nn(
        "bce_logits_pw",
        lambda L, a, b: nnf(L).binary_cross_entropy_with_logits(
            a, b.sigmoid(), pos_weight=L.tensor(np.array([1.0, 2.0, 0.5, 3.0]))
        ),
        [(3, 4), (3, 4)],
    ),
    _nn(
        "nll", lambda L, a: nnf(L).nll_loss(nnf(L).log_softmax(a, 1), L.tensor([1, 0, 3])), [(3, 4)]
    ),
    _nn("cross_entropy", lambda L, a: nnf(L).cross_entropy(a, L.tensor([1, 0, 3])), [(3, 4)]),
    _nn(
        "cross_entropy_w",
        lambda L, a: nnf(L).cross_entropy(
            a, L.tensor([1, 0, 3]), weight=T(L, [1.0, 2.0, 0.5, 1.0]), label_smoothing=0.1
        ),
        [(3, 4)],
    ),
    _nn(
        "cross_entropy_probs",
        lambda L, a, b: nnf(L).cross_entropy(a, b.softmax(1)),
        [(3, 4), (3, 4)],
    ),
    _nn(
        "cross_entropy_4d",
        lambda L, a: nnf(L).cross_entropy(a, L.tensor(np.array([[[0, 1], [2, 1]]]))),
        [(1, 3, 2, 2)],
    ),
    _nn(
        "kl_div",
        lambda L, a, b: nnf(L).kl_div(a.log_softmax(1), b.softmax(1), reduction="batchmean"),
        [(3, 4), (3, 4)],
    ),
    _nn("layer_norm", lambda L, a, w, b: nnf(L).layer_norm(a, (4,), w, b), [(3, 4), (4,), (4,)]),
    _nn("group_norm", lambda L, a, w, b: nnf(L).group_norm(a, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    _nn(
        "batch_norm",
        lambda L, a, w, b: nnf(L).batch_norm(a, None, None, w, b, training=True),
        [(5, 3), (3,), (3,)],
    ),
    _nn("linear", lambda L, a, w, b: nnf(L).linear(a, w, b).tanh(), [(3, 4), (2, 4), (2,)]),
    _nn("normalize", lambda L, a: nnf(L).normalize(a, dim=1), [(3, 4)]),
    _nn("cosine_sim", lambda L, a, b: nnf(L).cosine_similarity(a, b), [(3, 4), (3, 4)]),
    _nn("pairwise_dist", lambda L, a, b: nnf(L).pairwise_distance(a, b), [(3, 4), (3, 4)]),
    _nn("embedding", lambda L, w: nnf(L).embedding(L.tensor([[0, 2], [2, 1]]), w) ** 2, [(3, 4)]),
    _nn(
        "conv1d",
        lambda L, a, w, b: nnf(L).conv1d(a, w, b, padding=1).tanh(),
        [(2, 2, 5), (3, 2, 3), (3,)],
    ),
    _nn(
        "conv2d",
        lambda L, a, w, b: nnf(L).conv2d(a, w, b, stride=1, padding=1).tanh(),
        [(1, 2, 4, 4), (3, 2, 3, 3), (3,)],
    ),
    _nn(
        "conv2d_s2",
        lambda L, a, w: nnf(L).conv2d(a, w, stride=2, dilation=1) ** 2,
        [(1, 2, 5, 5), (2, 2, 3, 3)],
    ),
    _nn(
        "conv_transpose2d",
        lambda L, a, w: nnf(L).conv_transpose2d(a, w, stride=2) ** 2,
        [(1, 2, 3, 3), (2, 3, 3, 3)],
    ),
    _nn("max_pool2d", lambda L, a: nnf(L).max_pool2d(a * a, 2), [(1, 2, 4, 4)]),
    _nn("avg_pool2d", lambda L, a: nnf(L).avg_pool2d(a * a, 2), [(1, 2, 4, 4)]),
    _nn("adaptive_avg_pool2d", lambda L, a: nnf(L).adaptive_avg_pool2d(a * a, 1), [(1, 2, 4, 4)]),
    _nn(
        "sdpa",
        lambda L, q, k, v: nnf(L).scaled_dot_product_attention(q, k, v),
        [(1, 3, 4), (1, 3, 4), (1, 3, 4)],
    ),
    _nn("pad", lambda L, a: nnf(L).pad(a, (1, 2)) ** 2, [(2, 3)]),
    _nn("prelu", lambda L, a, w: nnf(L).prelu(a, w) * a, [(2, 3), (1,)]),
    _nn("dropout_eval", lambda L, a: nnf(L).dropout(a, training=False) ** 3, [(6,)]),
    _nn(
        "bilinear", lambda L, a, b, w: nnf(L).bilinear(a, b, w).tanh(), [(2, 3), (2, 4), (2, 3, 4)]
    ),
    _nn("adaptive_avg_pool1d", lambda L, a: nnf(L).adaptive_avg_pool1d(a * a, 2), [(1, 2, 6)]),
    _nn("avg_pool1d", lambda L, a: nnf(L).avg_pool1d(a * a, 2), [(1, 2, 6)]),
    _nn("max_pool1d", lambda L, a: nnf(L).max_pool1d(a * a, 2), [(1, 2, 6)]),
    _nn(
        "conv_transpose1d",
        lambda L, a, w: nnf(L).conv_transpose1d(a, w, stride=2) ** 2,
        [(1, 2, 4), (2, 3, 3)],
    ),
    _nn(
        "cosine_embedding",
        lambda L, a, b: nnf(L).cosine_embedding_loss(a, b, T(L, [1.0, -1.0, 1.0])),
        [(3, 4), (3, 4)],
    ),
    _nn("fold", lambda L, a: nnf(L).fold(a, (3, 3), (2, 2)) ** 2, [(1, 4, 4)]),
    _nn("unfold", lambda L, a: nnf(L).unfold(a, (2, 2)) ** 2, [(1, 1, 3, 3)]),
    _nn("gaussian_nll", lambda L, a, b: nnf(L).gaussian_nll_loss(a, b, b.exp()), [(3, 4), (3, 4)]),
    _nn("glu", lambda L, a: nnf(L).glu(a, -1), [(3, 4)]),
    _nn("hardswish", lambda L, a: nnf(L).hardswish(a) * a, [(8,)]),
    _nn("hardsigmoid", lambda L, a: nnf(L).hardsigmoid(a) * a, [(8,)]),
    _nn("hardshrink", lambda L, a: nnf(L).hardshrink(a) * a, [(8,)]),
    _nn("softshrink", lambda L, a: nnf(L).softshrink(a) * a, [(8,)]),
    _nn("softsign", lambda L, a: nnf(L).softsign(a), [(8,)]),
    _nn("tanhshrink", lambda L, a: nnf(L).tanhshrink(a), [(8,)]),
    _nn("threshold", lambda L, a: nnf(L).threshold(a, 0.5, -1.0) * a, [(8,)]),
    _nn(
        "hinge_embedding",
        lambda L, a: nnf(L).hinge_embedding_loss(a * a, T(L, [[1.0, -1.0, 1.0, -1.0]] * 3)),
        [(3, 4)],
    ),
    _nn("instance_norm", lambda L, a: nnf(L).instance_norm(a), [(2, 3, 5)]),
    _nn("interp_nearest", lambda L, a: nnf(L).interpolate(a, scale_factor=2) ** 2, [(1, 2, 3, 3)]),
    _nn("l1", lambda L, a, b: nnf(L).l1_loss(a, b) * a.sum(), [(3, 4), (3, 4)]),
    _nn(
        "margin_ranking",
        lambda L, a, b: nnf(L).margin_ranking_loss(a, b, T(L, [1.0, -1.0, 1.0])) * a.sum(),
        [(3,), (3,)],
    ),
    _nn(
        "multi_margin",
        lambda L, a: nnf(L).multi_margin_loss(a, L.tensor([1, 0, 3])) * a.sum(),
        [(3, 4)],
    ),
    _nn(
        "multilabel_soft_margin",
        lambda L, a: nnf(L).multilabel_soft_margin_loss(a, T(L, [[1.0, 0, 1, 0]] * 3)),
        [(3, 4)],
    ),
    _nn("poisson_nll", lambda L, a, b: nnf(L).poisson_nll_loss(a, b.abs()), [(3, 4), (3, 4)]),
    _nn(
        "soft_margin",
        lambda L, a: nnf(L).soft_margin_loss(a, T(L, [[1.0, -1, 1, -1]] * 3)),
        [(3, 4)],
    ),
    _nn(
        "triplet_margin",
        lambda L, a, b, c: nnf(L).triplet_margin_loss(a, b, c, margin=5.0),
        [(3, 4), (3, 4), (3, 4)],
    ),
]

# PyTorch's own triple backward of its fused layer_norm / batch_norm is wrong (it disagrees with
# finite differences of its exact second derivative; glassgrad agrees with them): for these two
# the third order is checked by gradgradcheck on the first derivative instead
TORCH_THIRD_ORDER_WRONG = {"layer_norm", "batch_norm", "instance_norm"}


@pytest.mark.parametrize("name,call,shapes,pos,dom", NN_CASES, ids=[c[0] for c in NN_CASES])
def test_nn_functional_higher_order_matches_torch(name, call, shapes, pos, dom):
    rng = np.random.default_rng(len(name))
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    arrays = [np.where(np.abs(a) < 0.2, 0.3, a) for a in arrays]
    if name not in TORCH_THIRD_ORDER_WRONG:
        try:
            _check_orders(name, call, arrays, np.float64, pos, tol=(1e-7, 1e-9))
            return
        except (NotImplementedError, RuntimeError) as e:
            # PyTorch has no double backward for this op (hardsigmoid, multi_margin_loss):
            # finite differences decide, below
            if "not implemented" not in str(e):
                raise
        xs = tuple(gg.tensor(a, requires_grad=True) for a in arrays)
        assert gg.autograd.gradgradcheck(lambda *t: call(gg, *t), xs)
        return
    want = _derivatives(torch, call, arrays, 7, order=2)
    got = _derivatives(gg, call, arrays, 7, order=2)
    for k, (a, b) in enumerate(zip(got, want)):
        _compare(a, b, 1e-7, 1e-9, where=f"{name} order {k}")
    xs = tuple(gg.tensor(a, requires_grad=True) for a in arrays)
    w = np.random.default_rng(1).standard_normal(call(gg, *xs).shape)

    def first_derivative(*inputs):
        out = (call(gg, *inputs) * gg.tensor(w)).sum()
        return gg.autograd.grad(out, inputs, create_graph=True)

    assert gg.autograd.gradgradcheck(first_derivative, xs, atol=1e-6)


def test_torch_layer_norm_third_order_disagrees_with_finite_differences():
    """Documents why TORCH_THIRD_ORDER_WRONG exists (fails once PyTorch fixes it)."""
    rng = np.random.default_rng(3)
    x0 = rng.uniform(-1.5, 1.5, (2, 3))
    w1, w2, w3 = (rng.standard_normal((2, 3)) for _ in range(3))

    def second(L, xa):
        x = L.tensor(xa, requires_grad=True)
        y = L.nn.functional.layer_norm(x, (3,))
        (g1,) = L.autograd.grad((y * L.tensor(w1)).sum(), x, create_graph=True)
        (g2,) = L.autograd.grad((g1 * L.tensor(w2)).sum(), x, create_graph=True)
        return x, g2

    def fd(L):
        out = np.zeros_like(x0)
        for i in np.ndindex(x0.shape):
            xp, xm = x0.copy(), x0.copy()
            xp[i] += 1e-6
            xm[i] -= 1e-6
            diff = second(L, xp)[1].detach().numpy() - second(L, xm)[1].detach().numpy()
            out[i] = (diff * w3).sum() / 2e-6
        return out

    results = {}
    for L in (gg, torch):
        x, g2 = second(L, x0)
        (g3,) = L.autograd.grad((g2 * L.tensor(w3)).sum(), x)
        results[L] = np.abs(g3.detach().numpy() - fd(L)).max()
    assert results[gg] < 1e-6
    assert results[torch] > 1e-3


GRADGRAD = [
    "mul",
    "div",
    "pow_tensor",
    "exp",
    "log",
    "sqrt",
    "sin",
    "tanh",
    "sigmoid",
    "sum_dim",
    "mean_dim",
    "matmul",
    "matmul_batched",
    "softmax",
    "log_softmax",
    "mse",
    "mlp",
    "permute",
    "expand",
]


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck_float64(name):
    (fn, shapes, domain) = next((c[1], c[2], c[3]) for c in CASES if c[0] == name)
    arrays = _inputs(shapes, domain, np.float64, seed=3)
    xs = tuple(gg.tensor(a, requires_grad=True) for a in arrays)
    assert gg.autograd.gradcheck(lambda *t: fn(gg, *t), xs)
    assert gg.autograd.gradgradcheck(lambda *t: fn(gg, *t), xs)


def test_gradgradcheck_detects_a_wrong_double_backward():
    class BadSquare(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x.detach()  # detached: the second derivative is lost

    x = gg.tensor([0.5, -1.0], dtype=gg.float64, requires_grad=True)
    assert gg.autograd.gradcheck(BadSquare.apply, (x,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gg.autograd.gradgradcheck(BadSquare.apply, (x,))
    assert not gg.autograd.gradgradcheck(BadSquare.apply, (x,), raise_exception=False)


def test_fourth_order_scalar():
    # d^4/dx^4 sin(x) = sin(x); each order differentiates the previous one's graph
    x = gg.tensor(np.float64(0.7), requires_grad=True)
    d = x.sin()
    for _ in range(4):
        (d,) = gg.autograd.grad(d, x, create_graph=True)
    np.testing.assert_allclose(d.item(), np.sin(0.7), rtol=1e-12)
    assert d.requires_grad


def test_backward_create_graph_then_backward_matches_torch():
    def run(lib):
        x = lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = (x.sin() * x.exp()).sum()
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        (g * g).sum().backward()
        return g.detach().numpy().copy(), x.grad.numpy().copy()

    for a, b in zip(run(gg), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_grad_wrt_non_leaf_and_allow_unused():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z = lib.tensor(1.0, requires_grad=True)
        h = x * 2
        y = (h**2).sum()
        gh, gx = lib.autograd.grad(y, [h, x], retain_graph=True)
        unused = lib.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
        mat = lib.autograd.grad(y, [x, z], materialize_grads=True)
        return gh.numpy(), gx.numpy(), unused[1], mat[1].numpy()

    a, b = run(gg), run(torch)
    np.testing.assert_allclose(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1])
    assert a[2] is None and b[2] is None
    np.testing.assert_allclose(a[3], b[3])


def test_grad_errors_use_torch_wording():
    for lib in (gg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor(1.0, requires_grad=True)
        with pytest.raises(RuntimeError, match="index 1 appears to not have been used"):
            lib.autograd.grad((x * 2).sum(), [x, z])
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad((x * 2).sum(), [lib.tensor(1.0)])
        with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
            lib.autograd.grad(lib.tensor(1.0), [x])
        with pytest.raises(ValueError, match="allow_unused"):
            lib.autograd.grad((x * 2).sum(), [x], allow_unused=False, materialize_grads=True)


def test_grad_does_not_touch_dot_grad_and_runs_only_what_it_needs():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    w = gg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    (gx,) = gg.autograd.grad(y, x)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    assert x.grad is None and w.grad is None


def test_backward_inputs_accumulates_only_into_inputs():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        h = x * w
        h.retain_grad()
        (h * h).sum().backward(inputs=[w])
        return x.grad, w.grad.numpy().copy()

    (gx, gw), (tx, tw) = run(gg), run(torch)
    assert gx is None and tx is None
    np.testing.assert_allclose(gw, tw)


def test_gradient_penalty_step_matches_torch():
    """WGAN-GP style: the loss contains a gradient norm, its gradient needs 2nd derivatives."""

    def run(lib):
        rng = np.random.default_rng(0)
        w1 = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
        w2 = lib.tensor(rng.standard_normal((4, 1)), requires_grad=True)
        x = lib.tensor(rng.standard_normal((5, 3)), requires_grad=True)
        out = ((x @ w1).tanh() @ w2).sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        penalty = ((gx * gx).sum(1).sqrt() - 1) ** 2
        loss = penalty.mean() + out
        loss.backward()
        return w1.grad.numpy().copy(), w2.grad.numpy().copy()

    for a, b in zip(run(gg), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_create_graph_float32_stays_float32():
    x = gg.tensor([0.5, 1.5], requires_grad=True)
    (g,) = gg.autograd.grad((x**3).sum(), x, create_graph=True)
    (h,) = gg.autograd.grad(g.sum(), x)
    assert g.dtype == gg.float32 and h.dtype == gg.float32


def test_fast_path_leaves_no_graph_on_grads():
    x = gg.tensor([0.5, 1.5], requires_grad=True)
    (x**3).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_backward_inputs_non_leaf_fills_grad_without_warning():
    import warnings

    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            (h * h).sum().backward(inputs=[h])
        return h.grad.numpy().copy(), x.grad

    (gh, gx), (th, tx) = run(gg), run(torch)
    np.testing.assert_allclose(gh, th)
    assert gx is None and tx is None


def test_every_array_ns_function_has_a_tensor_version():
    """``ctx.ns`` in a create_graph pass must offer every function backward formulas use."""
    from glassgrad.autograd.function import _ArrayNS
    from glassgrad.ops import tensor_ns

    missing = [
        n
        for n in vars(_ArrayNS)
        if not n.startswith("_") and not callable(getattr(tensor_ns, n, None))
    ]
    assert missing == [], f"add these to glassgrad/ops/tensor_ns.py: {missing}"


def test_higher_order_demo_prints_what_torch_prints(tmp_path, capsys):
    """``glassgrad demo higher-order`` and the same script run by PyTorch print the same."""
    import importlib
    import subprocess
    import sys
    from pathlib import Path

    from glassgrad.examples import EXAMPLES, path_of

    assert "higher-order" in EXAMPLES
    out = importlib.import_module("glassgrad.examples.higher_order").main([])
    got = capsys.readouterr().out
    assert out["d2y"] == 12.0
    src = Path(path_of("higher-order")).read_text()
    script = tmp_path / "higher_order_torch.py"
    script.write_text(src.replace("import glassgrad as torch", "import torch"))
    want = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert got == want


def test_legacy_variable_wrapper_behaves_like_torch():
    for L in (gg, torch):
        x = L.ones(2)
        v = L.autograd.Variable(x, requires_grad=True)
        assert v is not x and v.requires_grad and not x.requires_grad
        assert isinstance(x, L.autograd.Variable)
        (v * 3).sum().backward()
        np.testing.assert_allclose(v.grad.numpy(), [3.0, 3.0])
        with pytest.raises(TypeError, match="Variable data has to be a tensor"):
            L.autograd.Variable([1.0])


def test_grad_is_grads_batched_gives_a_jacobian():
    def run(L):
        x = L.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        y = (x.sin() * x).reshape(3, 1) * L.tensor(np.array([1.0, 2.0]))
        basis = L.tensor(np.eye(6).reshape(6, 3, 2))
        (jac,) = L.autograd.grad(y, x, basis, is_grads_batched=True)
        return jac.detach().numpy()

    np.testing.assert_allclose(run(gg), run(torch), rtol=1e-12)


def _module(L, kind):
    ctor = {
        "rnn": lambda: L.nn.RNN(3, 4, batch_first=True),
        "gru": lambda: L.nn.GRU(3, 4, batch_first=True),
        "lstm": lambda: L.nn.LSTM(3, 4, batch_first=True),
        "mha": lambda: L.nn.MultiheadAttention(4, 2, batch_first=True),
    }[kind]
    m = ctor().double()
    rng = np.random.default_rng(1)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape))))
    return m


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm", "mha"])
def test_recurrent_and_attention_modules_to_third_order(kind):
    mods = {L: _module(L, kind) for L in (gg, torch)}

    def call(L, x):
        out = mods[L](x, x, x) if kind == "mha" else mods[L](x)
        return out[0]

    shape = (2, 3, 4) if kind == "mha" else (2, 3, 3)
    x = np.random.default_rng(2).uniform(-1, 1, shape)
    _check_orders(kind, call, [x], np.float64, tol=(1e-7, 1e-9))
