"""The digits CNN example trains to >= 98% test accuracy on a small budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parent.parent


def test_digits_cnn_reaches_98_percent():
    # a fresh process with one BLAS thread: on a busy 2-core machine, BLAS threads spinning on
    # these tiny matrices can make a step tens of times slower
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               GLASSGRAD_PROGRESS="0")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    code = ("from glassgrad.examples import digits_cnn; "
            "out = digits_cnn.main(['--epochs', '6', '--quiet']); "
            "assert out['accuracy'] >= 0.98, out; "
            "assert out['losses'][-1] < out['losses'][0] / 4, out")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("test accuracy: ")


def test_digits_cnn_is_registered():
    from glassgrad.examples import EXAMPLES, path_of

    assert "digits-cnn" in EXAMPLES
    assert path_of("digits-cnn").exists()


def test_missing_scikit_learn_gives_a_clear_message(monkeypatch):
    from glassgrad.examples import digits_cnn

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(SystemExit, match=r"needs scikit-learn.*pip install"):
        digits_cnn.main(["--epochs", "1"])
