"""Variable-length sequences: ``pad_sequence`` and ``PackedSequence`` (PyTorch's layout).

A PackedSequence stores the time steps of a batch of sequences, sorted by decreasing length,
one after another: step t holds the first ``batch_sizes[t]`` sequences (those still running).
Every function here is built from differentiable tensor ops, so gradients flow through packing
and unpacking.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...tensor import Tensor, _wrap

__all__ = [
    "PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
    "pad_sequence", "unpad_sequence",
]


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as PyTorch's."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _long(values) -> Tensor:
    return _wrap(np.asarray(values, dtype=np.int64), False, None)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths._data.astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padding."""
    from ... import stack
    from .. import functional as F

    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        # F.pad lists the last dim first: leave the trailing dims, pad dim 0
        widths = (0, 0) * (s.ndim - 1) + ((0, extra) if padding_side == "right" else (extra, 0))
        padded.append(F.pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The inverse of ``pad_sequence``: a list of (L_i, *) tensors."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences with the given lengths."""
    from ... import cat

    lengths = _lengths_array(lengths)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_idx = None
        order = np.arange(len(lengths))
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_idx = order
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    x = input if not batch_first else input.transpose(0, 1)  # (T, B, *)
    if sorted_idx is not None:
        x = x[:, _long(order)]
    sorted_lengths = lengths[order]
    max_len = int(sorted_lengths[0])
    batch_sizes = np.array([(sorted_lengths > t).sum() for t in range(max_len)], np.int64)
    data = cat([x[t, :int(batch_sizes[t])] for t in range(max_len)], 0)
    if sorted_idx is None:
        return PackedSequence(data, _long(batch_sizes), None, None)
    return PackedSequence(data, _long(batch_sizes), _long(sorted_idx),
                          _long(np.argsort(sorted_idx, kind="stable")))


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def _unpack_sorted(sequence: PackedSequence, padding_value: float = 0.0,
                   total_length: int | None = None):
    """(T, B, *) padded in sorted order, and the sorted lengths."""
    from ... import cat, stack
    from .. import functional as F

    data = sequence.data
    batch_sizes = sequence.batch_sizes._data
    b = int(batch_sizes[0])
    steps = []
    offset = 0
    for bs in batch_sizes:
        bs = int(bs)
        step = data[offset:offset + bs]
        if bs < b:
            widths = (0, 0) * (data.ndim - 1) + (0, b - bs)
            step = F.pad(step, widths, value=padding_value)
        steps.append(step)
        offset += bs
    max_len = len(steps)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_len}"
            )
        filler = data[:1] * 0 + padding_value
        pad_step = cat([filler] * b, 0)
        steps += [pad_step] * (total_length - max_len)
    lengths = np.array([(batch_sizes > i).sum() for i in range(b)], dtype=np.int64)
    return stack(steps, 0), lengths


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Unpack to ``(padded, lengths)`` with the batch in its original order."""
    padded, lengths = _unpack_sorted(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices._data
        padded = padded[:, _long(unsorted)]
        lengths = lengths[unsorted]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _long(lengths)
