"""glass.trace and glass.explain on the seed tutorial: numbers equal the hand-derived ones."""

import numpy as np
import pytest

import glassgrad as torch
from glassgrad import glass
from glassgrad.autograd.function import state

X = torch.tensor([1, 2, 3, 4], dtype=torch.float32)
y = torch.tensor([2, 4, 6, 8], dtype=torch.float32)
LR = 0.01


def forward(x, w):
    return w * x


def loss_fn(y, y_hat):
    return ((y - y_hat) ** 2).mean()


def seed_loop(w, epochs=5, explain_at=None):
    out = []
    for epoch in range(epochs):
        y_hat = forward(X, w)
        loss = loss_fn(y, y_hat)
        if explain_at == epoch:
            out.append(glass.explain(loss, w))
        loss.backward()
        with torch.no_grad():
            w -= LR * w.grad
        w.grad.zero_()
        out.append((loss.item(), w.item()))
    return out


def hand_derived(epochs):
    """The seed's four steps by hand (float64): w, y_hat, dL/dy_hat, dL/dw, update per epoch."""
    x = np.array([1, 2, 3, 4], dtype=np.float64)
    t = np.array([2, 4, 6, 8], dtype=np.float64)
    w = 0.0
    rows = []
    for _ in range(epochs):
        y_hat = w * x
        dl_dyhat = 2 * (y_hat - t) / x.size
        dl_dw = float(np.sum(dl_dyhat * x))
        update = -LR * dl_dw
        rows.append({"w": w, "y_hat": y_hat, "dL/dy_hat": dl_dyhat, "dL/dw": dl_dw,
                     "update": update, "loss": float(np.mean((t - y_hat) ** 2))})
        w = w + update
    return rows


