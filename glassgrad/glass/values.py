"""How the glass box keeps and shows numbers: copies of small arrays, summaries of large ones.

A traced value is either the array itself (a copy, for tensors up to ``SMALL`` elements) or a
summary (shape, mean, std, min, max, norm). Copies matter: the training loop overwrites the
weights in place right after the backward pass, and the trace must keep what they were.
"""

from __future__ import annotations

import math

import numpy as np

SMALL = 64  # tensors with at most this many elements are kept whole
SHOW = 8  # at most this many numbers are printed inline


class Summary:
    """Statistics of a large array (what the trace keeps instead of its values)."""

    __slots__ = ("dtype", "max", "mean", "min", "nonfinite", "norm", "shape", "std", "zeros")

    def __init__(self, a: np.ndarray):
        self.shape = tuple(a.shape)
        self.dtype = dtype_name(a.dtype)
        flat = a.reshape(-1)
        if flat.dtype.kind not in "fc":
            flat = flat.astype(np.float64)
        n = flat.size
        # four passes (sum, dot, min, max) instead of one per statistic: tracing stays cheap
        total = float(flat.sum()) if n else 0.0
        sq = float(np.dot(flat, flat).real) if n else 0.0
        self.min = float(flat.min()) if n else 0.0
        self.max = float(flat.max()) if n else 0.0
        self.nonfinite = 0
        if not (math.isfinite(total) and math.isfinite(sq)):
            self.nonfinite = int(n - np.count_nonzero(np.isfinite(flat)))
        self.mean = total / n if n else 0.0
        self.norm = math.sqrt(sq) if sq >= 0 else float("nan")
        var = sq / n - self.mean * self.mean if n else 0.0
        self.std = math.sqrt(var) if var > 0 else (0.0 if var > -1e30 else float("nan"))
        self.zeros = None

    def to_json(self) -> dict:
        return {
            "shape": list(self.shape), "dtype": self.dtype, "mean": _num(self.mean),
            "std": _num(self.std), "min": _num(self.min), "max": _num(self.max),
            "norm": _num(self.norm), "nonfinite": self.nonfinite,
        }

    def __repr__(self) -> str:
        return (f"<{list(self.shape)} mean={fmt_num(self.mean)} std={fmt_num(self.std)} "
                f"min={fmt_num(self.min)} max={fmt_num(self.max)}>")


_DTYPE_NAMES: dict = {}


def dtype_name(dt) -> str:
    """``np.dtype.name``, cached (NumPy computes it anew on every access)."""
    name = _DTYPE_NAMES.get(dt)
    if name is None:
        name = _DTYPE_NAMES[dt] = dt.name
    return name


def keep(a):
    """What the trace keeps of ``a`` (ndarray or scalar): a copy if small, else a Summary."""
    if a is None:
        return None
    if not isinstance(a, np.ndarray):
        if isinstance(a, (bool, int, float, np.generic)):
            return np.asarray(a)
        data = getattr(a, "_data", None)  # a Tensor (create_graph passes)
        if data is None:
            return None
        a = data
    if a.size <= SMALL:
        return np.array(a, copy=True)
    return Summary(a)


def is_small(v) -> bool:
    # a NumPy scalar (0-d arithmetic on kept values returns one) is a small value too
    return isinstance(v, (np.ndarray, np.generic))


def shape_of(v) -> tuple:
    if v is None:
        return ()
    return tuple(v.shape)


def norm(v) -> float | None:
    if v is None:
        return None
    if isinstance(v, Summary):
        return v.norm
    return float(np.sqrt(np.sum(np.square(v, dtype=np.float64))))


def nonfinite(v) -> bool:
    if v is None:
        return False
    if isinstance(v, Summary):
        return v.nonfinite > 0
    return v.dtype.kind in "fc" and not bool(np.all(np.isfinite(v)))


def fmt_num(x) -> str:
    """A number the way a learner reads it: 30.0, 0.3, -1.5e-07, nan."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0.0"
    if x == int(x) and abs(x) < 1e7:
        return f"{x:.1f}"
    if 1e-4 <= abs(x) < 1e7:
        s = f"{x:.6g}"
        return s
    return f"{x:.4g}"


def fmt(v, limit: int = SHOW) -> str:
    """A kept value as short text: ``30.0``, ``[1.0 2.0 3.0 4.0]``, or a summary."""
    if v is None:
        return "-"
    if isinstance(v, Summary):
        return (f"{list(v.shape)} mean {fmt_num(v.mean)} std {fmt_num(v.std)} "
                f"min {fmt_num(v.min)} max {fmt_num(v.max)}")
    a = np.asarray(v)
    if a.ndim == 0:
        return fmt_num(a) if a.dtype.kind in "fciu" else str(a.item())
    flat = a.reshape(-1)
    parts = [fmt_num(x) if a.dtype.kind in "fciu" else str(x) for x in flat[:limit]]
    more = " ..." if flat.size > limit else ""
    text = "[" + " ".join(parts) + more + "]"
    if a.ndim > 1:
        text += f" {list(a.shape)}"
    return text


def _num(x):
    """A float for JSON (NaN and inf as strings: JSON has no literal for them)."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def to_json(v):
    """A kept value as JSON: nested lists for arrays, a dict for a summary."""
    if v is None:
        return None
    if isinstance(v, Summary):
        return {"summary": v.to_json()}
    a = np.asarray(v)
    if a.dtype.kind == "b":
        return {"shape": list(a.shape), "values": a.astype(int).tolist()}
    flat = [_num(x) for x in a.reshape(-1).tolist()] if a.dtype.kind in "fc" else \
        a.reshape(-1).tolist()
    return {"shape": list(a.shape), "values": flat}


def clean(obj):
    """``obj`` with every non-finite float replaced by None (strict JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return obj
