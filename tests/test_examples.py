"""The bundled examples on small budgets (loss falls, accuracy above a floor), the CLI, progress."""

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glassgrad.examples import EXAMPLES, path_of
from glassgrad.utils.progress import Progress

# the seed tutorial's expected output, as PyTorch 2.13 printed it
SEED_EXPECTED = """\
Prediction before training: f(5) = 0.000, weights: 0.000
++++++++++++++++++++ training ++++++++++++++++++++
Epoch 1: w=0.300 loss=30.0000000000
Epoch 3: w=0.772 loss=15.6601877213
Epoch 5: w=1.113 loss=8.1747169495
Epoch 7: w=1.359 loss=4.2672529221
Epoch 9: w=1.537 loss=2.2275321484
Epoch 11: w=1.665 loss=1.1627856493
Epoch 13: w=1.758 loss=0.6069811583
Epoch 15: w=1.825 loss=0.3168478012
Epoch 17: w=1.874 loss=0.1653965265
Epoch 19: w=1.909 loss=0.0863380581
++++++++++++++++++++ done ++++++++++++++++++++
weights after training: 1.922, lets do a prediction.
Prediction after training: f(5) = 9.612
"""


def _example(module):
    return importlib.import_module(f"glassgrad.examples.{module}")


def test_seed_nn_prints_the_seed_tutorials_numbers(capsys):
    out = _example("seed_nn").main([])
    assert capsys.readouterr().out == SEED_EXPECTED
    assert out["losses"][-1] < out["losses"][0] / 100


def test_breast_cancer_small_budget(capsys):
    pytest.importorskip("sklearn")
    out = _example("breast_cancer").main(["--epochs", "4"])
    text = capsys.readouterr().out
    assert out["losses"][-1] < out["losses"][0]
    assert out["accuracy"] >= 0.9
    assert "test accuracy: " in text.splitlines()[-1]


def test_digits_small_budget(capsys):
    pytest.importorskip("sklearn")
    out = _example("digits").main(["--epochs", "2", "--batch-size", "64"])
    capsys.readouterr()
    assert out["losses"][-1] < out["losses"][0]
    assert out["accuracy"] >= 0.85


def test_digits_default_run_reaches_97_percent(capsys):
    pytest.importorskip("sklearn")
    out = _example("digits").main([])
    assert out["accuracy"] >= 0.97, capsys.readouterr().out


def test_missing_scikit_learn_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    for module in ("digits", "breast_cancer"):
        with pytest.raises(SystemExit, match=r"needs scikit-learn.*pip install"):
            _example(module).main(["--epochs", "1"])


def test_every_example_is_registered_and_shipped():
    assert {"seed", "seed-nn", "breast-cancer", "digits"} <= set(EXAMPLES)
    for name in EXAMPLES:
        assert path_of(name).is_file()
    root_examples = Path(__file__).resolve().parents[1] / "examples"
    if root_examples.exists():
        assert (root_examples / "digits.py").is_file()


def test_cli_runs_an_example_by_name():
    env = dict(os.environ, GLASSGRAD_PROGRESS="0")
    repo = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "glassgrad", "demo", "seed-nn"], env=env,
                          capture_output=True, text=True, check=True, cwd=repo)
    assert proc.stdout == SEED_EXPECTED
    assert proc.stderr == ""
    short = subprocess.run([sys.executable, "-m", "glassgrad", "demo", "seed-nn", "--epochs", "3"],
                           env=env, capture_output=True, text=True, check=True, cwd=repo).stdout
    assert short.splitlines()[2:4] == SEED_EXPECTED.splitlines()[2:4]
    assert "weights after training: 0.772" in short
    listing = subprocess.run([sys.executable, "-m", "glassgrad", "demo", "--list"], env=env,
                             capture_output=True, text=True, check=True, cwd=repo).stdout
    for name in ("seed-nn", "breast-cancer", "digits"):
        assert name in listing


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_tty_only(monkeypatch):
    monkeypatch.delenv("GLASSGRAD_PROGRESS", raising=False)
    tty = _FakeTTY()
    for _ in Progress(range(3), desc="train", stream=tty):
        pass
    assert "train [" in tty.getvalue() and "3/3" in tty.getvalue()
    pipe = io.StringIO()
    for _ in Progress(range(3), stream=pipe):
        pass
    assert pipe.getvalue() == ""
    monkeypatch.setenv("GLASSGRAD_PROGRESS", "0")
    tty = _FakeTTY()
    for _ in Progress(range(3), stream=tty):
        pass
    assert tty.getvalue() == ""


def test_progress_write_and_postfix(capsys, monkeypatch):
    monkeypatch.delenv("GLASSGRAD_PROGRESS", raising=False)
    tty = _FakeTTY()
    bar = Progress(total=2, stream=tty)
    bar.set_postfix(loss=0.123456)
    bar.write("hello")
    bar.update(2)
    bar.close()
    assert capsys.readouterr().out == "hello\n"
    assert "loss=0.1235" in tty.getvalue() and tty.getvalue().endswith("\n")
