"""User ops through ``autograd.Function``, compared with PyTorch running the same code."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")


def _legendre_tutorial(lib, steps=2000):
    """PyTorch's tutorial "Defining New autograd Functions" (polynomial_custom_function.py)."""

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = lib.float
    x = lib.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = lib.sin(x)
    a = lib.full((), 0.0, dtype=dtype, requires_grad=True)
    b = lib.full((), -1.0, dtype=dtype, requires_grad=True)
    c = lib.full((), 0.0, dtype=dtype, requires_grad=True)
    d = lib.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    lines = []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            lines.append((t, loss.item()))
        loss.backward()
        with lib.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    grad_fn = repr(y_pred.grad_fn).split(" ")[0]
    p3_name = P3(c + d * x).grad_fn.name()
    return lines, [a.item(), b.item(), c.item(), d.item()], grad_fn, p3_name


def test_legendre_tutorial_matches_torch():
    lines, coeffs, fn, p3 = _legendre_tutorial(gg)
    t_lines, t_coeffs, t_fn, t_p3 = _legendre_tutorial(torch)
    assert [t for t, _ in lines] == [t for t, _ in t_lines]
    np.testing.assert_allclose([v for _, v in lines], [v for _, v in t_lines], rtol=2e-4)
    np.testing.assert_allclose(coeffs, t_coeffs, rtol=2e-4, atol=1e-6)
    assert fn == t_fn == "<AddBackward0"
    assert p3 == t_p3 == "LegendrePolynomial3Backward"


def _multi_output(lib):
    seen = {}

    class SplitScale(lib.autograd.Function):
        """Two outputs, a non-tensor argument, a saved output."""

        @staticmethod
        def forward(ctx, x, k, w):
            seen["needs"] = ctx.needs_input_grad
            seen["grad_enabled"] = lib.is_grad_enabled()
            e = x.exp()
            ctx.save_for_backward(x, w, e)
            ctx.k = k
            return e * k, x * w

        @staticmethod
        def backward(ctx, g_e, g_xw):
            x, w, e = ctx.saved_tensors
            seen["grads"] = (g_e.numpy().copy(), g_xw.numpy().copy())
            return g_e * e * ctx.k + g_xw * w, None, g_xw * x

    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.5, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
    p, q = SplitScale.apply(x, 3.0, w)
    loss = (p * q).sum() + q.sum()
    loss.backward()
    only_first = SplitScale.apply(x, 3.0, w)[0].sum()
    (gx_first,) = lib.autograd.grad(only_first, x)
    return (seen, p.detach().numpy(), q.detach().numpy(), x.grad.numpy(), w.grad.numpy(),
            gx_first.numpy(), type(p.grad_fn).__name__, p.grad_fn is q.grad_fn)


