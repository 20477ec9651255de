"""`glassgrad diff`: the line/number comparison, and end to end against real PyTorch."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from glassgrad import torchdiff
from glassgrad.torchdiff import compare_lines, compare_outputs, numbers_close, split_line

ROOT = Path(__file__).resolve().parents[1]
HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")


@pytest.mark.parametrize("line, texts, numbers", [
    ("loss=0.25 w=-1", ["loss=", "w=", ""], ["0.25", "-1"]),
    ("tensor([[ 1.,  3.], [-0.0000, 1e-05]])", ["tensor([[", ",", "],[", ",", "]])"],
     ["1.", "3.", "-0.0000", "1e-05"]),
    ("AddBackward0 fc1.weight python 3.11.7", ["AddBackward0fc1.weightpython3.11.7"], []),
    ("nan inf -inf info", ["", "", "", "info"], ["nan", "inf", "-inf"]),
    ("<AddBackward0 object at 0x7f3a9c2b1e50>", ["<AddBackward0objectat0x?>"], []),
])
def test_split_line(line, texts, numbers):
    assert split_line(line) == (texts, numbers)


@pytest.mark.parametrize("got, want, rtol, atol, close", [
    ("1.0000", "1.0000", 0, 0, True),
    ("1.0001", "1.0000", 0, 0, False),
    ("1.0001", "1.0000", 1e-3, 0, True),
    ("1.0001", "1.0000", 0, 1e-3, True),
    ("-0.0000", "0.0000", 0, 0, True),
    ("1.", "1.0", 1, 1, False),  # written differently: a formatting divergence
    ("1", "1.", 1, 1, False),
    ("1.0000e-05", "0.0000", 1, 1, False),
    ("1.0000e-05", "1.0001e-05", 1e-3, 0, True),
    ("nan", "nan", 0, 0, True),
    ("nan", "1.0", 1, 1, False),
    ("inf", "-inf", 1, 1, False),
])
def test_numbers_close(got, want, rtol, atol, close):
    assert numbers_close(got, want, rtol, atol) is close


def test_compare_lines_names_what_differs():
    assert compare_lines("a 1.0", "a 1.0", 0, 0) is None
    assert compare_lines("tensor([ 0.5000, -1.0000])", "tensor([0.5000, -1.0000])", 0, 0) is None
    assert "text differs" in compare_lines("MulBackward0", "AddBackward0", 1, 1)
    assert "number 2: torch 3.0, glassgrad 3.5" in compare_lines("x 1 3.5", "x 1 3.0", 1e-3, 0)
    assert "2 numbers" in compare_lines("x 1", "x 1 2", 1, 1)
    assert compare_lines("<MulBackward0 object at 0x7f01>", "<MulBackward0 object at 0x55aa>",
                         0, 0) is None


def test_compare_outputs_finds_the_first_diverging_line():
    want = "start\nloss 1.00\nloss 0.50\nloss 0.25\n"
    assert compare_outputs(want, want, 0, 0) is None
    d = compare_outputs("start\nloss 1.00\nloss 0.51\nloss 0.20\n", want, 0, 0)
    assert (d.lineno, d.want, d.got) == (3, "loss 0.50", "loss 0.51")
    assert compare_outputs("start\nloss 1.00\nloss 0.51\nloss 0.25\n", want, 0.05, 0) is None
    short = compare_outputs("start\nloss 1.00\n", want, 0, 0)
    assert (short.lineno, short.got, "glassgrad's output ends" in short.detail) == (3, None, True)
    longer = compare_outputs(want + "extra\n", want, 0, 0)
    assert (longer.lineno, longer.want) == (5, None)
    report = d.report(0, 0)
    assert "line 3" in report and "loss 0.50" in report and "loss 0.51" in report


def test_split_diff_args():
    split = torchdiff.split_diff_args
    assert split(["s.py", "--rtol", "0.1", "--epochs", "3"]) == ({"rtol": 0.1},
                                                                  ["s.py", "--epochs", "3"])
    assert split(["s.py", "--atol=2", "--", "--rtol", "x"]) == ({"atol": 2.0},
                                                                ["s.py", "--rtol", "x"])
    with pytest.raises(ValueError, match="not a number"):
        split(["s.py", "--rtol", "abc"])


def test_random_hint_only_for_scripts_that_draw_random_numbers(tmp_path, monkeypatch):
    script = tmp_path / "s.py"
    monkeypatch.setattr(torchdiff, "torch_available", lambda: True)
    monkeypatch.setattr(
        torchdiff, "run_both", lambda *a, **k: torchdiff.Runs("0.5\n", "", 0, "0.7\n", "", 0)
    )
    for source, hinted in [("import torch\nprint(torch.randn(1).item())\n", True),
                           ("import torch\nm = torch.nn.Linear(2, 1)\n", True),
                           ("import torch\nprint(torch.ones(1).item())\n", False)]:
        script.write_text(source)
        out = io.StringIO()
        assert torchdiff.diff_script(str(script), out=out) == 1
        assert ("random stream differs" in out.getvalue()) is hinted


def test_without_torch_diff_says_so(tmp_path, monkeypatch, capsys):
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    monkeypatch.setattr(torchdiff, "torch_available", lambda: False)
    assert torchdiff.diff_script(str(script)) == 2
    assert "PyTorch is not installed" in capsys.readouterr().err


def test_missing_script_is_an_error(tmp_path, capsys):
    assert torchdiff.diff_script(str(tmp_path / "nope.py")) == 2
    assert "nope.py" in capsys.readouterr().err


# ------------------------------------------------------------------- end to end, real PyTorch


def _diff(tmp_path, body, *options):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    env = dict(os.environ, OMP_NUM_THREADS="1")  # torch's threads only slow a loaded machine
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "glassgrad", "diff", str(script), *options],
        check=False, capture_output=True, text=True, env=env, timeout=120,
    )


AGREE = """
    import torch
    w = torch.tensor(0.0, requires_grad=True)
    loss = ((torch.tensor([2.0, 4.0]) - w * torch.tensor([1.0, 2.0])) ** 2).mean()
    loss.backward()
    print(loss, w.grad)
