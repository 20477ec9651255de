"""The terminal view: each traced step as a compact table of the four steps of learning.

    1 forward   y_hat = w * x = [0.0 0.0 0.0 0.0]
    2 local     d(y - y_hat)/dy_hat = -1 ...
    3 chain     dL/dw = sum_i dL/dy_hat_i * dy_hat_i/dw = sum [-1.0 -4.0 -9.0 -16.0] = -30.0
    4 update    w = 0.0 - 0.01 * -30.0 = 0.3

``glassgrad demo --explain`` prints one per epoch of the seed tutorial.
"""

from __future__ import annotations

import shutil
import sys

from . import values as V
from .explain import _idx, local_term, paths_to, rule_for_input
from .record import Step, dname

MAX_ROWS = 8  # ops shown per section before the rest is summarised


def step_table(step: Step, width: int | None = None) -> str:
    """The four steps of one traced step as text."""
    clip = width is None and sys.stdout.isatty()  # cut long rows on a terminal, not in a file
    width = width or (min(shutil.get_terminal_size((100, 20)).columns, 140) if clip else 100)
    ops = sorted((n for n in step.nodes if n.kind == "op"), key=lambda n: n.seq)
    lines = []
    title = f" step {step.index}: loss = {V.fmt(step.loss) if step.loss is not None else '-'} "
    lines.append("--" + title + "-" * max(0, width - len(title) - 2))

    def row(num, label, text):
        head = f" {num} {label:<9s} " if num else " " * 13
        lines.append(_clip(head + text, width) if clip else head + text)

    # 1. forward: each op's value
    for k, n in enumerate(ops[:MAX_ROWS]):
        what = n.title if n.title == n.label else f"{n.title} = {n.label}"
        row("1" if k == 0 else "", "forward", f"{what} = {_with_operands(step, n)}{V.fmt(n.value)}")
    if len(ops) > MAX_ROWS:
        row("", "", f"... {len(ops) - MAX_ROWS} more ops")
    # 2. local gradients, in the order backward visits the nodes
    back = sorted((n for n in ops if n.order is not None), key=lambda n: n.order)
    first = True
    shown = 0
    for n in back:
        for pos, i in enumerate(n.inputs):
            if i is None or pos >= len(n.products) or n.products[pos] is None:
                continue
            if shown >= MAX_ROWS:
                break
            inp = step._by_id[i]
            t = local_term(step, n, pos, n.scalars)
            loc = n.local[pos] if pos < len(n.local) else None
            sym = f"{t.text()} = " if t is not None else ""
            val = V.fmt(loc) if loc is not None else f"(rule: {' | '.join(n.rule[1:]) or '?'})"
            row("2" if first else "", "local",
                f"d{dname(n.title)}/d{dname(inp.title)} = {sym}{val}")
            first = False
            shown += 1
    # 3. the chain rule, per parameter
    first = True
    for p in step.params:
        paths = paths_to(step, p)
        parts = []
        for path in paths[:2]:
            last, pos = path[-1]
            yi = _idx(last.title, last.shape == ())
            wi = p.title if p.shape == () else f"{p.title}_i"
            summed = last.shape != p.shape and last.shape != ()
            prod = last.products[pos] if pos < len(last.products) else None
            if local_term(step, last, pos, last.scalars) is None:
                # a matrix op: its rule for this input, with g = the gradient arriving at it
                piece = rule_for_input(last, pos) or f"{last.op}'s rule"
                # in parentheses: the line goes on "= <total>", which is dL/dp, not g
                parts.append(f"{piece} (where g = dL/d{dname(last.title)})")
                continue
            head = (f"sum_i dL/d{yi} * d{yi}/d{wi}" if summed else f"dL/d{yi} * d{yi}/d{wi}")
            parts.append(f"{head} = {'sum ' if summed else ''}{V.fmt(prod)}")
        more = f" (+{len(paths) - 2} paths)" if len(paths) > 2 else ""
        total = p.grad_after if p.grad_after is not None else None
        row("3" if first else "", "chain",
            f"dL/d{p.title} = {' + '.join(parts)}{more} = {V.fmt(total)}")
        first = False
    # 4. the update
    first = True
    for u in step.updates:
        lr = u.inferred_lr()
        if lr is not None and V.is_small(u.before) and u.before.size <= 4:
            text = (f"{u.name} = {V.fmt(u.before)} - {V.fmt_num(lr)} * {V.fmt(u.grad)} = "
                    f"{V.fmt(u.after)}")
        else:
            ratio = f", |update|/|{u.name}| = {u.ratio:.3g}" if u.ratio is not None else ""
            by = f"{u.optimizer} lr {V.fmt_num(u.lr)}, " if u.optimizer and u.lr else ""
            text = (f"{u.name}: {V.fmt(u.before, 4)} -> {V.fmt(u.after, 4)} "
                    f"({by}|grad| = {V.fmt_num(V.norm(u.grad) or 0)}{ratio})")
        for k, v in u.state.items():
            text += f"; {k} = {V.fmt(v, 4)}"
        row("4" if first else "", "update", text)
        first = False
    if not step.updates:
        row("4", "update", "(no parameter changed after this backward)")
    for w in step.warnings:
        lines.append(f" ! {w.where}: {w.message}")
    return "\n".join(lines)


_ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _with_operands(step: Step, n) -> str:
    """``0.0 * [1.0 2.0 3.0 4.0] = `` for a small arithmetic op: the numbers going in."""
    sym = _ARITH.get(n.fn)
    ins = [step._by_id[i] for i in n.inputs if i is not None]
    if sym is None or len(ins) != 2 or n.op.startswith("Rsub"):
        return ""
    if not all(V.is_small(i.value) and i.value.size <= 4 for i in ins):
        return ""
    return f"{V.fmt(ins[0].value)} {sym} {V.fmt(ins[1].value)} = "


def _clip(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 3] + "..."


def printer(file=None):
    """An ``on_step`` callback that prints each finished step's table."""

    def on_step(step):
        print(step_table(step), file=file or sys.stdout, flush=True)

    return on_step
