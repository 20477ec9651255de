"""``glassgrad.autograd.gradcheck``: finite differences against autograd, PyTorch's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd import GradcheckError, gradcheck
from glassgrad.autograd.function import Function


class _WrongDouble(Function):
    """y = 2 * x
    grad_x = 3 * g   (deliberately wrong, to see gradcheck fail)
    """

    __slots__ = ()
    _raw = True
    node_name = "WrongDoubleBackward0"

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        return 3 * g


class _WrongAtOne(Function):
    """y = x**2
    grad_x = 2 * x * g, except element 1 gets 0   (one bad entry)
    """

    __slots__ = ()
    _raw = True
    node_name = "WrongAtOneBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        grad = 2 * x * g
        grad = grad.copy()
        grad[1] = 0.0
        return grad


def _x(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return gg.tensor(rng.uniform(0.5, 1.5, size=shape), dtype=gg.float64, requires_grad=True)


def test_passes_for_correct_ops():
    x, w = _x(3, 4), _x(4, 2, seed=1)
    assert gradcheck(lambda a, b: (a @ b).tanh(), (x, w))
    assert gradcheck(lambda a: a.max(1), (x,))  # a return_types tuple with int indices
    assert gradcheck(lambda a: (a.var(0), a.prod()), x)  # several outputs, a bare tensor


def test_is_public_and_has_torch_signature_defaults():
    import inspect

    assert gg.autograd.gradcheck is gradcheck
    params = inspect.signature(gradcheck).parameters
    assert [p for p in params][:2] == ["fn", "inputs"]
    assert params["eps"].default == 1e-6
    assert params["atol"].default == 1e-5
    assert params["rtol"].default == 1e-3
    assert params["raise_exception"].default is True


def test_failure_names_output_input_and_worst_element():
    x = _x(3)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda c, a: c * _WrongAtOne.apply(a), (2.0, x))
    msg = str(err.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 1,")
    assert "numerical:" in msg and "analytical:" in msg
    assert "d output[0][1] / d input[1][1]" in msg  # the bad entry, indexed as in the tensors
    assert "1 of 9 entries differ" in msg
    assert isinstance(err.value, RuntimeError)  # like torch's GradcheckError


def test_failure_of_whole_jacobian_and_raise_exception_false():
    x = _x(2, 2)
    with pytest.raises(GradcheckError, match="with respect to input 0"):
        gradcheck(_WrongDouble.apply, (x,))
    assert gradcheck(_WrongDouble.apply, (x,), raise_exception=False) is False


def test_tolerances_are_used():
    x = _x(3)

    def slightly_off(a):
        return _Scale.apply(a)

    assert not gradcheck(slightly_off, (x,), raise_exception=False)
    assert gradcheck(slightly_off, (x,), atol=0.1, rtol=0.0)


class _Scale(Function):
    """y = x
    grad_x = 1.01 * g   (1% off)
    """

    __slots__ = ()
    _raw = True
    node_name = "ScaleBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return 1.01 * g


def test_only_inputs_requiring_grad_are_checked():
    x = _x(3)
    c = gg.tensor([1.0, 2.0, 3.0], dtype=gg.float64)  # no grad: not checked
    assert gradcheck(lambda a, b: a * b, (x, c))


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (gg.zeros(2, dtype=gg.float64),))


def test_float32_inputs_warn_like_torch():
    x = gg.tensor([0.5, 1.5], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        gradcheck(lambda a: a * 2, (x,), eps=1e-3, atol=1e-2)


def test_does_not_modify_the_callers_tensor():
    x = _x(3)
    before = x._data.copy()
    gradcheck(lambda a: a.exp(), (x,))
    np.testing.assert_array_equal(x._data, before)
    assert x.grad is None


def test_output_independent_of_input_gives_zero_jacobian():
    x, y = _x(2), _x(2, seed=1)
    assert gradcheck(lambda a, b: b * 3, (x, y))


def test_agrees_with_torch_gradcheck_on_a_composite():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    data = rng.uniform(0.5, 1.5, size=(3, 4))

    def f(m, a):
        return (a.logsumexp(1) * a.std(0).sum()).sigmoid()

    xt = torch.tensor(data, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: f(torch, a), (xt,))
    assert gradcheck(lambda a: f(gg, a), (gg.tensor(data, requires_grad=True),))
