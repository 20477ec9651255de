"""Gradient checks for learners: autograd next to finite differences, and a hand-written gradient
next to autograd with the mismatch explained (a constant factor such as N, a flipped sign, a
transpose, a missing sum over the batch).

>>> import glassgrad as torch
>>> from glassgrad import glass
>>> w = torch.tensor(0.0, requires_grad=True)
>>> x = torch.tensor([1.0, 2.0, 3.0, 4.0]); y = 2 * x
>>> r = glass.check_gradient(lambda: ((y - w * x) ** 2).mean(), [w])
>>> r.ok
True

The seed tutorial's earlier hand-written gradient, ``np.dot(2*x, y_hat - y).mean()``, gives
-120 where autograd gives -30 at epoch 1: ``compare_gradient`` says it is off by a factor of
N = 4 (``np.dot`` already sums the N products to one number, so ``.mean()`` divides by 1 and
the MSE's 1/N is lost), not a numerical difference in autograd.
"""

from __future__ import annotations

import inspect

import numpy as np

from . import values as V


class GradCheck:
    """The result of ``check_gradient``: ``ok``, ``rows`` (one per parameter), a text table."""

    def __init__(self, rows, notes):
        self.rows = rows
        self.notes = notes

    @property
    def ok(self) -> bool:
        return all(r["ok"] for r in self.rows)

    def __str__(self) -> str:
        cols = ["parameter", "shape", "autograd", "finite diff", "max |diff|", "rel err",
                "autograd vs finite diff"]
        has_hand = any(r.get("hand") is not None for r in self.rows)
        if has_hand:
            cols.insert(4, "yours")
        body = []
        for r in self.rows:
            line = [r["name"], str(list(r["shape"])), V.fmt(r["autograd"], 4),
                    V.fmt(r["numeric"], 4), f"{r['max_diff']:.2e}", f"{r['rel_err']:.2e}",
                    "ok" if r["ok"] else "MISMATCH"]
            if has_hand:
                line.insert(4, V.fmt(r.get("hand"), 4) if r.get("hand") is not None else "-")
            body.append(line)
        widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(cols)]
        out = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
        out.append("  ".join("-" * w for w in widths))
        out.extend("  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body)
        for n in self.notes:
            out.append("")
            out.append(n)
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


def _call(fn, params):
    try:
        sig = inspect.signature(fn)
        n = sum(1 for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty)
    except (TypeError, ValueError):
        n = 0
    return fn(*params) if n == len(params) and n > 0 else fn()


def _autograd(fn, params):
    """The gradients of ``fn``'s scalar output, captured (``.grad`` is left alone)."""
    from ..autograd import engine

    loss = _call(fn, params)
    if loss._data.size != 1:
        raise ValueError(f"check_gradient: fn must return a scalar loss, got shape "
                         f"{list(loss._data.shape)}")
    capture = {id(p): None for p in params}
    engine.run_backward([loss], [np.ones(loss._data.shape, loss._data.dtype)], capture=capture)
    out = []
    for p in params:
        g = capture[id(p)]
        out.append(np.zeros_like(p._data) if g is None else np.array(g, dtype=p._data.dtype))
    return loss, out


def _numeric(fn, params, p, eps):
    """Central differences of ``fn`` with respect to each element of ``p`` (restored after)."""
    from ..autograd.grad_mode import no_grad

    orig = p._data.copy()
    grad = np.zeros(p._data.shape, dtype=np.float64)
    flat = p._data.reshape(-1)  # a view: writes go into p
    with no_grad():
        for i in range(flat.size):
            x0 = orig.reshape(-1)[i]
            h = eps * max(1.0, abs(float(x0)))
            flat[i] = x0 + h
            up = float(_call(fn, params)._data)
            flat[i] = x0 - h
            down = float(_call(fn, params)._data)
            flat[i] = x0
            grad.reshape(-1)[i] = (up - down) / (2 * h)
    np.copyto(p._data, orig)
    return grad


def _names(params, frame_depth=3):
    from ..tensor import Tensor
    from . import names as N

    frame = N.user_frame(frame_depth)
    wanted = {id(p): p for p in params}
    found = N.scan(frame, wanted, Tensor)
    pnames, _, _ = N.modules_and_optimizers(frame)
    return [pnames.get(id(p)) or getattr(p, "_glass_name", None) or found.get(id(p))
            or f"param{i}" for i, p in enumerate(params)]


def check_gradient(fn, params, hand=None, eps=None, rtol=None, atol=None,
                   names=None) -> GradCheck:
    """Autograd's gradient of ``fn()`` (a scalar loss) against central finite differences.

    ``params``: the tensors to check (``fn`` may take them as arguments or use them directly).
    ``hand``: optional hand-written gradients (a list like ``params``, ``{name: value}``, one
    value for one parameter, or a function returning one of these);
    each one is compared with autograd and a mismatch is explained (see ``compare_gradient``).
    ``names``: labels for the table (default: the caller's variable or module names).
    Parameters keep their values and their ``.grad``.
    """
    params = list(params)
    names = list(names) if names is not None else _names(params)
    loss, auto = _autograd(fn, params)
    n_mean = _mean_count(loss)
    rows = []
    notes = []
    if callable(hand):  # a function that computes the hand-written gradient(s)
        hand = hand()
    if isinstance(hand, dict):
        hand = [hand.get(nm) for nm in names]
    elif hand is not None and not isinstance(hand, (list, tuple)):
        hand = [hand]  # one gradient (a number or an array) for the first parameter
    for i, (p, g) in enumerate(zip(params, auto)):
        double = p._data.dtype == np.float64
        e = eps if eps is not None else (1e-6 if double else 1e-3)
        rt = rtol if rtol is not None else (1e-5 if double else 2e-2)
        at = atol if atol is not None else (1e-8 if double else 1e-3)
        num = _numeric(fn, params, p, e)
        diff = np.abs(g.astype(np.float64) - num)
        scale = np.maximum(np.abs(num), np.abs(g.astype(np.float64)))
        rel = float(np.max(diff / np.maximum(scale, 1e-12))) if diff.size else 0.0
        ok = bool(np.all(diff <= at + rt * scale))
        row = {"name": names[i], "shape": tuple(p._data.shape), "autograd": g, "numeric": num,
               "max_diff": float(diff.max()) if diff.size else 0.0, "rel_err": rel, "ok": ok}
        if hand is not None and i < len(hand) and hand[i] is not None:
            h = _array(hand[i])
            row["hand"] = h
            verdict = compare_gradient(h, g, name=names[i], n=n_mean)
            row["hand_ok"] = verdict.ok
            notes.append(str(verdict))
        rows.append(row)
    return GradCheck(rows, notes)


def _array(x):
    data = getattr(x, "_data", None)
    if data is not None:
        return np.array(data)
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a real torch tensor
        return np.array(x.detach().numpy())
    return np.asarray(x)


def _mean_count(loss):
    """N when the loss ends in a mean over N elements (MeanBackward0), else None."""
    fn = loss.grad_fn
    if fn is not None and fn.name() == "MeanBackward0":
        n = getattr(fn, "n", None)
        if isinstance(n, int) and n > 1:
            return n
    return None


class Verdict:
    """``compare_gradient``'s answer: ``ok``, ``kind`` and a sentence for the learner."""

    def __init__(self, ok, kind, message, factor=None):
        self.ok = ok
        self.kind = kind
        self.message = message
        self.factor = factor

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__


def compare_gradient(mine, autograd, name: str = "w", n: int | None = None,
                     rtol: float = 1e-4, atol: float = 1e-6) -> Verdict:
    """Compare a hand-written gradient with autograd's and say how they differ.

    Recognises: equal; a constant factor (``N``, ``1/N``, ``2``, ``-1``: a sign flip, any
    other constant); a transpose; a missing sum (or mean) over the batch dimension; a constant
    offset. ``n``: the number of elements a mean in the loss averages over, when known.
    """
    a = _array(mine).astype(np.float64)
    b = _array(autograd).astype(np.float64)
    yours = f"yours {V.fmt(a)} vs autograd {V.fmt(b)}"
    if a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol):
        return Verdict(True, "equal", f"{name}: your gradient matches autograd ({yours}).")
    if a.shape != b.shape:
        if a.ndim == 2 and a.T.shape == b.shape and np.allclose(a.T, b, rtol=rtol, atol=atol):
            return Verdict(False, "transpose",
                           f"{name}: your gradient is the transpose of autograd's (shape "
                           f"{list(a.shape)} vs {list(b.shape)}): for y = x @ W the gradient is "
                           "x.T @ g, for y = x @ W.T (nn.Linear) it is g.T @ x.")
        if a.ndim == b.ndim + 1 and a.shape[1:] == b.shape:
            if np.allclose(a.sum(0), b, rtol=rtol, atol=atol):
                return Verdict(False, "missing sum",
                               f"{name}: you kept one gradient per sample (shape {list(a.shape)}"
                               f"); autograd sums them over the batch: sum over dim 0 matches.")
            if np.allclose(a.mean(0), b, rtol=rtol, atol=atol):
                return Verdict(False, "missing mean",
                               f"{name}: you kept one gradient per sample; their mean over "
                               "dim 0 matches autograd.")
        if b.size == 1 and a.size > 1 and np.allclose(a.sum(), b.reshape(()), rtol=rtol,
                                                       atol=atol):
            return Verdict(False, "missing sum",
                           f"{name} is a single number used for every element: its gradient is "
                           f"the sum of yours ({V.fmt_num(a.sum())}), which matches autograd.")
        if a.size == b.size:
            flat_ok = np.allclose(a.reshape(-1), b.reshape(-1), rtol=rtol, atol=atol)
            if flat_ok:
                return Verdict(False, "shape",
                               f"{name}: same numbers, different shape ({list(a.shape)} vs "
                               f"{list(b.shape)}): reshape yours to {list(b.shape)}.")
        return Verdict(False, "shape", f"{name}: shapes differ: yours {list(a.shape)}, autograd "
                                       f"{list(b.shape)}.")
    nz = np.abs(b) > atol
    if nz.any() and not np.any(np.abs(a[~nz]) > atol * 10):
        ratios = a[nz] / b[nz]
        c = float(np.median(ratios))
        if np.allclose(ratios, c, rtol=1e-3, atol=1e-9):
            return _factor_verdict(name, c, n, yours)
    off = a - b
    if np.allclose(off, off.reshape(-1)[0], rtol=1e-6, atol=atol):
        return Verdict(False, "offset",
                       f"{name}: off by a constant {V.fmt_num(off.reshape(-1)[0])} ({yours}): "
                       "a term added where it should be multiplied?")
    err = float(np.max(np.abs(off) / np.maximum(np.abs(b), 1e-12)))
    return Verdict(False, "different",
                   f"{name}: differs element by element (largest relative error {err:.3g}; "
                   f"{yours}): no simple factor, sign or transpose explains it; check the "
                   "derivative of each step with glass.explain(loss, " + name + ").")


