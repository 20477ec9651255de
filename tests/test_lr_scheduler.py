"""Learning-rate schedulers against PyTorch: the lr (and momentum) trajectory, step for step."""

import math
import warnings

import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")

EPOCHS = 30

CASES = [
    ("StepLR", {"step_size": 7}, "SGD"),
    ("StepLR", {"step_size": 3, "gamma": 0.5}, "SGD"),
    ("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}, "SGD"),
    ("ExponentialLR", {"gamma": 0.9}, "SGD"),
    ("CosineAnnealingLR", {"T_max": 10}, "SGD"),
    ("CosineAnnealingLR", {"T_max": 8, "eta_min": 0.01}, "Adam"),
    ("LambdaLR", {"lr_lambda": lambda e: 1.0 / (1 + e)}, "SGD"),
    ("LambdaLR", {"lr_lambda": [lambda e: 0.95**e, lambda e: 1 + e % 3]}, "SGD"),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": EPOCHS + 1}, "SGD"),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "epochs": 4, "steps_per_epoch": 8,
                    "anneal_strategy": "linear", "three_phase": True}, "SGD"),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": EPOCHS, "pct_start": 0.25,
                    "div_factor": 10.0, "final_div_factor": 100.0}, "Adam"),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": EPOCHS, "cycle_momentum": False}, "Adagrad"),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 if e % 2 else 1.05}, "SGD"),
    ("ConstantLR", {}, "SGD"),
    ("ConstantLR", {"factor": 0.5, "total_iters": 8}, "Adam"),
    ("LinearLR", {}, "SGD"),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 12}, "SGD"),
    ("PolynomialLR", {"total_iters": 20, "power": 2.0}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, "Adam"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, "SGD"),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.1, "step_size_up": 3,
                  "step_size_down": 5, "mode": "triangular2"}, "SGD"),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 4, "mode": "exp_range",
                  "gamma": 0.95}, "Adam"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4,
                  "cycle_momentum": False}, "Adagrad"),
]


def _setup(lib, opt_name):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    kwargs = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.1}, "Adagrad": {"lr": 0.1}}
    return getattr(lib.optim, opt_name)(groups, **kwargs[opt_name])


def _snapshot(opt, sched):
    """Flat: the last lrs, then each group's lr, momentum and beta1 (-1 where absent)."""
    out = list(sched.get_last_lr())
    for g in opt.param_groups:
        out += [g["lr"], g.get("momentum", -1.0), g.get("betas", (-1.0,))[0]]
    return out


def _trajectory(lib, name, kwargs, opt_name, roundtrip_at=None):
    opt = _setup(lib, opt_name)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    traj = [_snapshot(opt, sched)]
    steps = EPOCHS if name != "OneCycleLR" else sched.total_steps - 1
    for epoch in range(steps):
        opt.step()
        sched.step()
        traj.append(_snapshot(opt, sched))
        if roundtrip_at == epoch:
            # a fresh optimizer + scheduler resumed from state dicts, in PyTorch's documented
            # order: make the scheduler first, then load the optimizer, then the scheduler
            state, opt_state = sched.state_dict(), opt.state_dict()
            opt = _setup(lib, opt_name)
            sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
            opt.load_state_dict(opt_state)
            sched.load_state_dict(state)
    return traj


@pytest.mark.parametrize(("name", "kwargs", "opt_name"), CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_lr_trajectory_matches_torch(name, kwargs, opt_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _trajectory(torch, name, kwargs, opt_name)
        got = _trajectory(gg, name, kwargs, opt_name)
        resumed = _trajectory(gg, name, kwargs, opt_name, roundtrip_at=EPOCHS // 3)
        ref_resumed = _trajectory(torch, name, kwargs, opt_name, roundtrip_at=EPOCHS // 3)
    assert len(got) == len(ref)
    for step, (r, g, s, rr) in enumerate(zip(ref, got, resumed, ref_resumed)):
        assert g == pytest.approx(r, rel=1e-12, abs=1e-15), f"step {step}"
        assert s == pytest.approx(rr, rel=1e-12, abs=1e-15), f"resumed, step {step}"
        assert s == pytest.approx(r, rel=1e-12, abs=1e-15), f"resumed vs straight, step {step}"


@pytest.mark.parametrize(("name", "kwargs"), [
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [3, 7], "gamma": 0.1}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.001}),
    ("LinearLR", {"start_factor": 0.2, "total_iters": 6}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 4}),
    ("PolynomialLR", {"total_iters": 8, "power": 1.5}),
])
def test_step_with_epoch_uses_closed_form_and_warns(name, kwargs):
    def run(lib):
        opt = _setup(lib, "SGD")
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        out = []
        for epoch in (5, 2, 9, 9, 1):
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
                sched.step(epoch)
            out.extend(sched.get_last_lr())
        return out

    assert run(gg) == pytest.approx(run(torch), rel=1e-12)


