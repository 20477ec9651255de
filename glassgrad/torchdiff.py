"""``glassgrad diff SCRIPT``: run a script under PyTorch and under glassgrad, find the first line
where their printed output diverges.

Each line is split into numbers and the text between them. Text must match, with whitespace
ignored (tensor reprs pad numbers to a common width, so ``-0.0000`` shifts its neighbours) and any
object address (``0x7f3a...``) matching any other. Numbers must be written the same way (same
number of decimals, both or neither in exponent form) and be close:
``|glassgrad - torch| <= atol + rtol * |torch|``. NaN matches NaN.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["Divergence", "compare_lines", "compare_outputs", "diff_script", "main"]

# a decimal number (optionally signed, with exponent), or nan/inf as Python and torch print them
# (digits inside a word, as in `fc1.weight` or `AddBackward0`, or a version `3.11.7`, are text)
NUMBER = re.compile(
    r"(?<![\w.])(?:[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])"
    r"|[-+]?\b(?:nan|inf)\b)"
)
_SPACE = re.compile(r"\s+")
# object addresses (`<AddBackward0 object at 0x7f...>`) differ from run to run, even under torch
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")


def split_line(line: str) -> tuple[list[str], list[str]]:
    """``'loss=0.25 w=-1'`` -> text parts ``['loss=', 'w=', '']``, numbers ``['0.25', '-1']``."""
    line = _ADDRESS.sub("0x?", line)
    texts, numbers, pos = [], [], 0
    for m in NUMBER.finditer(line):
        texts.append(_SPACE.sub("", line[pos:m.start()]))
        numbers.append(m.group())
        pos = m.end()
    texts.append(_SPACE.sub("", line[pos:]))
    return texts, numbers


def _form(literal: str) -> tuple:
    """How a number is written: (decimals or None, exponent form?). ``1.`` and ``1.0`` differ."""
    body = literal.lstrip("+-").lower()
    if body in ("nan", "inf"):
        return (body,)
    mantissa, has_exp, _ = body.partition("e")
    decimals = len(mantissa.partition(".")[2]) if "." in mantissa else None
    return (decimals, bool(has_exp))


def numbers_close(got: str, want: str, rtol: float, atol: float) -> bool:
    if got == want:
        return True
    if _form(got) != _form(want):
        return False
    a, b = float(got), float(want)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


@dataclass
class Divergence:
    """The first line where glassgrad's output (``got``) differs from torch's (``want``)."""

    lineno: int  # 1-based
    want: str | None  # None: torch printed no such line
    got: str | None
    detail: str

    def report(self, rtol: float, atol: float) -> str:
        def show(s):
            return "(no line: the output ended)" if s is None else s

        return (
            f"glassgrad diff: outputs diverge at line {self.lineno} (rtol={rtol:g}, atol={atol:g})\n"
            f"  torch    : {show(self.want)}\n"
            f"  glassgrad: {show(self.got)}\n"
            f"  {self.detail}\n"
        )


def compare_lines(got: str, want: str, rtol: float, atol: float) -> str | None:
    """None when the lines agree, else a sentence saying where they differ."""
    if got == want:
        return None
    texts_g, nums_g = split_line(got)
    texts_w, nums_w = split_line(want)
    for tg, tw in zip(texts_g, texts_w):
        if tg != tw:
            return f"text differs: torch {tw!r}, glassgrad {tg!r}"
    if len(nums_g) != len(nums_w):
        return f"torch prints {len(nums_w)} numbers on this line, glassgrad {len(nums_g)}"
    for i in range(len(nums_g)):
        if not numbers_close(nums_g[i], nums_w[i], rtol, atol):
            g, w = nums_g[i], nums_w[i]
            if _form(g) != _form(w):
                return f"number {i + 1} is written differently: torch {w}, glassgrad {g}"
            diff = abs(float(g) - float(w))
            tol = atol + rtol * abs(float(w))
            return f"number {i + 1}: torch {w}, glassgrad {g} (|diff| {diff:.3g} > tolerance {tol:.3g})"
    return None


def compare_outputs(got: str, want: str, rtol: float = 1e-5, atol: float = 1e-8):
    r"""The first :class:`Divergence` between two printed outputs, or None if they agree.

    >>> compare_outputs("loss 0.2501\n", "loss 0.2500\n", rtol=1e-3) is None
    True
    >>> compare_outputs("a\nloss 0.3\n", "a\nloss 0.2\n").lineno
    2
    """
    lines_g, lines_w = got.splitlines(), want.splitlines()
    for i in range(max(len(lines_g), len(lines_w))):
        g = lines_g[i] if i < len(lines_g) else None
        w = lines_w[i] if i < len(lines_w) else None
        if g is None or w is None:
            who = "glassgrad" if g is None else "torch"
            return Divergence(i + 1, w, g, f"{who}'s output ends before this line")
        detail = compare_lines(g, w, rtol, atol)
        if detail is not None:
            return Divergence(i + 1, w, g, detail)
    return None


def _glassgrad_env() -> dict:
    """The environment for the glassgrad child: it must import *this* glassgrad."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


@dataclass
class Runs:
    torch_out: str
    torch_err: str
    torch_rc: int
    gg_out: str
    gg_err: str
    gg_rc: int


