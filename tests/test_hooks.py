"""Tensor and Module hooks: which fire, in what order, with what arguments, compared with
PyTorch running the same script; removing a handle stops a hook."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")


def _val(t):
    if t is None:
        return None
    return np.round(t.detach().numpy().astype(np.float64), 6).tolist()


def _vals(ts):
    return [_val(t) for t in ts]


def _tensor_hooks(L):
    log = []
    x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: log.append(("x hook 1", _val(g))))
    x.register_hook(lambda g: g * 10)  # replaces x's gradient
    x.register_hook(lambda g: log.append(("x hook 3", _val(g))))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("x post", _val(t.grad))))
    h = x * w
    h.retain_grad()
    h.register_hook(lambda g: log.append(("h hook 1", _val(g))))
    h.register_hook(lambda g: g + 1)  # replaces h's gradient before it flows on
    y = (h * h).sum()
    y.register_hook(lambda g: log.append(("y hook", _val(g))))
    y.backward()
    log.append(("x.grad", _val(x.grad)))
    log.append(("w.grad", _val(w.grad)))
    log.append(("h.grad", _val(h.grad)))
    return log


def test_tensor_hooks_order_arguments_and_replacement_match_torch():
    assert _tensor_hooks(gg) == _tensor_hooks(torch)


def _removal(L):
    log = []
    x = L.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: log.append("leaf") or g * 2)
    h = x * 3
    h_handle = h.register_hook(lambda g: log.append("nonleaf"))
    post = x.register_post_accumulate_grad_hook(lambda t: log.append("post"))
    (h * h).sum().backward(retain_graph=True)
    first = _val(x.grad)
    handle.remove()
    h_handle.remove()
    post.remove()
    x.grad = None
    (h * h).sum().backward()
    return log, first, _val(x.grad)


def test_removed_hooks_stop_firing():
    assert _removal(gg) == _removal(torch)


def test_hooks_fire_in_autograd_grad_too():
    def run(L):
        log = []
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: log.append(_val(g)) or g * 3)
        h = x * x
        h.register_hook(lambda g: log.append(_val(g)))
        (gx,) = L.autograd.grad(h.sum(), x)
        return log, _val(gx), x.grad

    assert run(gg) == run(torch)


def test_hook_registration_errors():
    for L in (gg, torch):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            L.tensor([1.0]).register_hook(lambda g: None)
        x = L.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="non-leaf"):
            (x * 2).register_post_accumulate_grad_hook(lambda t: None)


def _model(L):
    rng = np.random.default_rng(0)
    model = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2))
    with L.no_grad():
        for p in model.parameters():
            p.copy_(L.tensor(rng.uniform(-1, 1, tuple(p.shape)).astype(np.float32)))
    x = L.tensor(rng.uniform(-1, 1, (5, 3)).astype(np.float32))
    return model, x


def _module_hooks(L, x_requires_grad):
    model, x = _model(L)
    x.requires_grad_(x_requires_grad)
    log = []
    handles = []
    for name, m in model.named_children():
        handles.append(m.register_forward_pre_hook(
            lambda mod, args, n=name: log.append(("pre", n, _vals(args)))))
        handles.append(m.register_forward_hook(
            lambda mod, args, out, n=name: log.append(("fwd", n, _vals(args), _val(out)))))
        handles.append(m.register_full_backward_pre_hook(
            lambda mod, go, n=name: log.append(("bwd_pre", n, _vals(go)))))
        handles.append(m.register_full_backward_hook(
            lambda mod, gi, go, n=name: log.append(("bwd", n, _vals(gi), _vals(go)))))
    handles.append(model.register_full_backward_hook(
        lambda mod, gi, go: log.append(("bwd", "model", _vals(gi), _vals(go)))))
    out = model(x)
    out.pow(2).sum().backward()
    grads = [_val(p.grad) for p in model.parameters()]
    for h in handles:
        h.remove()
    n = len(log)
    model(x).sum().backward()
    assert len(log) == n, "removed module hooks still fired"
    return log, grads, _val(x.grad) if x_requires_grad else None


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("x_requires_grad", [False, True])
def test_module_hooks_order_and_arguments_match_torch(x_requires_grad):
    got, want = _module_hooks(gg, x_requires_grad), _module_hooks(torch, x_requires_grad)
    assert [e[:2] for e in got[0]] == [e[:2] for e in want[0]]
    for a, b in zip(got[0], want[0]):
        assert len(a) == len(b)
        for u, v in zip(a[2:], b[2:]):
            np.testing.assert_allclose(np.array(u, dtype=float), np.array(v, dtype=float),
                                       rtol=1e-5, atol=1e-6, err_msg=str(a[:2]))
    for u, v in zip(got[1] + [got[2]], want[1] + [want[2]]):
        if v is None:
            assert u is None
        else:
            np.testing.assert_allclose(np.array(u), np.array(v), rtol=1e-5, atol=1e-6)


def _replacing_module_hooks(L):
    model, x = _model(L)
    x.requires_grad_(True)
    # double the gradient entering the Tanh from above; halve what it passes down
    model[1].register_full_backward_pre_hook(lambda mod, go: tuple(g * 2 for g in go))
    model[1].register_full_backward_hook(lambda mod, gi, go: tuple(g / 4 for g in gi))
    # forward hooks that change args and output
    model[0].register_forward_pre_hook(lambda mod, args: (args[0] * 0.5,))
    model[2].register_forward_hook(lambda mod, args, out: out + 1)
    out = model(x)
    out.pow(2).sum().backward()
    return [_val(out)] + [_val(p.grad) for p in model.parameters()] + [_val(x.grad)]


def test_module_hooks_can_replace_args_outputs_and_gradients():
    for a, b in zip(_replacing_module_hooks(gg), _replacing_module_hooks(torch)):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)


def test_no_hooks_means_no_extra_nodes():
    model, x = _model(gg)
    out = model(x)
    assert out.grad_fn.name() != "_BackwardHookFunctionBackward"
    model[2].register_full_backward_hook(lambda *a: None)
    assert model(x).grad_fn.name() == "_BackwardHookFunctionBackward"


def _guided_backprop(L, legacy):
    """Guided backprop: ReLU modules pass only positive gradients back (a classic hook use)."""
    model, x = _model(L)
    relu_model = L.nn.Sequential(model[0], L.nn.ReLU(), model[2])
    for m in relu_model:
        if isinstance(m, L.nn.ReLU):
            register = m.register_backward_hook if legacy else m.register_full_backward_hook
            register(lambda mod, gi, go: (L.clamp(gi[0], min=0.0),))
    x.requires_grad_(True)
    relu_model(x)[:, 0].sum().backward()
    return _val(x.grad)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("legacy", [False, True])
def test_guided_backprop_with_relu_backward_hooks(legacy):
    np.testing.assert_allclose(np.array(_guided_backprop(gg, legacy)),
                               np.array(_guided_backprop(torch, legacy)), rtol=1e-5, atol=1e-6)


def _param_and_module_hooks(L, with_optimizer_hook):
    model, x = _model(L)
    log = []
    for name, p in model.named_parameters():
        p.register_hook(lambda g, n=name: log.append(("param", n, _val(g))))
        p.register_post_accumulate_grad_hook(lambda t, n=name: log.append(("post", n)))
    for i, m in enumerate(model):
        m.register_full_backward_hook(lambda mod, gi, go, i=i: log.append(("module", i)))
    x.requires_grad_(True)
    x.register_hook(lambda g: log.append(("x", _val(g))))
    if with_optimizer_hook:
        # the optimizer-in-backward pattern: step each parameter as soon as its grad is ready
        def sgd_step(t):
            t.data.sub_(0.1 * t.grad)

        for p in model.parameters():
            p.register_post_accumulate_grad_hook(sgd_step)
    model(x).pow(2).sum().backward()
    return log, [_val(p) for p in model.parameters()]


@pytest.mark.parametrize("with_optimizer_hook", [False, True])
def test_parameter_hooks_interleave_with_module_hooks_as_in_torch(with_optimizer_hook):
    (got, gp), (want, tp) = (_param_and_module_hooks(gg, with_optimizer_hook),
                             _param_and_module_hooks(torch, with_optimizer_hook))
    assert [e[:2] for e in got] == [e[:2] for e in want]
    for a, b in zip(got, want):
        if len(a) == 3:
            np.testing.assert_allclose(np.array(a[2]), np.array(b[2]), rtol=1e-5, atol=1e-6)
    for a, b in zip(gp, tp):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)


def test_post_accumulate_hook_must_return_none():
    for L in (gg, torch):
        x = L.tensor([1.0], requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda t: t.data.sub_(1.0))
        with pytest.raises(RuntimeError, match="should return None"):
            (x * 2).sum().backward()
