"""The ``glassgrad`` command: ``glassgrad demo [NAME]``, ``glassgrad run SCRIPT``, ..."""

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
    sys.argv = [str(path), *args.args]
    if args.trace or args.explain:
        from .glass.cli import traced

        with traced(args.trace, args.explain):
            runpy.run_path(str(path), run_name="__main__")
        return 0
    runpy.run_path(str(path), run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="glassgrad",
        description="glassgrad: PyTorch-compatible autograd on NumPy that shows how networks learn.",
    )
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run a bundled example (default: the seed tutorial)")
    d.add_argument("name", nargs="?", default="seed", help="example name (see --list)")
    d.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the example")
    d.add_argument("--list", action="store_true", help="list the examples")
    d.add_argument("--trace", metavar="DIR", help="record every step; write DIR/report.html")
    d.add_argument("--explain", action="store_true",
                   help="print the four steps of learning (forward, local gradients, chain "
                        "rule, update) for every training step")
    d.set_defaults(fn=_demo)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo"])
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