"""

# torch.__version__ is '2.13.0+cpu' under PyTorch, glassgrad's own version under glassgrad
VERSION = """
    import torch
    print("same line")
    print("major version", int(torch.__version__.split(".")[0]))
"""


@needs_torch
def test_diff_both_agree(tmp_path):
    r = _diff(tmp_path, AGREE)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "both agree" in r.stdout


@needs_torch
def test_diff_reports_first_divergence_and_tolerance_absorbs_it(tmp_path):
    r = _diff(tmp_path, VERSION)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "line 2" in r.stdout and "major version 2" in r.stdout
    r = _diff(tmp_path, VERSION, "--atol", "10")
    assert r.returncode == 0, r.stdout + r.stderr


@needs_torch
def test_diff_when_glassgrad_lacks_a_name(tmp_path):
    r = _diff(tmp_path, "import torch\nprint('ok')\nprint(torch.fft.rfft(torch.ones(4)).shape)\n")
    assert r.returncode == 1
    assert "line 2" in r.stdout and "torch.fft.rfft is not supported" in r.stdout


@needs_torch
def test_diff_when_the_script_fails_under_torch(tmp_path):
    r = _diff(tmp_path, "raise ValueError('broken script')\n")
    assert r.returncode == 2
    assert "fails under PyTorch itself" in r.stderr and "broken script" in r.stderr


def test_report_goes_to_the_given_stream(tmp_path, monkeypatch):
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    monkeypatch.setattr(torchdiff, "torch_available", lambda: True)
    monkeypatch.setattr(
        torchdiff, "run_both", lambda *a, **k: torchdiff.Runs("1\n", "", 0, "2\n", "", 0)
    )
    out = io.StringIO()
    assert torchdiff.diff_script(str(script), out=out) == 1
    assert "line 1" in out.getvalue()