@pytest.mark.parametrize("kwargs", [{"T_0": 4}, {"T_0": 3, "T_mult": 2, "eta_min": 0.01}])
def test_warm_restarts_with_fractional_epochs_match_torch(kwargs):
    def run(lib):
        opt = _setup(lib, "SGD")
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, **kwargs)
        out = []
        for epoch in range(12):
            for i in range(3):
                opt.step()
                sched.step(epoch + i / 3)
                out.extend(sched.get_last_lr())
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(gg) == pytest.approx(run(torch), rel=1e-12)


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2, "cooldown": 1},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "min_lr": [0.02, 0.001]},
    {"patience": 0, "factor": 0.5, "min_lr": 0.03, "eps": 1e-3},
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.89, 0.89, 0.9, 0.91, 0.5, 0.5, 0.5, 0.5, 0.6,
               0.7, 0.7, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]

    def run(lib, roundtrip=False):
        opt = _setup(lib, "SGD")
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        out = []
        for i, m in enumerate(metrics):
            opt.step()
            sched.step(m)
            out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter))
            if roundtrip and i == 8:
                state = sched.state_dict()
                sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
                sched.load_state_dict(state)
        return out

    ref = run(torch)
    assert run(gg) == ref
    assert run(gg, roundtrip=True) == ref


def _composite(lib, kind, opt):
    sch = lib.optim.lr_scheduler
    if kind == "sequential":
        warm = sch.LinearLR(opt, start_factor=0.1, total_iters=4)
        cos = sch.CosineAnnealingLR(opt, T_max=10)
        decay = sch.ExponentialLR(opt, gamma=0.9)
        return sch.SequentialLR(opt, [warm, cos, decay], milestones=[4, 14])
    step = sch.StepLR(opt, step_size=4, gamma=0.5)
    exp = sch.ExponentialLR(opt, gamma=0.97)
    return sch.ChainedScheduler([step, exp])


@pytest.mark.parametrize("kind", ["sequential", "chained"])
def test_composite_schedulers_match_torch(kind):
    def run(lib, roundtrip=False):
        opt = _setup(lib, "SGD")
        sched = _composite(lib, kind, opt)
        out = [_snapshot(opt, sched)]
        for epoch in range(EPOCHS):
            opt.step()
            sched.step()
            out.append(_snapshot(opt, sched))
            if roundtrip and epoch == 7:
                state, opt_state = sched.state_dict(), opt.state_dict()
                opt = _setup(lib, "SGD")
                sched = _composite(lib, kind, opt)
                opt.load_state_dict(opt_state)
                sched.load_state_dict(state)
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, got = run(torch), run(gg)
        ref_rt, got_rt = run(torch, True), run(gg, True)
    for r, g, rr, gr in zip(ref, got, ref_rt, got_rt):
        assert g == pytest.approx(r, rel=1e-12, abs=1e-15)
        assert gr == pytest.approx(rr, rel=1e-12, abs=1e-15)


def test_state_dict_layout_matches_torch():
    for name, kwargs in [("StepLR", {"step_size": 3}), ("OneCycleLR", {"max_lr": 1.0,
                                                                       "total_steps": 10}),
                         ("CosineAnnealingLR", {"T_max": 5})]:
        scheds = []
        for lib in (torch, gg):
            opt = _setup(lib, "SGD")
            scheds.append(getattr(lib.optim.lr_scheduler, name)(opt, **kwargs))
        tsd, sd = (s.state_dict() for s in scheds)
        public = {k for k in tsd if not k.startswith("_")}
        assert public <= set(sd), name
        for k in public:
            assert sd[k] == tsd[k], (name, k)


def test_lambda_state_dict_saves_callable_objects_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt = _setup(gg, "SGD")
    sched = gg.optim.lr_scheduler.LambdaLR(opt, [Decay(), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
    sd["lr_lambdas"][0]["rate"] = 0.25
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[0].rate == 0.25


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _setup(gg, "SGD")
    sched = gg.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_errors_match_torch():
    opt = _setup(gg, "SGD")
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        gg.optim.lr_scheduler.StepLR([], 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified"):
        gg.optim.lr_scheduler.StepLR(opt, 2, last_epoch=3)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        gg.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        gg.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0)
    sched = gg.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched.step()
        sched.step()
        with pytest.raises(ValueError, match="Tried to step 3 times"):
            sched.step()


def test_cosine_closed_form_endpoints():
    opt = gg.optim.SGD([gg.zeros(1, requires_grad=True)], lr=1.0)
    sched = gg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    expected = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert lrs == pytest.approx(expected, abs=1e-12)