def test_multiple_outputs_non_tensor_args_and_saved_outputs():
    got, want = _multi_output(gg), _multi_output(torch)
    assert got[0]["needs"] == want[0]["needs"] == (True, False, True)
    assert got[0]["grad_enabled"] is want[0]["grad_enabled"] is False
    for a, b in zip(got[0]["grads"], want[0]["grads"]):
        np.testing.assert_allclose(a, b)
    for a, b in zip(got[1:6], want[1:6]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert got[6] == want[6] == "SplitScaleBackward"
    assert got[7] and want[7]


def _non_diff_and_materialize(lib):
    seen = []

    class SortWithIdx(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            order = np.argsort(x.detach().numpy(), kind="stable")
            idx = lib.tensor(order)
            ctx.mark_non_differentiable(idx)
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(idx)
            return lib.tensor(x.detach().numpy()[order]), idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            seen.append(g_idx)
            out = np.zeros(g.shape[0], dtype=np.float32)
            out[idx.numpy()] = g.numpy()
            return lib.tensor(out)

    x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
    y, idx = SortWithIdx.apply(x)
    (y * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
    return idx.requires_grad, y.requires_grad, seen[0], x.grad.numpy(), idx.numpy()


def test_mark_non_differentiable_and_set_materialize_grads():
    got, want = _non_diff_and_materialize(gg), _non_diff_and_materialize(torch)
    assert got[0] is want[0] is False
    assert got[1] is want[1] is True
    assert got[2] is None and want[2] is None
    np.testing.assert_allclose(got[3], want[3])
    np.testing.assert_array_equal(got[4], want[4])


def _dirty(lib):
    class MulTwo_(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = lib.tensor([1.0, 2.0], requires_grad=True)
    h = a * 3
    out = MulTwo_.apply(h)
    (out * out).sum().backward()
    return out is h, out.numpy(force=True) if lib is gg else out.detach().numpy(), \
        a.grad.numpy(), h._version


def test_mark_dirty_in_place():
    got, want = _dirty(gg), _dirty(torch)
    assert got[0] is want[0] is True
    np.testing.assert_allclose(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2])
    assert got[3] == want[3] == 2


def test_mark_dirty_on_leaf_that_requires_grad_raises():
    for lib in (gg, torch):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            Bad.apply(lib.tensor([1.0], requires_grad=True))


def _double_backward(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2  # differentiable ops: create_graph=True works through it

    x = lib.tensor([0.5, -2.0], dtype=lib.float64, requires_grad=True)
    (g1,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = lib.autograd.grad(g2.sum(), x)
    return [g.detach().numpy() for g in (g1, g2, g3)]


def test_double_backward_through_custom_function():
    for a, b in zip(_double_backward(gg), _double_backward(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_once_differentiable_refuses_double_backward():
    for lib in (gg, torch):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = Square.apply(x)
        (g,) = lib.autograd.grad(y, x, lib.ones(2, requires_grad=True), create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), [2.0, 4.0])
        with pytest.raises(RuntimeError, match="once_differentiable"):
            g.sum().backward()


def _setup_context_style(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, k = inputs
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, 4.0).sum().backward()
    return x.grad.numpy()


def test_setup_context_style():
    np.testing.assert_allclose(_setup_context_style(gg), _setup_context_style(torch))


def test_wrong_gradient_count_and_non_tensor_gradient_errors():
    for lib in (gg, torch):
        class TooFew(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g

        class GradForFloat(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g

        x = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="incorrect number of gradients"):
            TooFew.apply(x, x).sum().backward()
        with pytest.raises(RuntimeError, match="different than None at position 2"):
            GradForFloat.apply(x, 2.0).sum().backward()


def test_no_graph_when_nothing_requires_grad_or_under_no_grad():
    class Ident(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    assert Ident.apply(gg.ones(2)).grad_fn is None
    with gg.no_grad():
        assert Ident.apply(gg.ones(2, requires_grad=True)).grad_fn is None


def test_saved_input_modified_in_place_is_caught():
    for lib in (gg, torch):
        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * 1
        y = Sq.apply(h)
        with lib.no_grad():
            h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_saving_the_output_makes_no_reference_cycle():
    import gc
    import weakref

    class MyExp(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = gg.tensor([0.5, 1.0], requires_grad=True)
    gc.disable()
    try:
        y = MyExp.apply(x)
        node = weakref.ref(y.grad_fn)
        y.sum().backward(retain_graph=True)
        np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-6)
        del y
        assert node() is None, "the node outlived its output: a reference cycle"
    finally:
        gc.enable()


def test_calling_an_instance_gives_torchs_legacy_error():
    for lib in (gg, torch):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        with pytest.raises(RuntimeError, match="Legacy autograd function"), \
                pytest.warns(DeprecationWarning) if lib is torch else _nullcontext():
            Double()(lib.ones(1))


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def _dirty_second_input_seen_earlier(lib):
    class DoubleSecond_(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.mark_dirty(b)
            b.mul_(2)
            return b

        @staticmethod
        def backward(ctx, g):
            return None, g * 2

    l1 = lib.tensor([1.0, 1.0], requires_grad=True)
    l2 = lib.tensor([5.0, 7.0], requires_grad=True)
    b = l2 * 1
    s = b.sum()  # made before the in-place change: its gradient goes to b's old history
    out = DoubleSecond_.apply(l1 * 1, b)
    (s + out.sum()).backward()
    return l1.grad, l2.grad.numpy()


def test_mark_dirty_on_second_input_keeps_earlier_consumers_on_old_history():
    got, want = _dirty_second_input_seen_earlier(gg), _dirty_second_input_seen_earlier(torch)
    assert got[0] is None and want[0] is None
    np.testing.assert_array_equal(got[1], want[1])  # 1 + 2 each, not 2 * (1 + 1)
