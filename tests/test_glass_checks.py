"""Training-loop checks: each fires on a small faulty loop and stays silent on the correct one;
and the learners' gradient check (finite differences, the seed's hand-written gradient)."""

import warnings

import numpy as np
import pytest

import glassgrad as torch
from glassgrad import glass, nn

X = torch.tensor([1.0, 2.0, 3.0, 4.0])
Y = torch.tensor([2.0, 4.0, 6.0, 8.0])


def seed(lr=0.01, steps=8, zero_grad=True, pred_shape=None):
    w = torch.tensor(0.0, requires_grad=True)
    for _ in range(steps):
        y_hat = w * X
        if pred_shape is not None:
            y_hat = y_hat.reshape(pred_shape)
        loss = ((y_hat - Y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        if zero_grad:
            w.grad.zero_()
    return w


def kinds(fn, *args, **kwargs):
    with glass.trace(warn=False) as t:
        fn(*args, **kwargs)
    return {f.kind for f in t.warnings}, t


def test_correct_seed_loop_is_silent():
    found, t = kinds(seed)
    assert found == set()
    assert len(t.steps) == 8


def test_missing_zero_grad():
    found, t = kinds(seed, zero_grad=False)
    assert "zero_grad missing" in found
    f = next(f for f in t.warnings if f.kind == "zero_grad missing")
    assert f.where.endswith(f"test_glass_checks.py:{seed.__code__.co_firstlineno + 7}")
    assert "zero_grad" in f.message and f.step == 2


def test_broadcast_n1_against_n():
    found, t = kinds(seed, pred_shape=(4, 1))
    assert "broadcast" in found
    f = next(f for f in t.warnings if f.kind == "broadcast")
    assert "[4, 1]" in f.message and "[4]" in f.message and "[4, 4]" in f.message
    assert "test_glass_checks.py" in f.where
    found, _ = kinds(seed, pred_shape=(4,))
    assert "broadcast" not in found


def test_rising_loss_and_exploding_gradients():
    found, _ = kinds(seed, lr=0.2, steps=12)
    assert "loss rising" in found
    assert "exploding gradients" in found
    found, _ = kinds(seed, lr=0.01, steps=12)
    assert not found & {"loss rising", "exploding gradients"}


def nan_loop(shift):
    w = torch.tensor(1.0, requires_grad=True)
    for _ in range(2):
        loss = torch.log(w * X - shift).mean()
        loss.backward()
        w.grad.zero_()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own note about log(<0)
def test_nan_loss_names_the_op():
    found, t = kinds(nan_loop, 10.0)
    assert "nan/inf" in found
    f = next(f for f in t.warnings if f.kind == "nan/inf")
    assert "LogBackward0" in f.message
    assert f.where.endswith(f"test_glass_checks.py:{nan_loop.__code__.co_firstlineno + 3}")
    found, _ = kinds(nan_loop, -1.0)
    assert "nan/inf" not in found


def nan_grad_loop(start):
    w = torch.tensor(start, requires_grad=True)
    loss = torch.sqrt(w * X).sum()
    loss.backward()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nonfinite_gradient_names_the_op():
    found, t = kinds(nan_grad_loop, 0.0)
    assert "nan/inf" in found
    assert any("SqrtBackward0" in f.message for f in t.warnings)
    found, _ = kinds(nan_grad_loop, 1.0)
    assert "nan/inf" not in found


def saturated_loop(w1_start):
    w1 = torch.tensor(w1_start, requires_grad=True)
    w2 = torch.tensor(1.0, requires_grad=True)
    x = torch.tensor([10.0, 20.0])
    for _ in range(4):
        a = torch.sigmoid(w1 * x)
        loss = ((w2 * a - 0.5) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w1 -= 0.1 * w1.grad
            w2 -= 0.1 * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()


def test_vanishing_gradients():
    found, t = kinds(saturated_loop, 5.0)
    assert "vanishing gradients" in found
    assert any("w1" in f.message for f in t.warnings if f.kind == "vanishing gradients")
    found, _ = kinds(saturated_loop, 0.01)
    assert "vanishing gradients" not in found


def relu_loop(bias):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        model[0].bias.fill_(bias)
    x = torch.randn(64, 3)
    target = torch.randn(64, 1)
    for _ in range(6):
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.01 * p.grad
                p.grad.zero_()


def test_dead_relu_units():
    found, t = kinds(relu_loop, -100.0)
    assert "dead ReLU" in found
    f = next(f for f in t.warnings if f.kind == "dead ReLU")
    assert "8 of 8" in f.message and "model.1" in f.message
    found, _ = kinds(relu_loop, 0.5)
    assert "dead ReLU" not in found


def test_warnings_carry_the_users_file_and_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with glass.trace():
            seed(zero_grad=False, steps=3)
    ours = [w for w in caught if issubclass(w.category, glass.GlassWarning)]
    assert ours
    assert ours[0].filename.endswith("test_glass_checks.py")
    assert ours[0].lineno == seed.__code__.co_firstlineno + 7


# -- gradient checks ----------------------------------------------------------------------------


def test_check_gradient_agrees_with_finite_differences():
    torch.manual_seed(0)
    w = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    x = torch.randn(5, 3, dtype=torch.float64)
    res = glass.check_gradient(lambda: torch.tanh(x @ w + b).sum(), [w, b])
    assert res.ok
    assert [r["name"] for r in res.rows] == ["w", "b"]
    assert "finite diff" in str(res)
    assert w.grad is None and b.grad is None


def test_check_gradient_catches_a_wrong_custom_backward():
    class BadSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # the 2 is missing

    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    res = glass.check_gradient(lambda: BadSquare.apply(w).sum(), [w])
    assert not res.ok
    assert "MISMATCH" in str(res)


def test_seed_hand_written_gradient_is_off_by_n():
    w = torch.tensor(0.0, requires_grad=True)

    def forward(x):
        return w * x

    def loss_fn(y, y_hat):
        return ((y - y_hat) ** 2).mean()

    def gradient(x, y, y_hat):  # the seed's hand-written gradient
        return np.dot(2 * x, y_hat - y).mean()

    hand = gradient(X.numpy(), Y.numpy(), forward(X).detach().numpy())
    res = glass.check_gradient(lambda: loss_fn(Y, forward(X)), [w], hand=[hand])
    text = str(res)
    assert res.ok  # autograd itself is right
    assert "off by a factor of N = 4" in text
    assert "-120.0" in text and "-30.0" in text


@pytest.mark.parametrize("mine, auto, kind", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0]), "equal"),
    (np.array([-1.0, -2.0]), np.array([1.0, 2.0]), "sign"),
    (np.array([4.0, 8.0]), np.array([1.0, 2.0]), "factor N"),
    (np.array([2.0, 4.0]), np.array([1.0, 2.0]), "factor 2"),
    (np.arange(6.0).reshape(2, 3).T, np.arange(6.0).reshape(2, 3), "transpose"),
    (np.ones((5, 3)), np.full(3, 5.0), "missing sum"),
    (np.array([1.5, 2.5]), np.array([1.0, 2.0]), "offset"),
    (np.array([1.0, 7.0]), np.array([1.0, 2.0]), "different"),
])
def test_compare_gradient_kinds(mine, auto, kind):
    v = glass.compare_gradient(mine, auto)
    assert v.kind == kind, str(v)
    assert v.ok == (kind == "equal")


def test_broadcast_inside_fused_mse_loss():
    import glassgrad.nn.functional as F

    w = torch.tensor(0.5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mse_loss's own size warning
        with glass.trace(warn=False) as t:
            F.mse_loss((w * X).reshape(4, 1), Y).backward()
        with glass.trace(warn=False) as ok:
            F.mse_loss(w * X, Y).backward()
    assert "broadcast" in {f.kind for f in t.warnings}
    assert ok.warnings == []


def test_explain_fused_mse_loss():
    import glassgrad.nn.functional as F

    w = torch.tensor(0.0, requires_grad=True)
    with glass.trace() as t:
        y_hat = w * X
        loss = F.mse_loss(y_hat, Y)
        loss.backward()
    text = str(t.explain("w"))
    assert "dL/dy_hat_i = 2 (y_hat_i - Y_i) / N" in text
    assert "dL/dw = -30.0" in text
