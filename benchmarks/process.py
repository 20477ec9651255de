"""Whole-process time: what a learner waits for, from typing the command to the last line.

    python3 benchmarks/process.py                  # 7 rounds
    python3 benchmarks/process.py --rounds 15 --json benchmarks/results/process.json

Two comparisons, each a fresh Python process per run:

  import   `python -c "import glassgrad"`                   vs `python -c "import torch"`
  seed     `glassgrad run how_network_learns_torch_autograd.py` vs `python` on it with real torch

The two commands of a comparison alternate within each round (which goes first alternates too), so
a noisy neighbour on a shared machine slows both alike. Reported: the median wall time of each and
the median of the per-round ratios (torch / glassgrad: how many times faster glassgrad is). The
seed outputs are checked equal, so the speed never comes from doing less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT.parent / "shared" / "seed" / "how_network_learns_torch_autograd.py"


def _env() -> dict:
    env = dict(os.environ)
    # this checkout's glassgrad, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # Byte-code caching as a user has it: pip writes torch's .pyc files at install; glassgrad's are
    # written by the warm-up runs (a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise
    # recompile every module on every start: about 0.25 s of CPU).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _cpu_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _time(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) of the child, and its stdout."""
    c0 = _cpu_children()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    cpu = _cpu_children() - c0
    if r.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{r.stderr}")
    return elapsed, cpu, r.stdout


def compare(glassgrad_cmd, torch_cmd, rounds: int, check_same_output: bool) -> dict:
    env = _env()
    times = {"glassgrad": [], "torch": []}
    cpus = {"glassgrad": [], "torch": []}
    ratios = []
    for _ in range(2):  # warm the file cache for both
        _time(glassgrad_cmd, env)
        _time(torch_cmd, env)
    for i in range(rounds):
        order = [("glassgrad", glassgrad_cmd), ("torch", torch_cmd)]
        if i % 2:
            order.reverse()
        got = {}
        for name, cmd in order:
            got[name] = _time(cmd, env)
            times[name].append(got[name][0])
            cpus[name].append(got[name][1])
        if check_same_output and got["glassgrad"][2] != got["torch"][2]:
            raise SystemExit("glassgrad and torch printed different output; not comparable")
        ratios.append(got["torch"][0] / got["glassgrad"][0])
    return {
        "glassgrad_s": statistics.median(times["glassgrad"]),
        "torch_s": statistics.median(times["torch"]),
        "ratio": statistics.median(ratios),
        "glassgrad_cpu_s": statistics.median(cpus["glassgrad"]),
        "torch_cpu_s": statistics.median(cpus["torch"]),
        "rounds": rounds,
        "glassgrad_cmd": " ".join(glassgrad_cmd),
        "torch_cmd": " ".join(torch_cmd),
    }


def measure(rounds: int = 7) -> dict:
    """Both comparisons: {"import": {...}, "seed": {...}} (seed only where ../shared/seed is)."""
    py = sys.executable
    results = {
        "import": compare([py, "-c", "import glassgrad"], [py, "-c", "import torch"],
                          rounds, check_same_output=False),
    }
    if SEED.exists():
        results["seed"] = compare([py, "-m", "glassgrad", "run", str(SEED)], [py, str(SEED)],
                                  rounds, check_same_output=True)
    else:
        print(f"(skipping the seed comparison: {SEED} not found)", file=sys.stderr)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)

    results = measure(args.rounds)

    print(f"whole-process time, median of {args.rounds} alternating rounds "
          "(wall; CPU = user + system of the process)")
    print(f"{'workload':9s} {'glassgrad wall':>15s} {'torch wall':>11s} {'torch/glassgrad':>16s}"
          f" {'glassgrad CPU':>14s} {'torch CPU':>10s}")
    for name, r in results.items():
        print(f"{name:9s} {r['glassgrad_s'] * 1000:13.0f}ms {r['torch_s'] * 1000:9.0f}ms "
              f"{r['ratio']:15.1f}x {r['glassgrad_cpu_s'] * 1000:12.0f}ms "
              f"{r['torch_cpu_s'] * 1000:8.0f}ms")
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"python": sys.version.split()[0], "machine": os.uname().machine,
                "cpus": os.cpu_count()}
        path.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
