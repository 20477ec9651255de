"""Attention, Transformer encoder and recurrent layers vs PyTorch with copied weights:
outputs, hidden states, and gradients (inputs and every parameter), float64 and float32."""

from collections import OrderedDict

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [(np.float64, 1e-10), (np.float32, 1e-4)]


def _gdt(dtype):
    return gg.float64 if dtype == np.float64 else gg.float32


def _tdt(dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def _copy_weights(gmod, tmod):
    gmod.load_state_dict(OrderedDict((k, gg.from_numpy(v.detach().numpy().copy()))
                                     for k, v in tmod.state_dict().items()))


def _flat(out):
    """Tensors of a (nested) output tuple, in order."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _compare(gmod, tmod, g_in, t_in, tol, seed=0, kwargs=None):
    kwargs = kwargs or ({}, {})
    g_out, t_out = _flat(gmod(*g_in, **kwargs[0])), _flat(tmod(*t_in, **kwargs[1]))
    assert len(g_out) == len(t_out)
    rng = np.random.default_rng(seed)
    g_loss = t_loss = 0
    for go, to in zip(g_out, t_out):
        assert tuple(go.shape) == tuple(to.shape)
        np.testing.assert_allclose(go._data, to.detach().numpy(), rtol=tol, atol=tol)
        up = rng.standard_normal(to.shape)
        g_loss = g_loss + (go * gg.tensor(up, dtype=go.dtype)).sum()
        t_loss = t_loss + (to * torch.tensor(up, dtype=to.dtype)).sum()
    g_loss.backward()
    t_loss.backward()
    for gi, ti in zip(g_in, t_in):
        if isinstance(ti, torch.Tensor) and ti.requires_grad:
            np.testing.assert_allclose(gi.grad._data, ti.grad.numpy(), rtol=tol, atol=tol)
    gparams = dict(gmod.named_parameters())
    for name, tp in tmod.named_parameters():
        np.testing.assert_allclose(gparams[name].grad._data, tp.grad.numpy(), rtol=tol, atol=tol,
                                   err_msg=name)


def _inputs(shapes, dtype, seed=1):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return ([gg.tensor(x, requires_grad=True) for x in xs],
            [torch.tensor(x, requires_grad=True) for x in xs])


RNNS = [
    ("rnn", lambda m: m.RNN(3, 4), (5, 2, 3)),
    ("rnn_relu_2layer", lambda m: m.RNN(3, 4, num_layers=2, nonlinearity="relu"), (5, 2, 3)),
    ("lstm", lambda m: m.LSTM(3, 4), (5, 2, 3)),
    ("lstm_bi_2layer", lambda m: m.LSTM(3, 4, num_layers=2, bidirectional=True), (4, 2, 3)),
    ("lstm_batch_first_nobias", lambda m: m.LSTM(3, 4, batch_first=True, bias=False),
     (2, 5, 3)),
    ("lstm_unbatched", lambda m: m.LSTM(3, 4), (5, 3)),
    ("gru", lambda m: m.GRU(3, 4), (5, 2, 3)),
    ("gru_bi_batch_first", lambda m: m.GRU(3, 4, batch_first=True, bidirectional=True),
     (2, 4, 3)),
]


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("name,make,shape", RNNS, ids=[r[0] for r in RNNS])
def test_recurrent_layers(name, make, shape, dtype, tol):
    torch.manual_seed(0)
    tmod = make(torch.nn).to(_tdt(dtype))
    gmod = make(nn).to(_gdt(dtype))
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    _copy_weights(gmod, tmod)
    g_in, t_in = _inputs([shape], dtype)
    _compare(gmod, tmod, g_in, t_in, tol)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_recurrent_with_initial_state(kind):
    torch.manual_seed(0)
    make = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[kind]
    tmod = getattr(torch.nn, make)(3, 4, num_layers=2).double()
    gmod = getattr(nn, make)(3, 4, num_layers=2).double()
    _copy_weights(gmod, tmod)
    shapes = [(5, 2, 3), (2, 2, 4)] + ([(2, 2, 4)] if kind == "lstm" else [])
    g_in, t_in = _inputs(shapes, np.float64)
    if kind == "lstm":
        g_out = _flat(gmod(g_in[0], (g_in[1], g_in[2])))
        t_out = _flat(tmod(t_in[0], (t_in[1], t_in[2])))
    else:
        g_out, t_out = _flat(gmod(*g_in)), _flat(tmod(*t_in))
    for go, to in zip(g_out, t_out):
        np.testing.assert_allclose(go._data, to.detach().numpy(), rtol=1e-10, atol=1e-10)
    sum(o.sum() for o in g_out).backward()
    sum(o.sum() for o in t_out).backward()
    for gi, ti in zip(g_in, t_in):
        np.testing.assert_allclose(gi.grad._data, ti.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(cell, dtype, tol):
    torch.manual_seed(0)
    tmod = getattr(torch.nn, cell)(3, 4).to(_tdt(dtype))
    gmod = getattr(nn, cell)(3, 4).to(_gdt(dtype))
    assert repr(gmod) == repr(tmod)
    _copy_weights(gmod, tmod)
    g_in, t_in = _inputs([(2, 3)], dtype)
    _compare(gmod, tmod, g_in, t_in, tol)


MHA = [
    ("self", {"embed_dim": 8, "num_heads": 2}, False),
    ("batch_first", {"embed_dim": 8, "num_heads": 4, "batch_first": True}, False),
    ("nobias", {"embed_dim": 6, "num_heads": 3, "bias": False}, False),
    ("kvdim", {"embed_dim": 8, "num_heads": 2, "kdim": 5, "vdim": 3}, True),
]


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("name,kw,kv", MHA, ids=[m[0] for m in MHA])
@pytest.mark.parametrize("masks", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention(name, kw, kv, masks, average, dtype, tol):
    torch.manual_seed(0)
    tmod = torch.nn.MultiheadAttention(**kw).to(_tdt(dtype))
    gmod = nn.MultiheadAttention(**kw).to(_gdt(dtype))
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    _copy_weights(gmod, tmod)
    with torch.no_grad():  # non-zero biases, so their gradients are really checked
        for name_, p in tmod.named_parameters():
            if "bias" in name_:
                p.copy_(torch.randn(p.shape, dtype=p.dtype))
    _copy_weights(gmod, tmod)
    e = kw["embed_dim"]
    L, S, N = 4, 5, 2
    qs = (N, L, e) if kw.get("batch_first") else (L, N, e)
    ks = (N, S, kw.get("kdim", e)) if kw.get("batch_first") else (S, N, kw.get("kdim", e))
    vs = (N, S, kw.get("vdim", e)) if kw.get("batch_first") else (S, N, kw.get("vdim", e))
    g_in, t_in = _inputs([qs, ks, vs], dtype)
    gkw, tkw = {"average_attn_weights": average}, {"average_attn_weights": average}
    if masks:
        am = np.triu(np.ones((L, S), dtype=bool), 1)
        kpm = np.zeros((N, S), dtype=bool)
        kpm[1, -2:] = True
        gkw.update(attn_mask=gg.tensor(am), key_padding_mask=gg.tensor(kpm))
        tkw.update(attn_mask=torch.tensor(am), key_padding_mask=torch.tensor(kpm))
    _compare(gmod, tmod, g_in, t_in, tol, kwargs=(gkw, tkw))


def test_multihead_attention_float_mask_unbatched_and_no_weights():
    torch.manual_seed(0)
    tmod = torch.nn.MultiheadAttention(4, 2).double()
    gmod = nn.MultiheadAttention(4, 2).double()
    _copy_weights(gmod, tmod)
    g_in, t_in = _inputs([(3, 4), (3, 4), (3, 4)], np.float64)
    fm = np.random.default_rng(0).standard_normal((3, 3))
    _compare(gmod, tmod, g_in, t_in, 1e-10,
             kwargs=({"attn_mask": gg.tensor(fm)}, {"attn_mask": torch.tensor(fm)}))
    out, w = gmod(*g_in, need_weights=False)
    assert w is None and out.shape == (3, 4)


@pytest.mark.parametrize("causal", [False, True])
def test_scaled_dot_product_attention(causal):
    g_in, t_in = _inputs([(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], np.float64)
    gy = F.scaled_dot_product_attention(*g_in, is_causal=causal)
    ty = TF.scaled_dot_product_attention(*t_in, is_causal=causal)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    up = np.random.default_rng(0).standard_normal(ty.shape)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    for gi, ti in zip(g_in, t_in):
        np.testing.assert_allclose(gi.grad._data, ti.grad.numpy(), rtol=1e-10, atol=1e-12)
    mask = np.random.default_rng(1).random((4, 6)) > 0.3
    mask[:, 0] = True
    gy = F.scaled_dot_product_attention(*g_in, attn_mask=gg.tensor(mask), scale=0.3)
    ty = TF.scaled_dot_product_attention(*t_in, attn_mask=torch.tensor(mask), scale=0.3)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder(norm_first, activation):
    torch.manual_seed(0)
    kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0, "activation": activation,
              "norm_first": norm_first, "batch_first": True}
    tlayer = torch.nn.TransformerEncoderLayer(**kw).double()
    glayer = nn.TransformerEncoderLayer(**kw).double()
    assert repr(glayer) == repr(tlayer)
    tenc = torch.nn.TransformerEncoder(tlayer, 2, norm=torch.nn.LayerNorm(8).double(),
                                       enable_nested_tensor=False)
    genc = nn.TransformerEncoder(glayer, 2, norm=nn.LayerNorm(8).double())
    assert list(genc.state_dict()) == list(tenc.state_dict())
    _copy_weights(genc, tenc)
    g_in, t_in = _inputs([(2, 5, 8)], np.float64)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[0, -1] = True
    _compare(genc, tenc, g_in, t_in, 1e-9,
             kwargs=({"src_key_padding_mask": gg.tensor(kpm)},
                     {"src_key_padding_mask": torch.tensor(kpm)}))


# -- variable-length sequences: padding, packing, RNNs on packed input ---------------------------

R = torch.nn.utils.rnn
GR = nn.utils.rnn


def _seqs(lengths, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, 3)) for n in lengths]
    return ([gg.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    gs, ts = _seqs((2, 5, 3))
    gp = GR.pad_sequence(gs, batch_first=batch_first, padding_value=-1.0, padding_side=side)
    tp = R.pad_sequence(ts, batch_first=batch_first, padding_value=-1.0, padding_side=side)
    np.testing.assert_allclose(gp._data, tp.detach().numpy())
    (gp * gp).sum().backward()
    (tp * tp).sum().backward()
    for a, b in zip(gs, ts):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy())
    back = GR.unpad_sequence(gp, [2, 5, 3], batch_first=batch_first) if side == "right" else []
    for a, b in zip(back, gs):
        np.testing.assert_allclose(a._data, b._data)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_and_unpack_round_trip(enforce_sorted):
    lengths = (5, 3, 2) if enforce_sorted else (2, 5, 3)
    gs, ts = _seqs(lengths)
    gpk = GR.pack_sequence(gs, enforce_sorted=enforce_sorted)
    tpk = R.pack_sequence(ts, enforce_sorted=enforce_sorted)
    np.testing.assert_allclose(gpk.data._data, tpk.data.detach().numpy())
    assert gpk.batch_sizes.tolist() == tpk.batch_sizes.tolist()
    if not enforce_sorted:
        assert gpk.sorted_indices.tolist() == tpk.sorted_indices.tolist()
        assert gpk.unsorted_indices.tolist() == tpk.unsorted_indices.tolist()
    gpad, gl = GR.pad_packed_sequence(gpk, batch_first=True, total_length=6)
    tpad, tl = R.pad_packed_sequence(tpk, batch_first=True, total_length=6)
    np.testing.assert_allclose(gpad._data, tpad.detach().numpy())
    assert gl.tolist() == tl.tolist() and gl.dtype == gg.int64
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        GR.pack_padded_sequence(gg.zeros(4, 2, 3), [2, 4])


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_on_packed_sequences(mode, bidirectional):
    torch.manual_seed(0)
    tmod = getattr(torch.nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    gmod = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    _copy_weights(gmod, tmod)
    gs, ts = _seqs((2, 5, 3))
    go, gh = gmod(GR.pack_sequence(gs, enforce_sorted=False))
    to, th = tmod(R.pack_sequence(ts, enforce_sorted=False))
    assert isinstance(go, GR.PackedSequence)
    gpad, _ = GR.pad_packed_sequence(go, batch_first=True)
    tpad, _ = R.pad_packed_sequence(to, batch_first=True)
    g_out = [gpad] + _flat(gh)
    t_out = [tpad] + _flat(th)
    for a, b in zip(g_out, t_out):
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((o * o).sum() for o in g_out).backward()
    sum((o * o).sum() for o in t_out).backward()
    for a, b in zip(gs, ts):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), q in zip(gmod.named_parameters(), tmod.parameters()):
        np.testing.assert_allclose(p.grad._data, q.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_decoder(norm_first):
    torch.manual_seed(0)
    kw = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 2,
              "dim_feedforward": 16, "dropout": 0.0, "norm_first": norm_first, "batch_first": True}
    tmod = torch.nn.Transformer(**kw).double()
    gmod = nn.Transformer(**kw).double()
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    _copy_weights(gmod, tmod)
    g_in, t_in = _inputs([(2, 5, 8), (2, 4, 8)], np.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    gmask = nn.Transformer.generate_square_subsequent_mask(4, dtype=gg.float64)
    np.testing.assert_array_equal(gmask._data, tmask.numpy())
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, -2:] = True
    _compare(gmod, tmod, g_in, t_in, 1e-9,
             kwargs=({"tgt_mask": gmask, "src_key_padding_mask": gg.tensor(kpm),
                      "memory_key_padding_mask": gg.tensor(kpm)},
                     {"tgt_mask": tmask, "src_key_padding_mask": torch.tensor(kpm),
                      "memory_key_padding_mask": torch.tensor(kpm)}))


def test_transformer_init_is_xavier():
    m = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=64)
    w = m.encoder.layers[0].linear1.weight._data  # (64, 16)
    bound = np.sqrt(6 / (64 + 16))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
