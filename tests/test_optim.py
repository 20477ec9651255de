"""Optimizers against PyTorch: the same model, the same gradients, the same parameter trajectory.

Every optimizer (SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam, RAdam, Adadelta, Rprop) with
each of its options takes 25 steps on a small two-layer model in glassgrad and in torch (float64:
within 1e-10 at every step), with a state_dict round trip into a fresh optimizer after step 10
on the glassgrad side while torch carries on with its original one. LBFGS runs its closure
loop against torch's.
"""

import numpy as np
import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"lr": 0.02, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}),
]

STEPS = 25
ROUNDTRIP_AT = 10


def _init(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(size=(4, 5)).astype(dtype),
        "b1": rng.normal(size=(5,)).astype(dtype),
        "w2": rng.normal(size=(5, 2)).astype(dtype),
        "spare": rng.normal(size=(3,)).astype(dtype),  # gets a gradient on even steps only
    }


def _batch(step, dtype=np.float64):
    rng = np.random.default_rng(100 + step)
    return rng.normal(size=(8, 4)).astype(dtype), rng.normal(size=(8, 2)).astype(dtype)


def _loss(lib, p, x, y, step):
    h = lib.tanh(x @ p["w1"] + p["b1"])
    loss = ((h @ p["w2"] - y) ** 2).mean()
    if step % 2 == 0:
        loss = loss + (p["spare"] ** 2).sum() * 0.1
    return loss


def _run_torch(name, kwargs, init, dtype=torch.float64):
    params = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in init.items()}
    opt = getattr(torch.optim, name)(list(params.values()), **kwargs)
    traj = []
    for step in range(STEPS):
        x, y = (torch.tensor(a, dtype=dtype) for a in _batch(step, init["w1"].dtype))
        opt.zero_grad()
        _loss(torch, params, x, y, step).backward()
        opt.step()
        traj.append({k: v.detach().numpy().copy() for k, v in params.items()})
    return traj, opt


def _run_gg(name, kwargs, init, dtype=gg.float64, roundtrip=True):
    params = {k: gg.tensor(v, dtype=dtype, requires_grad=True) for k, v in init.items()}
    opt = getattr(gg.optim, name)(list(params.values()), **kwargs)
    traj = []
    for step in range(STEPS):
        x, y = (gg.tensor(a, dtype=dtype) for a in _batch(step, init["w1"].dtype))
        opt.zero_grad()
        _loss(gg, params, x, y, step).backward()
        opt.step()
        traj.append({k: v._data.copy() for k, v in params.items()})
        if roundtrip and step == ROUNDTRIP_AT:
            state = opt.state_dict()
            opt = getattr(gg.optim, name)(list(params.values()), **kwargs)
            opt.load_state_dict(state)
    return traj, opt


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_trajectory_float64_matches_torch(name, kwargs):
    init = _init()
    ref, topt = _run_torch(name, kwargs, init)
    got, opt = _run_gg(name, kwargs, init)
    for step, (r, g) in enumerate(zip(ref, got)):
        for k in r:
            np.testing.assert_allclose(g[k], r[k], rtol=0, atol=1e-10,
                                       err_msg=f"{name} {kwargs} step {step} param {k}")
    # the final state matches torch's, key for key
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for pid, tstate in tsd["state"].items():
        assert sorted(sd["state"][pid]) == sorted(tstate)
        for key, tval in tstate.items():
            val = sd["state"][pid][key]
            if isinstance(tval, torch.Tensor):
                assert val.shape == tuple(tval.shape)
                if key != "mu_product":  # load_state_dict casts it to the param's dtype
                    assert str(val.dtype).split(".")[-1] == str(tval.dtype).split(".")[-1]
                rtol = 1e-6 if key == "mu_product" else 1e-9  # float64 vs float32 after the load
                np.testing.assert_allclose(val._data, tval.numpy(), rtol=rtol, atol=1e-12)
            else:
                assert val == tval


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax",
                                  "NAdam", "RAdam", "Adadelta", "Rprop"])
