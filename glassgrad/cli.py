"""The ``glassgrad`` command.

    glassgrad demo [NAME]                  run a bundled example (default: the seed tutorial)
    glassgrad run SCRIPT [ARGS...]         run an unmodified PyTorch script on glassgrad
    glassgrad diff SCRIPT [--rtol R] ...   run it under PyTorch and glassgrad, find the first
                                           line where the printed output diverges

Each subcommand is one ``_add_NAME(sub)`` function that declares its options and one ``_NAME(args)``
that runs it: a new option (``--trace DIR``...) is an ``add_argument`` line plus its use.
"""

from __future__ import annotations

import argparse
import runpy
import sys


def _demo(args) -> int:
    from .examples import EXAMPLES, path_of

    if args.list:
        for name, (_, desc) in EXAMPLES.items():
            print(f"{name:14s} {desc}")
        return 0
    path = path_of(args.name)
    # `demo NAME ... --trace DIR` / `--explain` after the name are ours (no example takes them)
    rest, it = [], iter(args.args)
    for a in it:
        if a == "--explain":
            args.explain = True
        elif a == "--trace":
            args.trace = next(it, None)
            if args.trace is None:
                print("glassgrad demo: error: argument --trace: expected one argument",
                      file=sys.stderr)
                return 2
        elif a.startswith("--trace="):
            args.trace = a.split("=", 1)[1]
        else:
            rest.append(a)
    sys.argv = [str(path), *rest]
    if args.trace or args.explain:
        from .glass.cli import traced

        with traced(args.trace, args.explain):
            runpy.run_path(str(path), run_name="__main__")
        return 0
    runpy.run_path(str(path), run_name="__main__")
    return 0


def _run(args) -> int:
    from .torchcompat import run_script

    if args.trace or args.explain:
        from .glass.cli import traced

        with traced(args.trace, args.explain):
            return run_script(args.script, args.args)
    return run_script(args.script, args.args)


def _diff(args) -> int:
    from . import torchdiff

    try:
        opts, rest = torchdiff.split_diff_args(args.args)
    except ValueError as e:
        print(f"glassgrad diff: {e}", file=sys.stderr)
        return 2
    rtol = opts.get("rtol", args.rtol if args.rtol is not None else 1e-5)
    atol = opts.get("atol", args.atol if args.atol is not None else 1e-8)
    timeout = opts.get("timeout", args.timeout)
    return torchdiff.diff_script(args.script, rest, rtol, atol, timeout)


def _add_demo(sub) -> None:
    d = sub.add_parser("demo", help="run a bundled example (default: the seed tutorial)")
    d.add_argument("name", nargs="?", default="seed", help="example name (see --list)")
    d.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the example")
    d.add_argument("--list", action="store_true", help="list the examples")
    _add_glass_options(d)
    d.set_defaults(fn=_demo)


def _add_glass_options(p) -> None:
    """``--trace DIR`` / ``--explain``: shared by the commands that run a training script."""
    p.add_argument("--trace", metavar="DIR", help="record every step; write DIR/report.html")
    p.add_argument("--explain", action="store_true",
                   help="print the four steps of learning (forward, local gradients, chain "
                        "rule, update) for every training step")


def _add_run(sub) -> None:
    r = sub.add_parser(
        "run",
        help="run an unmodified PyTorch script with `import torch` resolved to glassgrad",
        description="Run SCRIPT as __main__ (like `python SCRIPT ARGS...`) with torch, torch.nn, "
        "torch.optim, torch.utils.data... resolved to glassgrad, in this process only. A torch "
        "name glassgrad lacks stops the script with a message naming it.",
    )
    _add_glass_options(r)
    r.add_argument("script", help="the PyTorch script")
    r.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    r.set_defaults(fn=_run)


def _add_diff(sub) -> None:
    d = sub.add_parser(
        "diff",
        help="run a script under PyTorch and under glassgrad; report the first diverging line",
        description="Run SCRIPT with real PyTorch and with glassgrad, compare what they print "
        "line by line and number by number, and report the first line that diverges. Exit "
        "status: 0 both agree, 1 they diverge, 2 error. Options may also follow SCRIPT; "
        "arguments after `--` go to the script untouched.",
    )
    d.add_argument("--rtol", type=float, default=None,
                   help="relative tolerance for numbers (default 1e-5)")
    d.add_argument("--atol", type=float, default=None,
                   help="absolute tolerance for numbers (default 1e-8)")
    d.add_argument("--timeout", type=float, default=None, help="seconds allowed per run")
    d.add_argument("script", help="the PyTorch script")
    d.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    d.set_defaults(fn=_diff)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="glassgrad",
        description="glassgrad: PyTorch-compatible autograd on NumPy that shows how networks learn.",
    )
    sub = p.add_subparsers(dest="command")
    _add_demo(sub)
    _add_run(sub)
    _add_diff(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo"])
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
