"""glassgrad vs PyTorch, side by side in one run.

    python3 benchmarks/run.py                 # all workloads, 1 thread and default threads
    python3 benchmarks/run.py --quick         # fewer rounds (a smoke run)
    python3 benchmarks/run.py -w seed -w cnn  # some workloads
    python3 benchmarks/run.py --threads 1     # one thread setting

Each thread setting runs in its own worker process (BLAS thread counts are fixed when NumPy and
PyTorch load). Inside a worker the two libraries alternate round by round (which goes first
alternates too), each round timing a batch of steps after a warm-up; the reported figure is the
median over rounds, and the ratio is the median of the per-round ratios, so a noisy neighbour on
this 2-core machine hits both libraries alike. After timing, both libraries have taken the same
steps from the same weights; their losses must agree, so speed never comes from computing
something else. Results go to benchmarks/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _time_batch(step, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def _calibrate(step, budget: float) -> int:
    """How many steps fit in ``budget`` seconds (at least 1)."""
    t = _time_batch(step, 1)
    return max(1, min(10_000, int(budget / max(t, 1e-7))))


def compare(make, libs, rounds: int, budget: float) -> dict:
    """Time ``make(lib)`` for each lib, interleaved; returns medians, ratio and losses."""
    steps = {}
    losses = {}
    for name, lib in libs.items():
        step, loss = make(lib)
        steps[name] = step
        losses[name] = loss
        for _ in range(3):
            step()  # warm-up
    n = {name: _calibrate(s, budget) for name, s in steps.items()}
    # the same number of steps for both, so the loss check compares equal trajectories
    k = min(n.values())
    times = {name: [] for name in libs}
    names = list(libs)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(_time_batch(steps[name], k))
    res = {name: statistics.median(ts) for name, ts in times.items()}
    out = {"median_s": res, "steps_per_round": k, "rounds": rounds}
    if "torch" in libs:
        ratios = [g / t for g, t in zip(times["glassgrad"], times["torch"])]
        out["ratio"] = statistics.median(ratios)
        lg, lt = losses["glassgrad"](), losses["torch"]()
        out["loss"] = {"glassgrad": lg, "torch": lt}
        out["same_loss"] = abs(lg - lt) <= 1e-3 * max(1.0, abs(lt))
    return out


def _nohooks_build():
    """Swap in copies of the hot-path functions (Function's apply paths, the engine's loop) with
    the glass-box hook checks cut out (the lines between ``# glass hooks`` markers), to measure
    what the checks cost when off."""
    import inspect
    import textwrap
    import types

    from glassgrad.autograd import engine, function

    def strip(fn, module):
        src = textwrap.dedent(inspect.getsource(fn))
        out, skip = [], False
        if src.lstrip().startswith("@"):
            src = src.split("\n", 1)[1]  # the decorator: re-applied by the caller
        for line in src.splitlines():
            if "# glass hooks: begin" in line:
                skip = True
            elif "# glass hooks: end" in line:
                skip = False
            elif not skip:
                out.append(line)
        if len(out) == len(src.splitlines()):
            raise RuntimeError(f"no glass-hook markers found in {fn.__qualname__}")
        ns = dict(vars(module))
        exec("\n".join(out), ns)  # noqa: S102  (our own source, minus the marked lines)
        made = ns[fn.__name__]
        # run in the module's own globals, so that names (and ``global`` stores) resolve to
        # what is installed there, stripped or not
        copy = types.FunctionType(made.__code__, vars(module), made.__name__, made.__defaults__,
                                  made.__closure__)
        copy.__kwdefaults__ = made.__kwdefaults__
        return copy

    # every hot-path function with marked lines: Function's apply paths (classmethods; each
    # built-in op class holds its own copy, see Function.__init_subclass__) and the engine's
    # loop and loss.backward() entry
    methods = function._PER_CLASS
    engine_fns = ("_drain", "backward_scalar")
    classes = [function.Function]
    for c in classes:
        classes.extend(c.__subclasses__())
    originals = {(c, m): c.__dict__[m] for c in classes for m in methods if m in c.__dict__}
    originals.update({(engine, f): getattr(engine, f) for f in engine_fns})
    bare = {m: strip(function.Function.__dict__[m].__func__, function) for m in methods}
    stripped = {(c, m): classmethod(bare[m] if c is function.Function
                                    else function._own_copy(bare[m]))
                for c, m in originals if c is not engine}
    stripped.update({(engine, f): strip(getattr(engine, f), engine) for f in engine_fns})

    def _set(fns):
        tensor_mod = sys.modules["glassgrad.tensor"]  # (glassgrad.tensor is the function)

        for (owner, name), fn in fns.items():
            setattr(owner, name, fn)
        # the operators call bound methods made once at import: make them again
        for alias, op in (("_add2", "Add"), ("_sub2", "Sub"), ("_mul2", "Mul"), ("_div2", "Div"),
                          ("_pow2", "Pow")):
            setattr(tensor_mod, alias, getattr(tensor_mod, op)._apply2)

    def install():
        _set(stripped)

    def restore():
        _set(originals)

    return install, restore


def trace_overhead(workloads, rounds: int, budget: float) -> dict:
    """glassgrad with hook checks present but off vs the same step with them cut out."""
    import glassgrad

    from workloads import WORKLOADS

    install, restore = _nohooks_build()
    out = {}
    for name in workloads:
        make = WORKLOADS[name][0]
        try:
            step_on, _ = make(glassgrad)
            install()
            step_off, _ = make(glassgrad)
        except Exception as e:  # a workload glassgrad cannot build yet
            restore()
            out[name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        restore()
        for _ in range(3):
            step_on()
            install()
            step_off()
            restore()
        k = _calibrate(step_on, budget)
        ratios = []
        # a 2% effect under this machine's noise: three times the rounds, alternating which
        # build goes first
        for r in range(3 * rounds):
            if r % 2:
                install()
                t_off = _time_batch(step_off, k)
                restore()
                t_on = _time_batch(step_on, k)
            else:
                t_on = _time_batch(step_on, k)
                install()
                t_off = _time_batch(step_off, k)
                restore()
            ratios.append(t_on / t_off)
        out[name] = {"ratio": statistics.median(ratios), "steps_per_round": k}
    return out


def numpy_ceiling(rounds: int, budget: float) -> float:
    """GFLOP/s NumPy's own matmuls reach at the mnist-mlp sizes."""
    from workloads import mnist_flops, numpy_mnist_matmuls

    step = numpy_mnist_matmuls()
    for _ in range(3):
        step()
    k = _calibrate(step, budget)
    t = statistics.median(_time_batch(step, k) for _ in range(rounds))
    return mnist_flops() / t / 1e9


def worker(args) -> dict:
    # the checkout this script sits in, not whatever glassgrad is installed
    sys.path[:0] = [str(HERE), str(ROOT)]
    import numpy as np  # noqa: F401  (loaded under the thread settings of this process)

    import glassgrad

    libs = {"glassgrad": glassgrad}
    try:
        import torch

        if args.threads == "1":
            torch.set_num_threads(1)
        libs["torch"] = torch
    except ImportError:
        print("torch is not installed: timing glassgrad alone", file=sys.stderr)
    from workloads import WORKLOADS, mnist_flops

    results = {}
    for name in args.workloads:
        if name in ("trace-off", "import", "seed-script"):
            continue
        make = WORKLOADS[name][0]
        print(f"  [{args.threads} thread(s)] {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = compare(make, libs, args.rounds, args.budget)
        except Exception as e:
            results[name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        if name == "mnist-mlp":
            flops = mnist_flops()
            results[name]["gflops"] = {
                lib: flops / t / 1e9 for lib, t in results[name]["median_s"].items()
            }
            results[name]["numpy_gflops"] = numpy_ceiling(args.rounds, args.budget)
    if "trace-off" in args.workloads:
        print(f"  [{args.threads} thread(s)] trace-off ...", file=sys.stderr, flush=True)
        results["trace-off"] = trace_overhead(["seed", "digits-mlp"], args.rounds, args.budget)
    return results


def _process_results(rounds: int) -> dict:
    """Whole-process workloads (import, the seed script end to end) from benchmarks/process.py,
    as glassgrad time / torch time like every other row."""
    sys.path.insert(0, str(HERE))
    import process

    out = {}
    for name, r in process.measure(rounds).items():
        # process.py reports torch/glassgrad per round (median); invert it for this table
        out["seed-script" if name == "seed" else name] = {
            "glassgrad": r["glassgrad_s"], "torch": r["torch_s"], "ratio": 1 / r["ratio"],
        }
    return out


def markdown(all_results: dict) -> str:
    sys.path.insert(0, str(HERE))
    from workloads import WORKLOADS

    lines = ["| workload | threads | glassgrad | torch | ratio | target | loss equal |",
             "|---|---|---|---|---|---|---|"]
    for threads, results in all_results.get("threads", {}).items():
        for name, r in results.items():
            if name == "trace-off":
                for wl, rr in r.items():
                    if "error" in rr:
                        lines.append(f"| trace-off ({wl}) | {threads} | error: {rr['error']} "
                                     "| | | | |")
                    else:
                        lines.append(f"| trace-off ({wl}) | {threads} | hooks off vs cut out "
                                     f"| | {rr['ratio']:.3f} | <= 1.02 | |")
                continue
            if "error" in r:
                lines.append(f"| {name} | {threads} | error: {r['error']} | | | | |")
                continue
            unit = WORKLOADS[name][2]
            target = WORKLOADS[name][3]
            g = r["median_s"]["glassgrad"]
            t = r["median_s"].get("torch")
            ratio = r.get("ratio")
            extra = ""
            if "gflops" in r:
                extra = (f" ({r['gflops']['glassgrad']:.1f} GFLOP/s; NumPy matmul "
                         f"{r['numpy_gflops']:.1f}, "
                         f"{100 * r['gflops']['glassgrad'] / r['numpy_gflops']:.0f}%)")
            lines.append(
                f"| {name} | {threads} | {_fmt(g)}/{unit}{extra} | "
                f"{_fmt(t) + '/' + unit if t else '-'} | "
                f"{ratio:.3f} | <= {target} | {r.get('same_loss', '-')} |"
                if ratio is not None else
                f"| {name} | {threads} | {_fmt(g)}/{unit} | - | - | <= {target} | - |"
            )
    proc = all_results.get("process", {})
    for name, r in proc.items():
        if isinstance(r, dict) and "ratio" in r:
            lines.append(f"| {name} (whole process) | default | {_fmt(r['glassgrad'])} | "
                         f"{_fmt(r['torch'])} | {r['ratio']:.3f} | <= 0.15 | |")
    return "\n".join(lines) + "\n"


def _fmt(seconds) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main(argv=None) -> int:
    sys.path.insert(0, str(HERE))
    from workloads import WORKLOADS

    names = list(WORKLOADS) + ["trace-off", "import", "seed-script"]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-w", "--workload", dest="workloads", action="append", choices=names)
    p.add_argument("--threads", choices=["1", "default", "both"], default="both")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--budget", type=float, default=0.2, help="seconds per timed batch")
    p.add_argument("--quick", action="store_true", help="5 rounds of 0.05 s (smoke run)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(HERE / "results"))
    args = p.parse_args(argv)
    args.workloads = args.workloads or names
    if args.quick:
        args.rounds, args.budget = 5, 0.05
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    settings = ["1", "default"] if args.threads == "both" else [args.threads]
    all_results = {"threads": {}, "python": sys.version.split()[0]}
    for threads in settings:
        env = dict(os.environ)
        for var in THREAD_VARS:
            if threads == "1":
                env[var] = "1"
            else:
                env.pop(var, None)
        cmd = [sys.executable, __file__, "--worker", "--threads", threads,
               "--rounds", str(args.rounds), "--budget", str(args.budget)]
        for w in args.workloads:
            cmd += ["-w", w]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(ROOT))
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            print(f"worker ({threads} threads) failed", file=sys.stderr)
            return 1
        all_results["threads"][threads] = json.loads(proc.stdout.strip().splitlines()[-1])
    if {"import", "seed-script"} & set(args.workloads):
        all_results["process"] = _process_results(max(5, args.rounds // 2))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(all_results, indent=2))
    md = markdown(all_results)
    (out / "latest.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
