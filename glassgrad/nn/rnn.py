"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their cells, with PyTorch's parameter names,
gate order and initialisation (U(-1/sqrt(hidden), 1/sqrt(hidden)) for every weight and bias), so
state dicts move between the two. Composed from Linear ops (the input projections of all time
steps in one matmul) and, for the LSTM, one fused cell op per step; backpropagation through
time is the ordinary backward through the unrolled graph.

    RNN:   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                 (or relu)
    LSTM:  i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)          (gate order i, f, g, o)
           c' = sigmoid(f) * c + sigmoid(i) * tanh(g),  h' = sigmoid(o) * tanh(c')
    GRU:   r, z = sigmoid(split(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z}))
           n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
"""

from __future__ import annotations

import math

from .. import creation
from ..ops import nnops
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _cat(parts, dim):
    from .. import cat

    return cat(parts, dim)


def _stack(parts, dim=0):
    from .. import stack

    return stack(parts, dim)


def _wrap_const(array):
    from ..tensor import _wrap

    return _wrap(array, False, None)


def _rnn_step(mode, gi, h, w_hh, b_hh):
    """One time step from gi = W_ih x + b_ih (N, gates * H) and the state h (N, H), or (h, c)
    for LSTM -> the new state."""
    if mode == "LSTM":
        h, c = h
        hc = nnops.LstmCell.apply(gi + F.linear(h, w_hh, b_hh), c)  # (N, 2H): [h', c']
        hid = c.shape[-1]
        return hc[..., :hid], hc[..., hid:]
    if mode == "GRU":
        gh = F.linear(h, w_hh, b_hh)
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r = (i_r + h_r).sigmoid()
        z = (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        return (1 - z) * n + z * h
    pre = gi + F.linear(h, w_hh, b_hh)
    return pre.tanh() if mode == "RNN_TANH" else pre.relu()


class RNNBase(Module):
    """Parameters ``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` per layer and direction, and the unrolled forward."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if proj_size != 0:
            raise NotImplementedError("LSTM: proj_size is not supported in glassgrad")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        num_dir = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(num_dir):
                in_size = input_size if layer == 0 else hidden_size * num_dir
                suffix = "_reverse" if d == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate, in_size), (gate, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate,), (gate,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype,
                                                                 device=device)))
                self._flat_weights_names.extend(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _weights(self, layer: int, d: int):
        suffix = "_reverse" if d == 1 else ""
        w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        if self.bias:
            return (w_ih, w_hh, getattr(self, f"bias_ih_l{layer}{suffix}"),
                    getattr(self, f"bias_hh_l{layer}{suffix}"))
        return w_ih, w_hh, None, None

    def forward(self, input: Tensor, hx=None):
        from .utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        is_lstm = self.mode == "LSTM"
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead"
            )
        x = input
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        n = x.shape[1]
        total = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            zeros = creation.zeros(total, n, self.hidden_size, dtype=x.dtype)
            h0, c0 = zeros, zeros
        else:
            if is_lstm:
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if not batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            if tuple(h0.shape) != (total, n, self.hidden_size):
                raise RuntimeError(
                    f"Expected hidden size {(total, n, self.hidden_size)}, got "
                    f"{list(h0.shape)}"
                )
        output, h, c = self._run(x, h0, c0)
        if not batched:
            output = output.squeeze(1)
            h = h.squeeze(1)
            c = c.squeeze(1) if c is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h, c)) if is_lstm else (output, h)

    def _forward_packed(self, packed, hx):
        """Run on a PackedSequence: each sequence stops updating its state after its length."""
        from .utils.rnn import PackedSequence, _unpack_sorted

        is_lstm = self.mode == "LSTM"
        x, lengths = _unpack_sorted(packed)  # (T, B, *), batch sorted by decreasing length
        n = x.shape[1]
        total = self.num_layers * (2 if self.bidirectional else 1)
        sorted_idx = packed.sorted_indices
        if hx is None:
            h0 = c0 = creation.zeros(total, n, self.hidden_size, dtype=x.dtype)
        else:
            h0, c0 = hx if is_lstm else (hx, None)
            if sorted_idx is not None:  # the caller's order -> the packed (sorted) order
                h0 = h0[:, sorted_idx]
                c0 = c0[:, sorted_idx] if c0 is not None else None
        output, h, c = self._run(x, h0, c0, lengths)
        data = _cat([output[t, :int(bs)] for t, bs in enumerate(packed.batch_sizes._data)], 0)
        if packed.unsorted_indices is not None:
            h = h[:, packed.unsorted_indices]
            c = c[:, packed.unsorted_indices] if c is not None else None
        out = PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                             packed.unsorted_indices)
        return (out, (h, c)) if is_lstm else (out, h)

    def _run(self, x, h0, c0, lengths=None):
        """The unrolled layers over (T, B, in) -> output (T, B, D * H), h_n, c_n.

        With ``lengths`` (packed input), step t only updates the sequences longer than t; the
        reverse direction then starts each sequence at its own last step.
        """
        from ..functional import where

        is_lstm = self.mode == "LSTM"
        seq_len = x.shape[0]
        num_dir = 2 if self.bidirectional else 1
        masks = None
        if lengths is not None:
            masks = [_wrap_const((lengths > t)[:, None]) for t in range(seq_len)]
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(num_dir):
                k = layer * num_dir + d
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                # the input projection of every time step in one matmul: (T, N, gates * H)
                gi_all = F.linear(layer_input, w_ih, b_ih)
                state = (h0[k], c0[k]) if is_lstm else h0[k]
                steps = range(seq_len - 1, -1, -1) if d == 1 else range(seq_len)
                hs = [None] * seq_len
                for t in steps:
                    new = _rnn_step(self.mode, gi_all[t], state, w_hh, b_hh)
                    if masks is not None:  # finished sequences keep their state
                        if is_lstm:
                            new = (where(masks[t], new[0], state[0]),
                                   where(masks[t], new[1], state[1]))
                        else:
                            new = where(masks[t], new, state)
                    state = new
                    hs[t] = state[0] if is_lstm else state
                outs.append(_stack(hs, 0))
                if is_lstm:
                    h_n.append(state[0])
                    c_n.append(state[1])
                else:
                    h_n.append(state)
            layer_input = outs[0] if num_dir == 1 else _cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout)
        h = _stack(h_n, 0)
        c = _stack(c_n, 0) if is_lstm else None
        return layer_input, h, c

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``output, h_n``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class RNNCellBase(Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate = _GATES[mode] * hidden_size
        kw = {"dtype": dtype, "device": device}
        self.weight_ih = Parameter(creation.empty(gate, input_size, **kw))
        self.weight_hh = Parameter(creation.empty(gate, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(creation.empty(gate, **kw))
            self.bias_hh = Parameter(creation.empty(gate, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _step(self, input: Tensor, hx):
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        n = x.shape[0]
        is_lstm = self.mode == "LSTM"
        if hx is None:
            zeros = creation.zeros(n, self.hidden_size, dtype=x.dtype)
            hx = (zeros, zeros) if is_lstm else zeros
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if is_lstm else hx.unsqueeze(0)
        out = _rnn_step(self.mode, F.linear(x, self.weight_ih, self.bias_ih), hx,
                        self.weight_hh, self.bias_hh)
        if not batched:
            out = tuple(o.squeeze(0) for o in out) if is_lstm else out.squeeze(0)
        return out

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One step of an Elman RNN."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        self.nonlinearity = nonlinearity
        mode = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}.get(nonlinearity)
        if mode is None:
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(mode, input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx=None) -> Tensor:
        return self._step(input, hx)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx=None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx=None) -> Tensor:
        return self._step(input, hx)
