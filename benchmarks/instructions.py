"""Instructions per step (valgrind callgrind): a measure of per-op overhead that load cannot move.

    python3 benchmarks/instructions.py                   # op-overhead and seed, glassgrad
    python3 benchmarks/instructions.py -w moons-mlp --lib torch

Timings on a shared 2-core machine swing by 10-20%; the number of instructions a step executes
does not. Each workload runs twice under callgrind, for a short and a long loop; the difference,
divided by the extra steps, leaves out start-up and imports. Use it to see whether a change to
the hot path helps before a timed run (``run.py``) says by how much. Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHORT, LONG = 200, 1200


def _count(workload: str, lib: str, steps: int) -> int:
    # a fixed hash seed: dict and set layouts (and so the count) the same on every run
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           sys.executable, __file__, "--worker", "-w", workload, "--lib", lib,
           "--steps", str(steps)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", out)
    if match is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{out[-2000:]}")
    return int(match.group(1))


def _worker(workload: str, lib_name: str, steps: int) -> None:
    sys.path[:0] = [str(ROOT), str(HERE)]
    import workloads

    if lib_name == "torch":
        import torch as lib

        lib.set_num_threads(1)
    else:
        import glassgrad as lib
    step, _ = getattr(workloads, workload.replace("-", "_"))(lib)
    for _ in range(5):  # warm-up: caches, first-time allocations, specialised bytecode
        step()
    for _ in range(steps):
        step()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-w", "--workload", dest="workloads", action="append")
    p.add_argument("--lib", choices=["glassgrad", "torch"], default="glassgrad")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=SHORT, help=argparse.SUPPRESS)
    args = p.parse_args()
    names = args.workloads or ["op-overhead", "seed"]
    if args.worker:
        _worker(names[0], args.lib, args.steps)
        return
    if shutil.which("valgrind") is None:
        sys.exit("instructions.py needs valgrind (apt-get install valgrind)")
    for name in names:
        per_step = (_count(name, args.lib, LONG) - _count(name, args.lib, SHORT)) / (LONG - SHORT)
        print(f"{name}: {per_step / 1000:.1f}k instructions per step ({args.lib})", flush=True)


if __name__ == "__main__":
    main()
