"""Acceptance review of issue #3 (training stack): bad input gets PyTorch's error, word for word.

Each case runs the same call on torch and glassgrad and compares the exception type and message
(glassgrad may add a hint after PyTorch's words, never replace them).
"""

import pytest

import glassgrad as gg

torch = pytest.importorskip("torch")


def _err(fn, lib):
    with pytest.raises(Exception) as info:
        fn(lib)
    return info.type, str(info.value).replace("glassgrad", "torch")


def _F(lib):
    return lib.nn.functional


BAD_INPUT = {
    "linear_0d_input": lambda L: L.nn.Linear(3, 2)(L.tensor(1.0)),
    "linear_0d_input_no_bias": lambda L: L.nn.Linear(3, 2, bias=False)(L.tensor(1.0)),
    "linear_wrong_in_features": lambda L: L.nn.Linear(3, 2)(L.ones(4, 5)),
    "linear_dtype_mismatch": lambda L: L.nn.Linear(3, 2)(L.ones(2, 3, dtype=L.float64)),
    "nll_weight_too_long": lambda L: _F(L).nll_loss(
        L.tensor([[-1.0, -2.0], [-0.5, -3.0]]), L.tensor([1, 0]), weight=L.tensor([1.0, 2.0, 3.0])),
    "nll_weight_too_short_sum": lambda L: _F(L).nll_loss(
        L.tensor([[-1.0, -2.0], [-0.5, -3.0]]), L.tensor([1, 0]), weight=L.tensor([1.0]),
        reduction="sum"),
    "ce_weight_2d": lambda L: _F(L).cross_entropy(
        L.tensor([[-1.0, -2.0], [-0.5, -3.0]]), L.tensor([1, 0]), weight=L.tensor([[1.0, 2.0]])),
    "ce_probs_weight_wrong_length": lambda L: _F(L).cross_entropy(
        L.tensor([[-1.0, -2.0], [-0.5, -3.0]]), L.tensor([[0.2, 0.8], [1.0, 0.0]]),
        weight=L.tensor([1.0, 2.0, 3.0])),
    "ce_module_weight_wrong_length": lambda L: L.nn.CrossEntropyLoss(
        weight=L.tensor([1.0, 2.0, 3.0]))(L.tensor([[-1.0, -2.0]]), L.tensor([1])),
    "ce_float_target": lambda L: _F(L).cross_entropy(L.ones(4, 3), L.tensor([0.0, 1, 2, 1])),
    "ce_int32_target": lambda L: _F(L).cross_entropy(
        L.ones(4, 3), L.tensor([0, 1, 2, 1], dtype=L.int32)),
    "ce_batch_mismatch": lambda L: _F(L).cross_entropy(L.ones(4, 3), L.tensor([0, 1, 2])),
    "ce_target_out_of_range": lambda L: _F(L).cross_entropy(L.ones(4, 3), L.tensor([0, 1, 5, 1])),
    "bce_outside_0_1": lambda L: _F(L).binary_cross_entropy(L.tensor([1.5]), L.tensor([1.0])),
    "layer_norm_shape": lambda L: L.nn.LayerNorm(4)(L.ones(2, 3)),
    "one_hot_float": lambda L: _F(L).one_hot(L.tensor([1.0])),
    "optimizer_empty": lambda L: L.optim.SGD([], lr=0.1),
    "ce_spatial_target_shape": lambda L: _F(L).cross_entropy(L.ones(2, 3, 4), L.tensor([0, 1])),
    "huber_negative_delta": lambda L: _F(L).huber_loss(L.ones(2), L.zeros(2), delta=-1.0),
    "huber_module_zero_delta": lambda L: L.nn.HuberLoss(delta=0.0)(L.ones(2), L.zeros(2)),
    "layer_norm_weight_shape": lambda L: _F(L).layer_norm(L.ones(2, 3), (3,), weight=L.ones(4)),
    "layer_norm_bias_shape": lambda L: _F(L).layer_norm(L.ones(2, 3), (3,), bias=L.ones(1, 3)),
    "optimizer_bad_beta": lambda L: L.optim.Adam([L.zeros(1, requires_grad=True)],
                                                 betas=(1.0, 0.9)),
    "optimizer_unknown_option": lambda L: L.optim.SGD([L.zeros(1, requires_grad=True)],
                                                      capturable=True),
    "optimizer_fused_rmsprop": lambda L: L.optim.RMSprop([L.zeros(1, requires_grad=True)],
                                                         fused=True),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_errors_start_with_torchs_words(name):
    t_type, t_msg = _err(BAD_INPUT[name], torch)
    g_type, g_msg = _err(BAD_INPUT[name], gg)
    assert g_type is t_type
    # glassgrad may add a hint (after "(" or ";"), but the message begins with PyTorch's words
    assert g_msg.startswith(t_msg.split(" (while checking")[0].rstrip()), (g_msg, t_msg)


def test_load_state_dict_errors_are_torchs():
    def missing(L):
        m = L.nn.Sequential(L.nn.Linear(3, 2), L.nn.ReLU(), L.nn.Linear(2, 1))
        sd = m.state_dict()
        del sd["0.bias"]
        sd["extra"] = L.zeros(1)
        sd["2.weight"] = L.zeros(5, 5)
        m.load_state_dict(sd)

    assert _err(missing, gg) == _err(missing, torch)


def test_unsupported_differentiable_option_says_so():
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        gg.optim.Adam([gg.zeros(1, requires_grad=True)], differentiable=True)


def test_weighted_nll_and_cross_entropy_still_match_torch():
    import numpy as np

    x = np.random.default_rng(0).normal(size=(5, 3))
    t = [0, 2, 1, 2, 0]
    w = np.array([0.5, 2.0, 1.0])
    for red in ("mean", "sum", "none"):
        got = gg.nn.functional.cross_entropy(gg.tensor(x), gg.tensor(t), weight=gg.tensor(w),
                                             reduction=red)
        ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t),
                                                weight=torch.tensor(w), reduction=red)
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape,target", [((4,), 2), ((1, 4), [2]), ((2, 4, 1), [[2], [2]]),
                                          ((2, 4), [2, 1])])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_ignored_targets_get_zero_gradient_like_torch(shape, target, smoothing, weighted):
    """A batch whose targets are all ignore_index (a padding-only batch): the 'mean' loss is nan
    in both, but PyTorch's gradient is 0 there, so one such batch does not wreck the model; it
    was nan in glassgrad. (With weight[t] == 0 for every kept target, both give nan.)"""
    import warnings

    import numpy as np

    res = []
    for L in (gg, torch):
        x = L.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape), requires_grad=True)
        w = L.tensor([1.0, 0.0, 0.5, 0.0], dtype=L.float64) if weighted else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = L.nn.functional.cross_entropy(x, L.tensor(target), weight=w, ignore_index=2,
                                                 label_smoothing=smoothing)
            loss.backward()
        res.append((loss.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12, atol=1e-15, equal_nan=True)


def test_where_and_masked_fill_send_zero_not_nan_past_an_infinite_gradient():
    import numpy as np

    res = []
    for L in (gg, torch):
        x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        inf = L.tensor([float("inf"), 1.0, 1.0], dtype=L.float64)
        (L.where(x > 1.5, x, x * 2) * inf).sum().backward()
        g1 = x.grad.numpy().copy()
        x.grad = None
        (x.masked_fill(x < 1.5, 0.0) * inf).sum().backward()
        res.append((g1, x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


def test_leaky_relu_refuses_integer_input_like_torch():
    # torch: NotImplementedError "leaky_relu_cpu" not implemented for 'Long' (a RuntimeError);
    # glassgrad returned a float64 tensor
    with pytest.raises(NotImplementedError):
        torch.nn.LeakyReLU()(torch.tensor([1, -2]))
    with pytest.raises(RuntimeError, match="leaky_relu.*Long"):
        gg.nn.LeakyReLU()(gg.tensor([1, -2]))