def run_both(script: str, args=(), timeout=None) -> Runs:
    """Run ``script`` with ``python`` (real torch) and ``glassgrad run``, at the same time."""
    kw = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    ref = subprocess.Popen([sys.executable, script, *args], **kw)
    gg = subprocess.Popen(
        [sys.executable, "-m", "glassgrad", "run", script, *args], env=_glassgrad_env(), **kw
    )
    try:
        gg_out, gg_err = gg.communicate(timeout=timeout)
        ref_out, ref_err = ref.communicate(timeout=timeout)
    finally:
        for p in (ref, gg):
            if p.poll() is None:
                p.kill()
                p.wait()
    return Runs(ref_out, ref_err, ref.returncode, gg_out, gg_err, gg.returncode)


# calls whose results depend on the random stream (nn layers initialise their weights randomly)
_RANDOM_USE = re.compile(
    r"\b(?:rand|randn|randint|randperm|rand_like|randn_like|normal_|uniform_|bernoulli|multinomial"
    r"|random_split|Dropout\w*|dropout|kaiming_\w+|xavier_\w+)\b|shuffle\s*=\s*True"
    r"|\b(?:Linear|Conv[123]d|LSTM|GRU|RNN|Embedding|Bilinear)\("
)


def uses_randomness(script: str) -> bool:
    """Does the script's source call something random (a guess from its text)?"""
    try:
        with open(script, encoding="utf-8") as f:
            return _RANDOM_USE.search(f.read()) is not None
    except (OSError, UnicodeDecodeError):
        return False


def _tail(text: str, n: int = 12) -> str:
    lines = text.rstrip().splitlines()[-n:]
    return "".join(f"    | {line}\n" for line in lines)


def diff_script(script: str, args=(), rtol=1e-5, atol=1e-8, timeout=None, out=None) -> int:
    """Print the report; return 0 when both agree, 1 when they diverge, 2 on error."""
    out = out or sys.stdout
    if not os.path.isfile(script):
        print(f"glassgrad diff: can't open file '{script}': no such file", file=sys.stderr)
        return 2
    if not torch_available():
        print(
            "glassgrad diff: PyTorch is not installed for this Python "
            f"({sys.executable}); diff needs it as the reference (pip install torch)",
            file=sys.stderr,
        )
        return 2
    try:
        r = run_both(script, args, timeout)
    except subprocess.TimeoutExpired:
        print(f"glassgrad diff: the script ran past the {timeout}s timeout", file=sys.stderr)
        return 2
    if r.torch_rc != 0:
        print(
            f"glassgrad diff: the script fails under PyTorch itself (exit status {r.torch_rc}):\n"
            + _tail(r.torch_err),
            file=sys.stderr,
        )
        return 2
    d = compare_outputs(r.gg_out, r.torch_out, rtol, atol)
    if d is None and r.gg_rc == 0:
        n = len(r.torch_out.splitlines())
        print(f"glassgrad diff: both agree ({n} lines, rtol={rtol:g}, atol={atol:g})", file=out)
        return 0
    if d is None:
        lineno = len(r.torch_out.splitlines()) + 1
        d = Divergence(lineno, None, None, "")
        text = f"glassgrad diff: outputs agree up to line {lineno - 1}, then\n"
    else:
        text = d.report(rtol, atol)
        if d.detail.startswith("number") and uses_randomness(script):
            text += (
                "  note: the script draws random numbers; glassgrad's random stream differs from\n"
                "  PyTorch's (same distributions, other values), so values that depend on them\n"
                "  differ. Set weights and data explicitly to compare digit for digit\n"
                "  (docs/compat.md).\n"
            )
    if r.gg_rc != 0:
        text += f"  glassgrad exited with status {r.gg_rc}:\n" + _tail(r.gg_err)
    print(text, end="", file=out)
    return 1


def split_diff_args(argv: list[str]) -> tuple[dict, list[str]]:
    """Take ``--rtol R`` / ``--atol A`` (also ``--rtol=R``) from anywhere before ``--``;
    everything else goes to the script. Raises ValueError for a malformed value."""
    opts, rest, i = {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest.extend(argv[i + 1:])
            break
        key, eq, val = a.partition("=")
        if key in ("--rtol", "--atol", "--timeout"):
            if not eq:
                if i + 1 >= len(argv):
                    raise ValueError(f"{key} needs a value")
                val = argv[i + 1]
                i += 1
            try:
                opts[key[2:]] = float(val)
            except ValueError:
                raise ValueError(f"{key}: not a number: {val!r}") from None
        else:
            rest.append(a)
        i += 1
    return opts, rest


def main(argv: list[str]) -> int:
    """``glassgrad diff SCRIPT [--rtol R] [--atol A] [--timeout S] [ARGS...] [-- ARGS...]``."""
    try:
        opts, rest = split_diff_args(argv)
    except ValueError as e:
        print(f"glassgrad diff: {e}", file=sys.stderr)
        return 2
    if not rest:
        print("glassgrad diff: which script? usage: glassgrad diff SCRIPT [--rtol R] [--atol A]",
              file=sys.stderr)
        return 2
    return diff_script(rest[0], rest[1:], opts.get("rtol", 1e-5), opts.get("atol", 1e-8),
                       opts.get("timeout"))
