"""`glassgrad demo --explain`: the four steps of every epoch of the seed, with its numbers."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_explain_prints_four_steps_per_epoch():
    res = subprocess.run([sys.executable, "-m", "glassgrad", "demo", "--explain"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    out = res.stdout
    # the seed's own output is still there, in order
    assert out.index("Epoch 1: w=0.300 loss=30.0000000000") < out.index("-- step 1:")
    assert out.count("-- step ") == 20
    step1 = out.split("-- step 1:")[1].split("-- step 2:")[0]
    rows = [line for line in step1.splitlines() if line[:3] in (" 1 ", " 2 ", " 3 ", " 4 ")]
    assert [r[:3] for r in rows] == [" 1 ", " 2 ", " 3 ", " 4 "]
    assert "y_hat = w * x = 0.0 * [1.0 2.0 3.0 4.0] = [0.0 0.0 0.0 0.0]" in step1
    assert "loss = mean((y - y_hat)**2) = 30.0" in step1
    assert "dloss/d((y - y_hat)**2) = 1 / N = [0.25 0.25 0.25 0.25]" in step1
    assert "dy_hat/dw = x_i = [1.0 2.0 3.0 4.0]" in step1
    assert "dL/dw = sum_i dL/dy_hat_i * dy_hat_i/dw = sum [-1.0 -4.0 -9.0 -16.0] = -30.0" in step1
    assert "w = 0.0 - 0.01 * -30.0 = 0.3" in step1
    step2 = out.split("-- step 2:")[1].split("-- step 3:")[0]
    # epoch 2 by hand: w = 0.3, y_hat = 0.3 x, dL/dw = sum(2 (0.3 x - 2 x) x) / 4 = -25.5
    assert "y_hat = w * x = 0.3 * [1.0 2.0 3.0 4.0] = [0.3 0.6 0.9 1.2]" in step2
    assert "= -25.5" in step2 and "w = 0.3 - 0.01 * -25.5 = 0.555" in step2
