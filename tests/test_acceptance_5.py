"""Acceptance review of issue #5 (glass box): the options work where a user types them."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _demo(*args):
    return subprocess.run([sys.executable, "-m", "glassgrad", "demo", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)


def test_demo_trace_and_explain_after_the_example_name(tmp_path):
    # `glassgrad demo seed-nn --epochs 3 --trace DIR`: the example's own options and the
    # glass options mixed after the name (argparse would hand --trace to the example)
    out = tmp_path / "tr"
    res = _demo("seed-nn", "--epochs", "3", "--trace", str(out), "--explain")
    assert res.returncode == 0, res.stderr
    assert len(json.loads((out / "trace.json").read_text())["steps"]) == 3
    assert (out / "report.html").exists()
    assert res.stdout.count("-- step ") == 3  # --explain took effect too
    out2 = tmp_path / "tr2"
    res = _demo("seed-nn", f"--trace={out2}", "--epochs", "2")
    assert res.returncode == 0, res.stderr
    assert len(json.loads((out2 / "trace.json").read_text())["steps"]) == 2
