"""glassgrad/_memory.py: the glibc malloc tuning at import is safe where there is no glibc."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glassgrad import _memory

ROOT = Path(__file__).resolve().parent.parent


class _NoMallopt:
    """A C library without the symbol (musl, macOS's libSystem): attribute lookup fails."""

    def __getattr__(self, name):
        raise AttributeError(f"undefined symbol: {name}")


def _cdll_must_not_be_called(*a, **k):
    raise AssertionError("CDLL must not be loaded here")


def _glibc(monkeypatch):
    monkeypatch.setattr(os, "confstr", lambda name: "glibc 2.36", raising=False)


@pytest.mark.parametrize("answer", [ValueError("unrecognized configuration name"),
                                    OSError(22, "Invalid argument"), None, "musl"])
def test_musl_is_not_touched(monkeypatch, answer):
    """musl (Alpine) has no CS_GNU_LIBC_VERSION: glassgrad must not call its mallopt at all."""
    def confstr(name):
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("GLASSGRAD_TUNE_MALLOC", raising=False)
    monkeypatch.setattr(os, "confstr", confstr, raising=False)
    monkeypatch.setattr(ctypes, "CDLL", _cdll_must_not_be_called)
    assert _memory.tune_malloc() is False


def test_missing_mallopt_symbol_does_nothing(monkeypatch):
    _glibc(monkeypatch)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("GLASSGRAD_TUNE_MALLOC", raising=False)
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: _NoMallopt())
    assert _memory.tune_malloc() is False


def test_no_loadable_c_library_does_nothing(monkeypatch):
    _glibc(monkeypatch)
    def fail(*a, **k):
        raise OSError("cannot open shared object")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("GLASSGRAD_TUNE_MALLOC", raising=False)
    monkeypatch.setattr(ctypes, "CDLL", fail)
    assert _memory.tune_malloc() is False


def test_no_ctypes_does_nothing(monkeypatch):
    _glibc(monkeypatch)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("GLASSGRAD_TUNE_MALLOC", raising=False)
    monkeypatch.setitem(sys.modules, "ctypes", None)  # import ctypes raises ImportError
    assert _memory.tune_malloc() is False


def test_mallopt_refusing_is_reported_not_raised(monkeypatch):
    _glibc(monkeypatch)
    class _Refuses:
        def __init__(self):
            self.calls = []

        @property
        def mallopt(self):
            def f(param, value):
                self.calls.append((param, value))
                return 0  # glibc's "failed" (e.g. a 32-bit limit), or a stub

            return f

    lib = _Refuses()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("GLASSGRAD_TUNE_MALLOC", raising=False)
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: lib)
    assert _memory.tune_malloc() is False
    assert lib.calls == [(_memory.M_MMAP_THRESHOLD, _memory.MMAP_THRESHOLD)]


@pytest.mark.parametrize("platform", ["darwin", "win32", "cygwin"])
def test_other_platforms_do_nothing(monkeypatch, platform):
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(ctypes, "CDLL", _cdll_must_not_be_called)
    assert _memory.tune_malloc() is False


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_opt_out(monkeypatch, value):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("GLASSGRAD_TUNE_MALLOC", value)
    monkeypatch.setattr(ctypes, "CDLL", _cdll_must_not_be_called)
    assert _memory.tune_malloc() is False


def _tuned_in_fresh_process(env_value):
    env = dict(os.environ)
    env.pop("GLASSGRAD_TUNE_MALLOC", None)
    if env_value is not None:
        env["GLASSGRAD_TUNE_MALLOC"] = env_value
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", "import glassgrad._memory as m; print(m.tuned)"],
                         env=env, capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_import_applies_it_on_glibc_and_the_env_var_turns_it_off():
    assert _tuned_in_fresh_process("0") == "False"
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    if sys.platform.startswith("linux") and libc and libc.startswith("glibc"):
        assert _tuned_in_fresh_process(None) == "True"