def test_float32_stays_float32_and_tracks_torch(name):
    kwargs = {"SGD": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
              "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
              "AdamW": {"lr": 0.01},
              "RMSprop": {"lr": 0.01, "centered": True, "momentum": 0.5},
              "Adagrad": {"lr": 0.1, "lr_decay": 0.01},
              "Adamax": {"lr": 0.01}, "NAdam": {"lr": 0.01}, "RAdam": {"lr": 0.01},
              "Adadelta": {}, "Rprop": {"lr": 0.01}}[name]
    init = _init(np.float32)
    ref, _ = _run_torch(name, kwargs, init, dtype=torch.float32)
    got, opt = _run_gg(name, kwargs, init, dtype=gg.float32)
    for r, g in zip(ref, got):
        for k in r:
            assert g[k].dtype == np.float32
            np.testing.assert_allclose(g[k], r[k], rtol=1e-4, atol=1e-5)
    for state in opt.state.values():
        for key, val in state.items():
            assert val._data.dtype == np.float32, key


def test_param_groups_and_add_param_group_match_torch():
    init = _init()

    def run(lib, make):
        ps = {k: lib.tensor(v, requires_grad=True, dtype=lib.float64) for k, v in init.items()}
        opt = make(lib, ps)
        out = []
        for step in range(12):
            if step == 4:
                opt.add_param_group({"params": [ps["spare"]], "lr": 0.3, "momentum": 0.0})
            x, y = (lib.tensor(a, dtype=lib.float64) for a in _batch(step))
            opt.zero_grad()
            _loss(lib, ps, x, y, step).backward()
            opt.step()
            out.append({k: np.array(v.detach().numpy()) for k, v in ps.items()})
        return out, opt

    def make(lib, ps):
        return lib.optim.SGD([{"params": [ps["w1"], ps["b1"]], "lr": 0.02},
                              {"params": [ps["w2"]]}], lr=0.1, momentum=0.9)

    ref, topt = run(torch, make)
    got, opt = run(gg, make)
    for r, g in zip(ref, got):
        for k in r:
            np.testing.assert_allclose(g[k], r[k], rtol=0, atol=1e-10)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_zero_grad_set_to_none_false_keeps_zero_tensors():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    opt = gg.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_step_skips_params_without_grad_and_weight_decay_with_zero_grad():
    a = gg.tensor([1.0], requires_grad=True)
    b = gg.tensor([1.0], requires_grad=True)
    opt = gg.optim.SGD([a, b], lr=0.1, weight_decay=0.5)
    (a * 0).sum().backward()  # a gets a zero gradient, b none
    opt.step()
    assert a.item() == pytest.approx(0.95) and b.item() == 1.0


def test_closure_runs_with_grad_and_returns_loss():
    w = gg.tensor([3.0], requires_grad=True)
    opt = gg.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with gg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and w.item() == pytest.approx(2.4)


def test_load_state_dict_keeps_state_independent_and_casts_dtype():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    opt = gg.optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    w64 = gg.tensor([1.0, 2.0], dtype=gg.float64, requires_grad=True)
    opt2 = gg.optim.SGD([w64], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt.state_dict())
    buf = opt2.state[w64]["momentum_buffer"]
    assert buf.dtype == gg.float64
    buf._data[...] = 0
    assert opt.state[w]["momentum_buffer"].tolist() == [2.0, 4.0]


def test_load_state_dict_errors_match_torch():
    a, b = gg.zeros(1, requires_grad=True), gg.zeros(1, requires_grad=True)
    opt = gg.optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]})


