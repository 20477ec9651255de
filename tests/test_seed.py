"""The seed tutorial prints exactly what PyTorch 2.13 prints."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed"


def _expected() -> str:
    path = SEED / "expected_output.txt"
    if not path.exists():
        pytest.skip("../shared/seed is not beside this checkout")
    return path.read_text()


def test_demo_prints_expected_output():
    out = subprocess.run(
        [sys.executable, "-m", "glassgrad", "demo"], capture_output=True, text=True, check=True
    ).stdout
    assert out == _expected()


def test_demo_is_the_default_command():
    out = subprocess.run(
        [sys.executable, "-m", "glassgrad"], capture_output=True, text=True, check=True
    ).stdout
    assert out == _expected()
