"""``repr``/``str`` of a tensor, character for character in PyTorch's format.

The rules (PyTorch 2.x, ``torch/_tensor_str.py``), restated for NumPy arrays:

- One width for every element: the widest formatted value decides, and shorter ones are padded
  on the left, so columns line up.
- Floats pick one of three styles from the nonzero finite values: integers only -> ``1.``;
  otherwise fixed point with ``precision`` decimals (``0.3000``); scientific (``1.0000e-05``)
  when max/min > 1000, max > 1e8 or min < 1e-4 (or as ``sci_mode`` forces). nan/inf do not count
  towards the width.
- A 1-d row wraps so that no line passes ``linewidth``; nested dims are separated by
  ``dim - 1`` newlines, indented to sit under the opening bracket.
- Above ``threshold`` elements, each dim shows ``edgeitems`` entries at either end around ``...``.
- Suffixes: ``dtype=`` for dtypes other than float32/int64/bool, ``size=`` for empty tensors that
  are not 1-d, then ``grad_fn=<...>`` or ``requires_grad=True``; a suffix that would pass the
  line width goes on its own line.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set how tensors print (PyTorch's ``torch.set_printoptions``).

    ``profile``: ``"default"``, ``"short"`` (precision 2, edgeitems 2) or ``"full"`` (no
    summarization). ``sci_mode``: True/False forces scientific notation on/off; None (the
    default, and what any call without it resets to, as in PyTorch) picks automatically.

    >>> import glassgrad as gg
    >>> gg.set_printoptions(precision=2)
    >>> gg.tensor([1.12345])
    tensor([1.12])
    >>> gg.set_printoptions(profile="default")
    """
    if profile is not None:
        presets = {
            "default": (4, 1000, 3, 80),
            "short": (2, 1000, 2, 80),
            "full": (4, math.inf, 3, 80),
        }
        if profile in presets:
            (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
             PRINT_OPTS.linewidth) = presets[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return {
        "precision": PRINT_OPTS.precision,
        "threshold": PRINT_OPTS.threshold,
        "edgeitems": PRINT_OPTS.edgeitems,
        "linewidth": PRINT_OPTS.linewidth,
        "sci_mode": PRINT_OPTS.sci_mode,
    }


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a ``with`` block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Decides the style and the common width from the values that will be shown."""

    def __init__(self, values: np.ndarray):
        # values: the flat array of every element that will be printed
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        prec = PRINT_OPTS.precision
        if not self.floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        vals = values.astype(np.float64)  # float16 would overflow in max / min
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:
            return
        abs_vals = np.abs(vals)
        vmin = abs_vals.min()
        vmax = abs_vals.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4)
        else:
            self.sci_mode = bool(PRINT_OPTS.sci_mode)
        # the widest string comes from the extreme values; dedupe before the Python loop
        distinct = np.unique(vals).tolist()
        if self.sci_mode:
            spec = f".{prec}e"
            extra = 0
        elif self.int_mode:
            spec = ".0f"
            extra = 1  # the trailing "." of "2."
        else:
            spec = f".{prec}f"
            extra = 0
        for v in distinct:
            self.max_width = max(self.max_width, len(format(v, spec)) + extra)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                ret = format(value, f"{self.max_width}.{PRINT_OPTS.precision}e")
            elif self.int_mode:
                ret = format(value, ".0f")
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = format(value, f".{PRINT_OPTS.precision}f")
        else:
            ret = str(value)
        return (self.max_width - len(ret)) * " " + ret


def _summarized_values(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows, flattened (they decide the formatting)."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a.reshape(1)
    if a.ndim == 1:
        if a.shape[0] > 2 * edge:
            # PyTorch's a[-0:] is the whole row, so edgeitems=0 formats from every value
            return np.concatenate((a[:edge], a[-edge:] if edge else a))
        return a
    if not edge:
        return a.reshape(-1)[:0]
    rows = range(a.shape[0])
    if a.shape[0] > 2 * edge:
        rows = list(range(edge)) + list(range(a.shape[0] - edge, a.shape[0]))
    return np.concatenate([_summarized_values(a[i]) for i in rows])


def _vector_str(a, indent, summarize, fmt) -> str:
    element_length = fmt.max_width + 2  # ", " between elements
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = (
            [fmt.format(v) for v in a[:edge].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in a[-edge:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a, indent, summarize, fmt) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * edge:
        slices = (
            [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(edge)]
            + ["..."]
            + [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n - edge, n)]
        )
    else:
        slices = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n)]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(slices) + "]"


def _array_str(a: np.ndarray, indent: int) -> str:
    """The bracketed body of a non-empty array, as it follows ``tensor(``."""
    summarize = a.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized_values(a) if summarize else a.reshape(-1))
    return _nested_str(a, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    # PyTorch counts the last line this way (2 more than its length when there is no newline);
    # the same arithmetic gives the same wrapping decisions
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def tensor_repr(t) -> str:
    """``repr(t)``: ``tensor([1., 2.], requires_grad=True)`` and friends."""
    prefix = "tensor("
    indent = len(prefix)
    a = t._data
    suffixes = []
    dtype_suffix = "dtype=" + repr(_dtype.from_numpy_dtype(a.dtype))
    if a.size == 0:
        # no elements to show the dtype by, so anything but float32 says it
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if a.dtype != np.float32:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(a.shape)))
        if a.dtype not in _DEFAULT_DTYPES:
            suffixes.append(dtype_suffix)
        body = _array_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
