"""Training-loop checks: the mistakes a trace can see, reported with the user's file and line.

- gradients accumulating across steps because ``zero_grad`` is missing;
- a loss whose inputs broadcast ``[n, 1]`` against ``[n]`` (every prediction compared with every
  target);
- NaN or inf in the loss or the gradients, naming the op that first produced them;
- the loss rising for several steps in a row (learning rate too high);
- exploding or vanishing gradient norms;
- ReLU units that never activate.

Each check warns once per kind and place, as a ``GlassWarning`` (a ``UserWarning``) whose
filename and line number are the user's, and is kept in ``trace.warnings`` for the report.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import values as V


class GlassWarning(UserWarning):
    """A training-loop problem found by ``glass.trace()``."""


class Finding:
    """One warning: its kind, message, the user's ``file:line`` and the step it was seen at."""

    __slots__ = ("kind", "message", "step", "where")

    def __init__(self, kind, message, where, step):
        self.kind = kind
        self.message = message
        self.where = where
        self.step = step

    def to_json(self) -> dict:
        return {"kind": self.kind, "message": self.message, "where": self.where,
                "step": self.step}

    def __str__(self) -> str:
        return f"{self.where}: [{self.kind}] {self.message}"

    __repr__ = __str__


_NOT_ELEMENTWISE = ("mm", "matmul", "bmm", "addmm", "linear", "cat", "stack", "index",
                    "embedding", "conv2d", "convolution")
RISING_STEPS = 4  # consecutive increases of the loss that count as "rising"
EXPLODE_FACTOR = 1e3  # gradient norm this many times its first value
EXPLODE_ABS = 1e6
VANISH_REL = 1e-7  # a parameter's gradient this small against the largest one
VANISH_STEPS = 3
DEAD_RELU_STEPS = 5  # a unit must stay at 0 this many traced steps to count as dead