@pytest.mark.parametrize(("make", "err", "msg"), [
    (lambda p: gg.optim.SGD(p, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda p: gg.optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, "Invalid momentum value"),
    (lambda p: gg.optim.SGD(p, lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: gg.optim.Adam(p, betas=(1.0, 0.9)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    (lambda p: gg.optim.Adam(p, eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    (lambda p: gg.optim.RMSprop(p, alpha=-1.0), ValueError, "Invalid alpha value: -1.0"),
    (lambda p: gg.optim.Adagrad(p, lr_decay=-1.0), ValueError, "Invalid lr_decay value"),
    (lambda p: gg.optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda p: gg.optim.SGD(p[0], lr=0.1), TypeError, "should be an iterable of Tensors"),
    (lambda p: gg.optim.SGD([p[0] * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda p: gg.optim.SGD([{"params": p}, {"params": p}], lr=0.1), ValueError,
     "some parameters appear in more than one parameter group"),
    (lambda p: gg.optim.SGD([{"params": set(p)}], lr=0.1), TypeError, "ordered collections"),
])
def test_constructor_errors_use_torch_wording(make, err, msg):
    p = [gg.tensor([1.0], requires_grad=True)]
    with pytest.raises(err, match=msg):
        make(p)


def test_repr_matches_torch():
    opt = gg.optim.Adam([gg.zeros(1, requires_grad=True)], lr=0.1)
    topt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert repr(opt) == repr(topt)


def test_step_hooks_fire_once_per_step_and_can_be_removed():
    w = gg.tensor([1.0], requires_grad=True)
    seen = []

    class MySGD(gg.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    opt = MySGD([w], lr=0.1)
    h1 = gg.optim.register_optimizer_step_pre_hook(
        lambda o, a, k: seen.append(("pre", w.item())))
    h2 = gg.optim.register_optimizer_step_post_hook(
        lambda o, a, k: seen.append(("post", w.item())))
    h3 = opt.register_step_post_hook(lambda o, a, k: seen.append(("own", gg.is_grad_enabled())))
    try:
        (w * w).sum().backward()
        opt.step()
    finally:
        h1.remove()
        h2.remove()
        h3.remove()
    assert seen == [("pre", 1.0), ("own", True), ("post", pytest.approx(0.8))]
    opt.step()
    assert len(seen) == 3


def test_update_bumps_version_and_runs_outside_the_graph():
    w = gg.tensor([1.0], requires_grad=True)
    opt = gg.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    v = w._version
    opt.step()
    assert w._version == v + 1 and w.grad_fn is None and w.requires_grad


def test_load_state_dict_casts_like_torch():
    """Everything but ``step`` takes the parameter's dtype (NAdam's float32 mu_product too)."""
    def state_dtypes(lib):
        p = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.NAdam([p])
        p.grad = lib.ones(2, dtype=lib.float64)
        opt.step()
        opt2 = lib.optim.NAdam([p])
        opt2.load_state_dict(opt.state_dict())
        return {k: str(v.dtype).split(".")[-1] for k, v in opt2.state[p].items()}

    assert state_dtypes(gg) == state_dtypes(torch)


def test_docstring_examples_run():
    import doctest

    import glassgrad.optim.adagrad
    import glassgrad.optim.adam
    import glassgrad.optim.lr_scheduler
    import glassgrad.optim.optimizer
    import glassgrad.optim.rmsprop
    import glassgrad.optim.sgd
    import glassgrad.serialization
    import glassgrad.utils.data
    import glassgrad.utils.hooks

    for mod in (glassgrad.optim.optimizer, glassgrad.optim.sgd, glassgrad.optim.adam,
                glassgrad.optim.rmsprop, glassgrad.optim.adagrad, glassgrad.optim.lr_scheduler,
                glassgrad.serialization, glassgrad.utils.data, glassgrad.utils.hooks):
        result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, mod.__name__


def test_user_defined_optimizer_the_torch_way():
    """A tutorial's own optimizer: subclass Optimizer, keep state in self.state, use Tensor ops."""
    def make(lib):
        class MomentumSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.1, beta=0.9):
                super().__init__(params, {"lr": lr, "beta": beta})

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if "v" not in state:
                            state["v"] = lib.zeros_like(p)
                        state["v"].mul_(group["beta"]).add_(p.grad)
                        p.add_(state["v"], alpha=-group["lr"])

        w = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        opt = MomentumSGD([w], lr=0.01)
        for _ in range(10):
            opt.zero_grad()
            (w**4).sum().backward()  # stays finite with lr=0.01
            opt.step()
        return w.detach().numpy().tolist(), opt.state_dict()["param_groups"]

    got, ref = make(gg), make(torch)
    assert np.isfinite(got[0]).all()
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12)
    assert got[1] == ref[1]


@pytest.mark.parametrize("kwargs", [
    {},
    {"lr": 0.5, "max_iter": 7, "history_size": 3},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 10, "max_eval": 30},
])
def test_lbfgs_matches_torch(kwargs):
    init = _init()
    x, y = _batch(0)

    def run(lib):
        ps = {k: lib.tensor(v, dtype=lib.float64, requires_grad=True) for k, v in init.items()}
        opt = lib.optim.LBFGS(list(ps.values()), **kwargs)
        X, Y = lib.tensor(x, dtype=lib.float64), lib.tensor(y, dtype=lib.float64)
        losses, traj = [], []

        def closure():
            opt.zero_grad()
            loss = _loss(lib, ps, X, Y, 0)
            loss.backward()
            return loss

        # 3 calls of up to 20 iterations: later, near the minimum, L-BFGS amplifies rounding
        # differences (1e-15 -> 1e-7) in both directions, so they stop being comparable
        for _ in range(3):
            losses.append(opt.step(closure).item())
            traj.append({k: v.detach().numpy().copy() for k, v in ps.items()})
        state = opt.state[ps["w1"]]
        return losses, traj, state["func_evals"], state["n_iter"]

    got, ref = run(gg), run(torch)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-9)
    for g, r in zip(got[1], ref[1]):
        for k in r:
            np.testing.assert_allclose(g[k], r[k], rtol=0, atol=1e-8)
    assert got[2:] == ref[2:]
    assert got[0][-1] < got[0][0]


def test_lbfgs_state_survives_a_checkpoint():
    import io

    init = _init()
    x, y = (gg.tensor(a, dtype=gg.float64) for a in _batch(0))

    def make():
        ps = [gg.tensor(v, dtype=gg.float64, requires_grad=True) for v in init.values()]
        return ps, gg.optim.LBFGS(ps, line_search_fn="strong_wolfe", history_size=5)

    def closure_for(ps, opt):
        def closure():
            opt.zero_grad()
            loss = _loss(gg, dict(zip(init, ps)), x, y, 0)
            loss.backward()
            return loss
        return closure

    ps, opt = make()
    opt.step(closure_for(ps, opt))
    buf = io.BytesIO()
    gg.save({"params": ps, "optim": opt.state_dict()}, buf)
    opt.step(closure_for(ps, opt))
    buf.seek(0)
    ckpt = gg.load(buf)
    ps2, opt2 = make()
    for p, saved in zip(ps2, ckpt["params"]):
        p._data[...] = saved._data
    opt2.load_state_dict(ckpt["optim"])
    opt2.step(closure_for(ps2, opt2))
    for a, b in zip(ps, ps2):
        np.testing.assert_array_equal(a._data, b._data)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float32_stays_float32_and_tracks_torch(line_search_fn):
    init = _init(np.float32)
    x, y = _batch(0, np.float32)

    def run(lib):
        ps = {k: lib.tensor(v, requires_grad=True) for k, v in init.items()}
        opt = lib.optim.LBFGS(list(ps.values()), max_iter=5, line_search_fn=line_search_fn)
        X, Y = lib.tensor(x), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = _loss(lib, ps, X, Y, 0)
            loss.backward()
            return loss

        opt.step(closure)
        return {k: v.detach().numpy().copy() for k, v in ps.items()}

    got, ref = run(gg), run(torch)
    for k in ref:
        assert got[k].dtype == np.float32
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-3, atol=1e-4)
