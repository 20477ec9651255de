"""``loss.backward()`` keeps each node's incoming gradient in the node (``_g``) until it runs.

These pin down the two ways that could leak between backward passes: a second backward started
while one runs (from a hook), and a backward stopped by an error. Results are compared with
PyTorch.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import glassgrad as gg


def _nested_backward_from_hook(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2  # two consumers: y's node waits for both while the hook below runs
    a = y * 3
    b = y * 4
    loss2 = (y * 5).sum()
    seen = []

    def hook(g):
        loss2.backward(retain_graph=True)
        seen.append(x.grad.tolist())  # the inner backward has finished: its part is there

    a.register_hook(hook)
    (a + b).sum().backward()
    return seen, x.grad.tolist()


def test_backward_started_from_a_hook_keeps_its_gradients_apart():
    # 2 * 5 from the backward the hook starts, then 2 * (3 + 4) more from the outer one
    got = _nested_backward_from_hook(gg)
    assert got == _nested_backward_from_hook(torch) == ([[10.0, 10.0]], [24.0, 24.0])


def _boom(lib, fail_first=True):
    """A custom identity op whose first backward raises (when ``fail_first``)."""
    calls = []

    class Boom(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            if fail_first and len(calls) == 1:
                raise ValueError("boom")
            return g

    return Boom


def _backward_after_an_error(lib):
    Boom = _boom(lib)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    # y * 3 runs before Boom (it was made later), so y's node has a gradient waiting when
    # Boom's backward raises
    loss = (Boom.apply(y) + y * 3).sum()
    with pytest.raises(ValueError, match="boom"):
        loss.backward(retain_graph=True)
    first = x.grad
    loss.backward()
    return first, x.grad.tolist()


def test_a_backward_stopped_by_an_error_leaves_no_gradient_waiting():
    assert _backward_after_an_error(gg) == _backward_after_an_error(torch) == (None, [8.0, 8.0])


def test_a_scalar_root_whose_node_has_two_outputs():
    class Split(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum() * 1, x.sum() * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return (g1 + 2 * g2).expand(2) if g2 is not None else g1.expand(2)

    x = gg.tensor([1.0, 2.0], requires_grad=True)
    first, _ = Split.apply(x)
    first.backward()  # a scalar root whose node has two outputs
    assert x.grad.tolist() == [1.0, 1.0]


def _two_outputs_twice(lib, fail_first):
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    Boom = _boom(lib, fail_first)

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a, b = Split.apply(x)
    # b * 5 runs first and fills one of Split's two slots; then Boom's backward may raise
    loss = (Boom.apply(a) + b * 5).sum()
    for _ in range(2):
        try:
            loss.backward(retain_graph=True)
        except ValueError:
            pass
    return x.grad.tolist()


@pytest.mark.parametrize("fail_first", [False, True])
def test_a_node_with_two_outputs_gets_fresh_slots_for_each_backward(fail_first):
    got = _two_outputs_twice(gg, fail_first)
    assert got == _two_outputs_twice(torch, fail_first)
    assert got == ([17.0, 17.0] if fail_first else [34.0, 34.0])