class Checker:
    def __init__(self, trace):
        self.trace = trace
        self.seen = set()
        self.rises = 0
        self.first_norm = None
        self.vanish = {}
        self.relu = {}  # where -> [ever-active mask per unit, steps seen, op, units]
        self.prev_updated = set()

    # -- reporting ----------------------------------------------------------------------------

    def warn(self, kind, message, where, step, key=None):
        key = (kind, key if key is not None else where)
        if key in self.seen:
            return
        self.seen.add(key)
        f = Finding(kind, message, where, step.index if step is not None else None)
        self.trace.warnings.append(f)
        if step is not None:
            step.warnings.append(f)
        if self.trace.warn:
            filename, _, line = (where or "?:0").rpartition(":")
            try:
                lineno = int(line)
            except ValueError:
                filename, lineno = where or "?", 0
            warnings.warn_explicit(f"{message}", GlassWarning, filename or "?", lineno,
                                   module="glassgrad.glass")

    # -- per step -----------------------------------------------------------------------------

    def step(self, step) -> None:
        try:
            self._zero_grad(step)
            self._broadcast(step)
            self._nonfinite(step)
            self._rising(step)
            self._norms(step)
            self._relu(step)
        except Exception as e:  # noqa: BLE001  (a check must never break the user's training)
            warnings.warn(f"glass: a training-loop check failed: {e!r}", RuntimeWarning,
                          stacklevel=2)

    def _zero_grad(self, step):
        for n in step.params:
            before = n.grad_before
            if before is None or n.title not in self.prev_updated:
                continue
            if V.is_small(before):
                nonzero = bool(np.any(before != 0))
            else:
                nonzero = before.norm > 0
            if nonzero:
                self.warn(
                    "zero_grad missing",
                    f"{n.title}.grad still held {V.fmt(before)} from the previous step when this "
                    "backward() added to it: gradients are accumulating across steps. Call "
                    "optimizer.zero_grad() (or w.grad.zero_()) after each update.",
                    step.where, step, key="zero_grad")
        self.prev_updated = {u.name for u in step.updates}

    def _broadcast(self, step):
        loss = step._by_id.get(step.loss_id)
        for n in step.nodes:
            ins = [i for i in n.inputs if i is not None]
            if n.kind != "op" or len(ins) != 2:
                continue
            a, b = (step._by_id[i] for i in ins)
            sa, sb = tuple(a.shape), tuple(b.shape)
            pair = {sa, sb}
            if len(sa) + len(sb) != 3 or len(pair) != 2:
                continue
            col = sa if len(sa) == 2 else sb
            vec = sb if len(sa) == 2 else sa
            if col[1] == 1 and col[0] == vec[0] and vec[0] > 1 and n.fn not in _NOT_ELEMENTWISE:
                what = "the loss" if loss is not None else "this step"
                wide = [vec[0], vec[0]]
                self.warn(
                    "broadcast",
                    f"{n.fn}: shapes {list(sa)} and {list(sb)} broadcast to "
                    f"{wide}, so {what} compares every prediction with every target. "
                    f"Make the shapes match: {a.title}.view(-1) or {b.title}.view(-1, 1) "
                    "(PyTorch's mse_loss warns about this too).",
                    n.where or step.where, step)

    def _nonfinite(self, step):
        loss = step._by_id.get(step.loss_id)
        bad_loss = step.loss is not None and not np.isfinite(step.loss)
        if bad_loss or (loss is not None and V.nonfinite(loss.value)):
            culprit = None
            for n in sorted((n for n in step.nodes if n.kind == "op"), key=lambda n: n.seq):
                if V.nonfinite(n.value):
                    ins = [step._by_id[i] for i in n.inputs if i is not None]
                    if not any(V.nonfinite(i.value) for i in ins):
                        culprit = n
                        break
            if culprit is not None:
                msg = (f"the loss is {V.fmt(step.loss)}: the first non-finite value came from "
                       f"{culprit.op} ({culprit.label}) at {culprit.where}; its inputs were "
                       "finite. Check its domain (log of 0 or a negative, division by 0, "
                       "overflow in exp) or lower the learning rate.")
                where = culprit.where or step.where
            else:
                msg = (f"the loss is {V.fmt(step.loss)}: an input or a parameter was already "
                       "non-finite (diverged in an earlier update? lower the learning rate)")
                where = step.where
            # once per place it starts (a later NaN from another op/line is news)
            self.warn("nan/inf", msg, where, step, key=("loss", where))
            return
        for n in sorted((n for n in step.nodes if n.kind == "op" and n.order is not None),
                        key=lambda n: n.order):
            if V.nonfinite(n.grad):
                continue
            for k, p in enumerate(n.products):
                if V.nonfinite(p):
                    inp = step._by_id.get(n.inputs[k]) if k < len(n.inputs) else None
                    self.warn(
                        "nan/inf",
                        f"the gradient became non-finite in {n.op}'s backward ({n.label}: "
                        f"rule {' | '.join(n.rule[1:]) or '?'}) on its way to "
                        f"{inp.title if inp else 'an input'}, although the loss is finite.",
                        n.where or step.where, step, key="grad")
                    return

    def _rising(self, step):
        steps = self.trace.steps
        if len(steps) < 2 or step.loss is None or steps[-2].loss is None:
            return
        if step is not steps[-1]:
            return
        if step.loss > steps[-2].loss and np.isfinite(step.loss):
            self.rises += 1
        else:
            self.rises = 0
        if self.rises >= RISING_STEPS:
            first = steps[-1 - self.rises].loss
            self.warn(
                "loss rising",
                f"the loss rose for {self.rises} steps in a row ({V.fmt_num(first)} -> "
                f"{V.fmt_num(step.loss)}): the learning rate is probably too high.",
                step.where, step)

    def _norms(self, step):
        norms = {n.title: V.norm(n.grad_after) for n in step.params if n.grad_after is not None}
        if not norms:
            return
        total = float(np.sqrt(sum(v * v for v in norms.values())))
        if self.first_norm is None and total > 0:
            self.first_norm = total
        if self.first_norm and np.isfinite(total) and (
            total > EXPLODE_FACTOR * self.first_norm and total > 1.0 or total > EXPLODE_ABS
        ):
            self.warn(
                "exploding gradients",
                f"the gradient norm grew to {V.fmt_num(total)} (it was "
                f"{V.fmt_num(self.first_norm)} at the first step): lower the learning rate or "
                "clip gradients (nn.utils.clip_grad_norm_).",
                step.where, step)
        biggest = max(norms.values())
        loss_small = step.loss is not None and abs(step.loss) < 1e-6
        stuck = []
        for name, v in norms.items():
            tiny = biggest > 0 and v < VANISH_REL * biggest or biggest == 0 and not loss_small
            self.vanish[name] = self.vanish.get(name, 0) + 1 if tiny else 0
            if self.vanish[name] >= VANISH_STEPS and not loss_small:
                stuck.append((name, v))
        if stuck:
            names = ", ".join(f"{n} ({V.fmt_num(v)})" for n, v in stuck[:4])
            more = f" and {len(stuck) - 4} more" if len(stuck) > 4 else ""
            self.warn(
                "vanishing gradients",
                f"{len(stuck)} of {len(norms)} parameters have gradient norms below "
                f"{VANISH_REL:g} times the largest ({V.fmt_num(biggest)}) for {VANISH_STEPS} steps, "
                f"so they barely learn: {names}{more}. Saturating activations (sigmoid, tanh), "
                "a deep plain stack, or a bad initialisation?",
                step.where, step, key="vanishing")

    def _relu(self, step):
        for n in step.nodes:
            if n.op != "ReluBackward0" or n.value is None:
                continue
            v = n.value
            if n.alive is not None:
                active = n.alive
            elif V.is_small(v):
                arr = np.asarray(v)
                active = (arr > 0).reshape(-1, arr.shape[-1]).any(axis=0) if arr.ndim >= 2 \
                    else arr > 0
            else:
                active = np.array([v.max > 0])
            key = (n.where, n.module, n.shape[-1:] if n.shape else ())
            ent = self.relu.get(key)
            if ent is None or ent[0].shape != active.shape:
                self.relu[key] = [active.copy(), 1, n]
            else:
                ent[0] |= active
                ent[1] += 1
                ent[2] = n

    # -- at the end of the trace --------------------------------------------------------------

    def finish(self) -> None:
        for (where, module, _), (alive, count, n) in self.relu.items():
            dead = int(alive.size - np.count_nonzero(alive))
            if dead and count >= DEAD_RELU_STEPS:
                where_txt = f" in {module}" if module else ""
                self.warn(
                    "dead ReLU",
                    f"{dead} of {alive.size} ReLU units{where_txt} never activated in "
                    f"{count} traced steps (output always 0, so no gradient flows through them): "
                    "lower the learning rate, check the initialisation, or try LeakyReLU.",
                    where or "?", self.trace.steps[-1] if self.trace.steps else None,
                    key=(where, module))
