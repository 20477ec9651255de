"""The ``cnn`` workload, glassgrad vs PyTorch side by side (standalone; also in run.py's suite).

    python3 benchmarks/cnn.py                  # 1 thread and default threads
    python3 benchmarks/cnn.py --threads 1      # one setting
    python3 benchmarks/cnn.py --profile        # where glassgrad's step time goes (cProfile)

One SGD step on a batch of 32 x 1 x 28 x 28: conv 1->16 3x3, relu, maxpool 2, conv 16->32 3x3,
relu, maxpool 2, linear 800 -> 10, cross-entropy. Both models start from the same weights (torch's
initialisation copied into glassgrad) and must reach the same loss after the timed steps.

Each thread setting runs in its own process: BLAS fixes its thread count when NumPy and PyTorch
load, so the environment variables are set before either is imported. The two libraries alternate
round by round (the first one alternates too) after a warm-up; we report the median step time of
each and the median of the per-round ratios.
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

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def build(lib, torch_model=None):
    """The model, data, optimizer and one training step for ``lib`` (glassgrad or torch)."""
    import numpy as np

    nn = lib.nn
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((32, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 32))
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        _flatten(lib), nn.Linear(32 * 5 * 5, 10),
    )
    if torch_model is not None:  # start from torch's weights
        with lib.no_grad():
            for p, q in zip(model.parameters(), torch_model.parameters()):
                p.copy_(lib.tensor(q.detach().numpy().copy()))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = _cross_entropy(lib)
    state = {}

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        state["loss"] = loss

    return model, step, lambda: float(state["loss"].item())


def _flatten(lib):
    if hasattr(lib.nn, "Flatten"):
        return lib.nn.Flatten()

    class Flatten(lib.nn.Module):
        def forward(self, x):
            return x.reshape(x.shape[0], -1)

    return Flatten()


def _cross_entropy(lib):
    if hasattr(lib.nn, "CrossEntropyLoss"):
        return lib.nn.CrossEntropyLoss()
    import numpy as np

    def loss(logits, target):  # a composite stand-in until nn.CrossEntropyLoss lands
        shift = lib.tensor(logits._data.max(axis=1, keepdims=True))
        z = logits - shift
        onehot = lib.tensor(np.eye(logits.shape[1], dtype=np.float32)[target._data])
        return (z.exp().sum(1).log() - (z * onehot).sum(1)).mean()

    return loss


def _time(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def worker(rounds: int, steps: int) -> dict:
    import torch

    import glassgrad

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "0")) or torch.get_num_threads())
    torch.manual_seed(0)
    t_model, t_step, t_loss = build(torch)
    _, g_step, g_loss = build(glassgrad, torch_model=t_model)
    # same start: compare the first loss before any timing
    t_step()
    g_step()
    first = (g_loss(), t_loss())
    for _ in range(5):  # warm-up
        t_step()
        g_step()
    times = {"glassgrad": [], "torch": []}
    ratios = []
    for r in range(rounds):
        order = [("glassgrad", g_step), ("torch", t_step)]
        if r % 2:
            order.reverse()
        got = {}
        for name, step in order:
            got[name] = _time(step, steps)
            times[name].append(got[name])
        ratios.append(got["glassgrad"] / got["torch"])
    lg, lt = g_loss(), t_loss()
    return {
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "glassgrad_ms": 1e3 * statistics.median(times["glassgrad"]),
        "torch_ms": 1e3 * statistics.median(times["torch"]),
        "ratio": statistics.median(ratios),
        "glassgrad_best_ms": 1e3 * min(times["glassgrad"]),
        "torch_best_ms": 1e3 * min(times["torch"]),
        "first_loss": first,
        "final_loss": (lg, lt),
        "same_loss": abs(lg - lt) <= 1e-3 * max(1.0, abs(lt)),
        "steps_taken": 1 + 5 + rounds * steps,
    }


def profile(steps: int) -> None:
    import cProfile
    import pstats

    import glassgrad

    _, step, _ = build(glassgrad)
    for _ in range(5):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", action="append", help="'1' or 'default' (repeatable)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=10, help="steps per timed round")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))  # this checkout's glassgrad, not an installed one
    if args.worker:
        print(json.dumps(worker(args.rounds, args.steps)))
        return
    if args.profile:
        profile(args.steps * 5)
        return
    for setting in args.threads or ["1", "default"]:
        env = dict(os.environ)
        for var in THREAD_VARS:
            if setting == "default":
                env.pop(var, None)
            else:
                env[var] = setting
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        out = subprocess.run([sys.executable, __file__, "--worker", "--rounds", str(args.rounds),
                              "--steps", str(args.steps)], env=env, capture_output=True,
                             text=True, check=False)
        if out.returncode:
            sys.exit(out.stderr)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"cnn step, threads={setting:>7}: glassgrad {res['glassgrad_ms']:7.2f} ms   "
              f"torch {res['torch_ms']:7.2f} ms   ratio {res['ratio']:.2f}x   (best "
              f"{res['glassgrad_best_ms']:.2f} vs {res['torch_best_ms']:.2f} ms)   "
              f"loss {res['final_loss'][0]:.5f} vs {res['final_loss'][1]:.5f} "
              f"({'same' if res['same_loss'] else 'DIFFERENT'})")


if __name__ == "__main__":
    main()
