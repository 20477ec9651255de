"""Attention: ``scaled_dot_product_attention`` and ``MultiheadAttention`` (PyTorch's parameter
layout, so state dicts move between the two), composed from matmul, softmax and masks.

    attention(q, k, v) = softmax(q k^T / sqrt(d) + mask) v

A boolean mask marks with True what may be attended to in ``scaled_dot_product_attention``,
but what must NOT be attended to in ``MultiheadAttention``'s ``attn_mask`` and
``key_padding_mask`` (PyTorch's conventions, kept).
"""

from __future__ import annotations

import math

import numpy as np

from .. import creation
from ..tensor import Tensor, _wrap
from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "scaled_dot_product_attention"]


def _neg_inf_mask(mask: Tensor, like: Tensor, keep_true: bool) -> Tensor:
    """A float additive mask: 0 where attending is allowed, -inf where it is not."""
    m = mask._data
    if m.dtype == np.bool_:
        blocked = ~m if keep_true else m
        add = np.where(blocked, -np.inf, 0.0).astype(like._data.dtype)
        return _wrap(add, False, None)
    return mask.to(like.dtype) if mask.dtype != like.dtype else mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v over (..., L, E) queries and (..., S, E) keys.

    ``attn_mask``: bool (True = may attend) or float (added to the scores); ``is_causal``:
    position i attends to positions <= i. ``dropout_p`` drops attention weights (always, as
    in PyTorch: pass 0.0 in evaluation).
    """
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        causal = np.tril(np.ones((L, S), dtype=bool))
        attn_mask = _wrap(causal, False, None)
    if attn_mask is not None:
        scores = scores + _neg_inf_mask(attn_mask, scores, keep_true=True)
    weights = F.softmax(scores, -1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p)
    return weights @ value


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear (PyTorch's name for MultiheadAttention's output projection)."""


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size embed_dim / num_heads (Vaswani et al.).

    Inputs are (L, N, E) (or (N, L, E) with ``batch_first=True``, or unbatched (L, E)).
    Returns ``(output, weights)``; weights are averaged over heads unless
    ``average_attn_weights=False``, and None when ``need_weights=False``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv and add_zero_attn are not supported in glassgrad"
            )
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        kw = {"dtype": dtype, "device": device}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _projections(self):
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            return (w[:e], bq), (w[e:2 * e], bk), (w[2 * e:], bv)
        return (self.q_proj_weight, bq), (self.k_proj_weight, bk), (self.v_proj_weight, bv)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False):
        batched = query.ndim == 3
        if not batched:  # (L, E) -> (L, 1, E)
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:  # (N, L, E) -> (L, N, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        L, N, E = query.shape
        S = key.shape[0]
        H, hd = self.num_heads, self.head_dim
        (wq, bq), (wk, bk), (wv, bv) = self._projections()
        q = F.linear(query, wq, bq)
        k = F.linear(key, wk, bk)
        v = F.linear(value, wv, bv)
        # (L, N, E) -> (N * H, L, hd): one attention per (sample, head)
        q = q.reshape(L, N * H, hd).transpose(0, 1)
        k = k.reshape(S, N * H, hd).transpose(0, 1)
        v = v.reshape(S, N * H, hd).transpose(0, 1)
        scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(-2, -1)  # (N * H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = _wrap(~np.tril(np.ones((L, S), dtype=bool)), False, None)
        if attn_mask is not None:
            if attn_mask.ndim == 2 and tuple(attn_mask.shape) != (L, S):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(L, S)}."
                )
            scores = scores + _neg_inf_mask(attn_mask, scores, keep_true=False)
        if key_padding_mask is not None:
            pad = _neg_inf_mask(key_padding_mask, scores, keep_true=False)  # (N, S)
            scores = (scores.reshape(N, H, L, S) + pad.reshape(N, 1, 1, S)).reshape(N * H, L, S)
        weights = F.softmax(scores, -1)
        if self.dropout > 0.0 and self.training:
            weights = F.dropout(weights, self.dropout)
        out = weights @ v  # (N * H, L, hd)
        out = out.transpose(0, 1).reshape(L * N, E)
        out = F.linear(out, self.out_proj.weight, self.out_proj.bias).reshape(L, N, E)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(N, H, L, S)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights
