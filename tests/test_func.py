"""``glassgrad.func`` and ``glassgrad.autograd.functional`` against ``torch.func`` and
``torch.autograd.functional`` on the same functions (written once against the torch API)."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X3 = RNG.uniform(-1.5, 1.5, 3)
V3 = RNG.standard_normal(3)

# scalar functions of one vector
SCALAR = {
    "sin_x2": lambda L, x: (x.sin() * x ** 2).sum(),
    "softplus_like": lambda L, x: (x.exp() + 1).log().sum(),
    "quartic_coupled": lambda L, x: (x @ x) ** 2 + (x * x.sin()).sum() * x.sum(),
    "tanh_norm": lambda L, x: (x.tanh() ** 2 * x.sigmoid()).sum().sqrt(),
}

# vector functions of one vector
VECTOR = {
    "elementwise": lambda L, x: x.exp() * x,
    "matrix": lambda L, x: L.tensor(np.arange(6.0).reshape(2, 3)) @ x.sin(),
    "outer": lambda L, x: (x.reshape(3, 1) * x.reshape(1, 3)).tanh(),
}


def _t(lib, a):
    return lib.tensor(np.array(a, dtype=np.float64))


def _np(t):
    if isinstance(t, (tuple, list)):
        return [_np(x) for x in t]
    return t.detach().numpy()


def _close(a, b, rtol=1e-10, atol=1e-12):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, rtol, atol)
        return
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)


def _both(fn):
    """fn(lib) on glassgrad and torch, results compared."""
    _close(fn(gg), fn(torch))


@pytest.mark.parametrize("name", SCALAR)
def test_grad_hessian_and_products_of_scalar_functions(name):
    f = SCALAR[name]
    _both(lambda L: L.func.grad(lambda x: f(L, x))(_t(L, X3)))
    _both(lambda L: L.func.grad_and_value(lambda x: f(L, x))(_t(L, X3)))
    _both(lambda L: L.func.hessian(lambda x: f(L, x))(_t(L, X3)))
    _both(lambda L: L.func.jacfwd(L.func.jacrev(lambda x: f(L, x)))(_t(L, X3)))
    _both(lambda L: L.func.jacrev(L.func.grad(lambda x: f(L, x)))(_t(L, X3)))
    _both(lambda L: L.autograd.functional.hessian(lambda x: f(L, x), _t(L, X3)))
    _both(lambda L: L.autograd.functional.hvp(lambda x: f(L, x), _t(L, X3), _t(L, V3)))
    _both(lambda L: L.autograd.functional.vhp(lambda x: f(L, x), _t(L, X3), _t(L, V3)))


@pytest.mark.parametrize("name", VECTOR)
def test_jacobians_and_jvp_vjp_of_vector_functions(name):
    f = VECTOR[name]
    _both(lambda L: L.func.jacrev(lambda x: f(L, x))(_t(L, X3)))
    _both(lambda L: L.func.jacfwd(lambda x: f(L, x))(_t(L, X3)))
    _both(lambda L: L.autograd.functional.jacobian(lambda x: f(L, x), _t(L, X3)))
    _both(lambda L: L.func.jvp(lambda x: f(L, x), (_t(L, X3),), (_t(L, V3),)))
    _both(lambda L: L.autograd.functional.jvp(lambda x: f(L, x), _t(L, X3), _t(L, V3)))

    def vjp(L):
        out, fn = L.func.vjp(lambda x: f(L, x), _t(L, X3))
        ct = L.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        return out, fn(ct), L.autograd.functional.vjp(lambda x: f(L, x), _t(L, X3), ct)

    _both(vjp)


def _mlp_params(L):
    rng = np.random.default_rng(1)
    return tuple(_t(L, rng.standard_normal(s) * 0.5) for s in [(4, 3), (4,), (2, 4), (2,)])


def _mlp_data(L):
    rng = np.random.default_rng(2)
    return _t(L, rng.standard_normal((5, 3))), _t(L, rng.standard_normal((5, 2)))


def _mlp_loss(L, w1, b1, w2, b2):
    x, y = _mlp_data(L)
    h = (x @ w1.T + b1).tanh()
    out = h @ w2.T + b2
    return ((out - y) ** 2).mean()


def test_mlp_loss_grad_hvp_and_hessian_block():
    _both(lambda L: L.func.grad(lambda *p: _mlp_loss(L, *p), argnums=(0, 1, 2, 3))(
        *_mlp_params(L)))
    vs = tuple(np.random.default_rng(3).standard_normal(p.shape) for p in _mlp_params(gg))
    _both(lambda L: L.autograd.functional.hvp(lambda *p: _mlp_loss(L, *p), _mlp_params(L),
                                              tuple(_t(L, v) for v in vs)))
    # the Hessian block of the last layer, both ways
    _both(lambda L: L.func.hessian(lambda b2, w2: _mlp_loss(L, _mlp_params(L)[0],
                                                            _mlp_params(L)[1], w2, b2),
                                   argnums=(0, 1))(_mlp_params(L)[3], _mlp_params(L)[2]))
    _both(lambda L: L.autograd.functional.hessian(
        lambda w2, b2: _mlp_loss(L, _mlp_params(L)[0], _mlp_params(L)[1], w2, b2),
        (_mlp_params(L)[2], _mlp_params(L)[3])))


def test_mlp_module_with_functional_call():
    def run(L):
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)).double()
        rng = np.random.default_rng(4)
        params = {k: _t(L, rng.standard_normal(tuple(v.shape)) * 0.5)
                  for k, v in model.named_parameters()}
        x, y = _mlp_data(L)

        def loss(p):
            return ((L.func.functional_call(model, p, (x,)) - y) ** 2).mean()

        g = L.func.grad(loss)(params)
        return [g[k] for k in sorted(g)]

    _both(run)


def test_per_sample_gradients_with_vmap():
    def run(L):
        w = _t(L, [0.5, -1.0, 2.0])
        xs = _t(L, np.arange(12.0).reshape(4, 3) / 10)

        def loss(w, x):
            return (w * x).sum().tanh()

        return L.func.vmap(L.func.grad(loss), in_dims=(None, 0))(w, xs)

    _both(run)


def test_nesting_third_derivative_and_has_aux():
    _both(lambda L: L.func.grad(L.func.grad(L.func.grad(lambda x: x.sin() * x)))(
        _t(L, 0.3).reshape(())))

    def aux(L):
        def f(x):
            y = (x ** 2).sum()
            return y, {"y": y, "x2": x * 2}

        g, a = L.func.grad(f, has_aux=True)(_t(L, X3))
        return g, a["y"], a["x2"]

    _both(aux)


def test_closure_over_tensor_requiring_grad_stays_differentiable():
    def run(L):
        w = L.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        g = L.func.grad(lambda x: ((x * w) ** 2).sum())(_t(L, X3))
        g.sum().backward()
        return g, w.grad

    _both(run)


def test_outermost_results_carry_no_graph():
    x = _t(gg, X3)
    for r in (gg.func.grad(lambda x: (x ** 3).sum())(x), gg.func.hessian(
            lambda x: (x ** 3).sum())(x), gg.func.jvp(lambda x: x ** 2, (x,), (x,))[1],
            gg.autograd.functional.hvp(lambda x: (x ** 3).sum(), x, x)[1]):
        assert not r.requires_grad and r.grad_fn is None


def test_create_graph_in_functional_keeps_graph():
    def run(L):
        x = L.tensor(np.array(X3), requires_grad=True)
        h = L.autograd.functional.hessian(lambda t: (t ** 3).sum(), x, create_graph=True)
        h.sum().backward()
        return h, x.grad

    _both(run)


def test_errors_match_torch():
    for L in (gg, torch):
        with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar"):
            L.func.grad(lambda x: x * 2)(_t(L, X3))
        with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
            L.func.grad(lambda x: x.sum(), has_aux=True)(_t(L, X3))
        with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
            L.func.jvp(lambda x: x, _t(L, X3), _t(L, X3))
        with pytest.raises(RuntimeError, match="v can only be None"):
            L.autograd.functional.vjp(lambda x: x * 2, _t(L, X3))
        with pytest.raises(RuntimeError, match="independent of input 1"):
            L.autograd.functional.vjp(lambda x, y: (x * 2).sum(), (_t(L, X3), _t(L, X3)),
                                      strict=True)


def test_per_sample_gradients_of_a_module_over_a_params_dict():
    """The torch.func recipe: vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y), with
    integer class targets (0-d slices) and a dict of parameters as the result."""

    def run(L):
        model = L.nn.Linear(3, 2)
        with L.no_grad():
            model.weight.copy_(L.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
            model.bias.copy_(L.tensor([0.01, -0.02]))
        params = {k: v.detach() for k, v in model.named_parameters()}
        x = L.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 1.0, -1.0]])
        y = L.tensor([1, 0, 1])

        def loss_fn(p, xi, yi):
            out = L.func.functional_call(model, p, (xi.unsqueeze(0),))
            return L.nn.functional.cross_entropy(out, yi.unsqueeze(0))

        per = L.func.vmap(L.func.grad(loss_fn), in_dims=(None, 0, 0))(params, x, y)
        return [per["weight"], per["bias"]]

    got, want = run(gg), run(torch)
    for a, b in zip(got, want):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