def test_seed_trace_matches_hand_derived_values():
    w = torch.tensor(0.0, requires_grad=True)
    with glass.trace() as t:
        seed_loop(w, epochs=5)
    assert len(t.steps) == 5
    for step, want in zip(t.steps, hand_derived(5)):
        mul = step.node("MulBackward0")
        wn = step.node("w")
        assert wn.kind == "leaf"
        np.testing.assert_allclose(float(wn.value), want["w"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(mul.value, want["y_hat"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(mul.grad, want["dL/dy_hat"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(float(wn.grad_after), want["dL/dw"], rtol=1e-5)
        np.testing.assert_allclose(step.loss, want["loss"], rtol=1e-5)
        (u,) = step.updates
        assert u.name == "w"
        np.testing.assert_allclose(float(u.update), want["update"], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(float(u.grad), want["dL/dw"], rtol=1e-5)
        assert u.inferred_lr() == pytest.approx(LR)
    # the local gradients of epoch 1 (w = 0): mean 1/N, pow 2*(y - y_hat), sub -1, mul x
    s = t.steps[0]
    np.testing.assert_allclose(s.node("MeanBackward0").local[0], [0.25] * 4)
    np.testing.assert_allclose(s.node("PowBackward0").local[0], [4, 8, 12, 16])
    np.testing.assert_allclose(s.node("SubBackward0").local[1], [-1] * 4)
    np.testing.assert_allclose(s.node("MulBackward0").local[0], [1, 2, 3, 4])
    np.testing.assert_allclose(s.node("MulBackward0").products[0], [-1, -4, -9, -16])
    assert s.node("MulBackward0").name == "y_hat"
    assert s.node("MeanBackward0").name == "loss"
    assert s.node("MulBackward0").rule[0] == "y = a * b"


def test_tracing_changes_no_number():
    def run(traced):
        w = torch.tensor(0.0, requires_grad=True)
        if traced:
            with glass.trace():
                res = seed_loop(w, epochs=20)
        else:
            res = seed_loop(w, epochs=20)
        return res

    plain = run(False)
    traced = run(True)
    assert [np.float32(a).tobytes() for r in plain for a in r] == \
        [np.float32(a).tobytes() for r in traced for a in r]
    assert state.forward_hooks == [] and state.backward_hooks == []
    from glassgrad.autograd import engine

    assert engine.run_backward.__module__ == "glassgrad.autograd.engine"
    assert torch.autograd.run_backward is engine.run_backward


def test_explain_epoch_1_standalone_leaves_grad_alone():
    w = torch.tensor(0.0, requires_grad=True)
    y_hat = forward(X, w)
    loss = loss_fn(y, y_hat)
    e = glass.explain(loss, w)
    text = str(e)
    assert float(e.value) == -30.0
    assert "dL/dw = sum_i dL/dy_hat_i * dy_hat_i/dw" in text
    assert "dL/dy_hat_i = 2 (y_hat_i - y_i) / N" in text
    assert "dL/dw = -30.0" in text
    path = "L <- MeanBackward0 <- PowBackward0 <- SubBackward0 <- MulBackward0 <- w"
    assert path in text
    assert w.grad is None  # explain captured its gradient, it did not accumulate it
    loss.backward()  # the graph is still there for the user's own backward
    assert w.grad.item() == -30.0


def test_explain_inside_trace_uses_forward_names():
    w = torch.tensor(0.0, requires_grad=True)
    with glass.trace() as t:
        res = seed_loop(w, epochs=2, explain_at=0)
    e = res[0]
    assert float(e.value) == -30.0
    text = str(e)
    assert "dy_hat_i/dw = x_i" in text
    assert "dL/dy_hat_i = 2 (y_hat_i - y_i) / N" in text
    # the trace explains any recorded step, also after backward
    e2 = t.explain("w", step=2)
    assert float(e2.value) == pytest.approx(2 * np.sum((0.3 * np.arange(1, 5) - 2 * np.arange(
        1, 5)) * np.arange(1, 5)) / 4, rel=1e-5)


def test_explain_after_backward_without_trace_says_what_to_do():
    w = torch.tensor(0.0, requires_grad=True)
    loss = loss_fn(y, forward(X, w))
    loss.backward()
    with pytest.raises(RuntimeError, match="before loss.backward"):
        glass.explain(loss, w)


def test_tensor_used_twice_accumulates_into_leaf():
    w = torch.tensor(3.0, requires_grad=True)
    x = torch.tensor([1.0, 2.0])
    with glass.trace() as t:
        loss = (w * x + w * w).sum()
        loss.backward()
    s = t.steps[0]
    wn = s.node("w")
    contrib = sorted(float(c) for c in wn.contributions)
    # d/dw sum(w*x) = sum(x) = 3; d/dw sum(w*w) = 2 * (2*w) summed over 2 elements... by torch:
    torch_ = pytest.importorskip("torch")
    tw = torch_.tensor(3.0, requires_grad=True)
    (tw * torch_.tensor([1.0, 2.0]) + tw * tw).sum().backward()
    assert sum(contrib) == pytest.approx(tw.grad.item())
    assert len(contrib) >= 2
    text = str(t.explain("w"))
    assert "accumulated into w.grad" in text
    assert f"dL/dw = {float(tw.grad.item()):.1f}" in text


def test_large_tensors_are_summarised():
    torch.manual_seed(0)
    w = torch.randn(100, requires_grad=True)
    x = torch.randn(100)
    with glass.trace() as t:
        loss = (w * x).sum()
        loss.backward()
    mul = t.steps[0].node("MulBackward0")
    assert mul.value.shape == (100,)
    np.testing.assert_allclose(mul.value.mean, float((w * x).mean().detach()), rtol=1e-5)
    np.testing.assert_allclose(mul.value.norm, np.linalg.norm(w._data * x._data), rtol=1e-5)


def mlp_run(traced):
    from glassgrad import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(8, 3)
    target = torch.randn(8, 1)
    losses = []

    def loop():
        for _ in range(3):
            opt.zero_grad()
            loss = ((model(x) - target) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())

    if traced:
        with glass.trace() as t:
            loop()
    else:
        t = None
        loop()
    return t, losses, [p._data.copy() for p in model.parameters()]


def test_optimizer_updates_with_momentum_and_module_names():
    t, _, _ = mlp_run(True)
    s1, s2 = t.steps[0], t.steps[1]
    names = [u.name for u in s1.updates]
    assert names == ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"]
    for u1 in s1.updates:
        u2 = s2.update_of(u1.name)
        assert u1.lr == 0.1
        # SGD with momentum: buf1 = g1, buf2 = 0.9 * buf1 + g2; update = -lr * buf
        np.testing.assert_allclose(u1.state["momentum_buffer"], u1.grad, rtol=1e-6)
        np.testing.assert_allclose(u1.update, -0.1 * u1.grad, rtol=1e-4, atol=1e-7)
        buf2 = 0.9 * u1.grad.astype(np.float64) + u2.grad
        np.testing.assert_allclose(u2.state["momentum_buffer"], buf2, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(u2.update, -0.1 * buf2, rtol=1e-4, atol=1e-6)
    assert s1.node("model.0.weight").kind == "leaf"
    assert "model.0" in {n.label for n in s1.nodes}


def test_tracing_nn_and_optim_is_bit_identical():
    _, l0, p0 = mlp_run(False)
    _, l1, p1 = mlp_run(True)
    assert l0 == l1
    assert all(a.tobytes() == b.tobytes() for a, b in zip(p0, p1))


def test_core_does_not_import_glass_but_offers_it_lazily():
    import subprocess
    import sys

    code = ("import sys, glassgrad; assert 'glassgrad.glass' not in sys.modules; "
            "assert callable(glassgrad.glass.trace)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_long_runs_keep_a_bounded_spread_of_graphs():
    w = torch.tensor(0.0, requires_grad=True)
    with glass.trace(max_graphs=20) as t:
        seed_loop(w, epochs=60)
    assert len(t.steps) == 60
    kept = [s.index for s in t.steps if not s.thinned]
    assert len(kept) <= 20
    assert kept[:10] == list(range(1, 11)) and kept[-1] == 60
    # every step keeps its loss, update and norms; the report charts all of them
    assert all(s.loss is not None and s.updates and "w" in s.stats for s in t.steps)
    want = hand_derived(60)
    for s in t.steps:
        np.testing.assert_allclose(s.stats["w"][1], abs(want[s.index - 1]["dL/dw"]), rtol=1e-3,
                                   atol=1e-5)  # float32 against float64 after 60 steps
    thinned = next(s for s in t.steps if s.thinned)
    with pytest.raises(KeyError, match="not kept"):
        thinned.node("w")
    assert float(t.explain("w", 60).value) == pytest.approx(want[59]["dL/dw"], rel=1e-3)
    from glassgrad.glass.report import report_data

    data = report_data(t)
    assert len(data["series"]["loss"]) == 60
    assert all(int(k) in kept for k in data["rendered"])


def cnn_run(traced):
    import glassgrad.nn.functional as F
    from glassgrad import nn

    if not hasattr(nn, "Conv2d"):
        pytest.skip("no nn.Conv2d yet")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(2 * 3 * 3, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randn(4, 1, 6, 6)
    y = torch.tensor([0, 1, 2, 1])
    t = glass.trace(warn=False) if traced else None
    losses = []
    if t is not None:
        t.__enter__()
    try:
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    finally:
        if t is not None:
            t.__exit__(None, None, None)
    return t, losses, [p._data.copy() for p in model.parameters()]


def test_cnn_with_adam_traced_bit_identical():
    _, l0, p0 = cnn_run(False)
    t, l1, p1 = cnn_run(True)
    assert l0 == l1 and all(a.tobytes() == b.tobytes() for a, b in zip(p0, p1))
    s = t.steps[0]
    ops = [n.op for n in s.nodes if n.kind == "op"]
    assert ops[0] == "ConvolutionBackward0" and ops[-1] == "NllLossBackward0"
    u = s.update_of("model.0.bias")
    assert u.optimizer == "Adam" and u.lr == 0.01 and set(u.state) >= {"exp_avg", "exp_avg_sq"}
    assert u.inferred_lr() is None  # Adam's update is not -lr * grad
    e = t.explain("model.4.bias", 1)
    np.testing.assert_allclose(e.value, s.update_of("model.4.bias").grad, rtol=1e-6)