def _factor_verdict(name, c, n, yours) -> Verdict:
    def near(x, v):
        return abs(x - v) <= 1e-3 * max(1.0, abs(v))

    if near(c, -1):
        return Verdict(False, "sign", f"{name}: the sign is flipped ({yours}): you differentiated "
                       "(y - y_hat) where the loss has (y_hat - y) or the other way round, or "
                       "the update adds the gradient instead of subtracting it.", -1.0)
    whole = round(c)
    inv = round(1 / c) if c != 0 else 0
    if n is not None and near(c, n) or (n is None and whole > 1 and near(c, whole)
                                        and not near(c, 2)):
        big_n = n if n is not None else whole
        return Verdict(
            False, "factor N",
            f"{name}: off by a factor of N = {big_n}: your gradient is {big_n} times autograd's "
            f"({yours}). The loss is a mean over N = {big_n} elements, so its gradient carries "
            f"1/N; yours lost it. A typical cause: np.dot(2*x, y_hat - y) already sums the N "
            "products into one number, and .mean() of that single number divides by 1, not by "
            f"N. Divide by N (len(x)) instead. Autograd's numbers are right.", c)
    if n is not None and near(1 / c, n) or (n is None and inv > 1 and near(1 / c, inv)
                                            and not near(c, 0.5)):
        big_n = n if n is not None else inv
        return Verdict(False, "factor 1/N",
                       f"{name}: your gradient is autograd's divided by N = {big_n} ({yours}): "
                       "the 1/N of the mean was applied twice.", c)
    if near(c, 2) or near(c, 0.5):
        more = "twice" if near(c, 2) else "half"
        return Verdict(False, "factor 2",
                       f"{name}: your gradient is {more} autograd's ({yours}): the 2 of "
                       "d(u^2)/du = 2u is "
                       + ("counted twice." if near(c, 2) else "missing."), c)
    return Verdict(False, "factor",
                   f"{name}: off by a constant factor {c:.6g} ({yours}).", c)
