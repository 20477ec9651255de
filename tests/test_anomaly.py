"""Anomaly mode names the backward node that produced NaN and the user's line that created it."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd.function import state

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy: 0/0 in backward

SCRIPT = textwrap.dedent("""\
    import {lib} as torch
    x = torch.zeros(3, requires_grad=True)
    with torch.autograd.detect_anomaly():
        y = x.sqrt()
        z = (y * 0).sum()
        z.backward()
""")


def _run_script(tmp_path, lib):
    path = tmp_path / f"sqrt_{lib}.py"
    path.write_text(SCRIPT.format(lib=lib))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                         check=False,
                         timeout=120)
    return res.returncode, res.stderr, str(path)


def test_sqrt_of_zero_script_names_op_and_line_like_torch(tmp_path):
    pytest.importorskip("torch")
    rc, err, path = _run_script(tmp_path, "glassgrad")
    t_rc, t_err, t_path = _run_script(tmp_path, "torch")
    assert rc != 0 and t_rc != 0
    want = "RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output."
    assert want in t_err and want in err
    # both point at the forward line that ran sqrt, in the user's file
    for e, p in ((err, path), (t_err, t_path)):
        assert f'File "{p}", line 4, in <module>\n    y = x.sqrt()' in e, e
        assert "Error detected in SqrtBackward0" in e


def test_error_message_carries_the_forward_line_in_process():
    x = gg.zeros(3, requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = gg.autograd.detect_anomaly()
    with mode, pytest.warns(UserWarning, match="Error detected in SqrtBackward0"):  # noqa: PT031
        y = x.sqrt(); line = inspect.currentframe().f_lineno
        with pytest.raises(RuntimeError) as info:
            (y * 0).sum().backward()
    msg = str(info.value)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert f"line {line}, in test_error_message_carries_the_forward_line_in_process" in msg
    assert "y = x.sqrt()" in msg


def test_off_by_default_and_restored_after_the_block():
    assert not gg.is_anomaly_enabled()
    x = gg.zeros(2, requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # no check: NaN gradients, as in PyTorch
    assert np.isnan(x.grad._data).all()
    with pytest.warns(UserWarning), gg.autograd.detect_anomaly():
        assert gg.is_anomaly_enabled()
    assert not gg.is_anomaly_enabled()
    assert state.forward_hooks == [] and state.backward_hooks == []


def test_set_detect_anomaly_as_call_and_as_context():
    gg.autograd.set_detect_anomaly(True)
    try:
        assert gg.is_anomaly_enabled() and gg.is_anomaly_check_nan_enabled()
        x = gg.tensor([0.0, 1.0], requires_grad=True)
        y = x.log() * 0
        with pytest.raises(RuntimeError, match="'LogBackward0' returned nan"), \
                pytest.warns(UserWarning):
            y.sum().backward()
    finally:
        gg.autograd.set_detect_anomaly(False)
    assert not gg.is_anomaly_enabled()
    with gg.autograd.set_detect_anomaly(True):
        assert gg.is_anomaly_enabled()
    assert not gg.is_anomaly_enabled()


def test_custom_function_is_named_and_decorator_form_works():
    class Bad(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    with pytest.warns(UserWarning):
        deco = gg.autograd.detect_anomaly()

    @deco
    def run():
        x = gg.ones(2, requires_grad=True)
        Bad.apply(x).sum().backward()

    with pytest.raises(RuntimeError, match="Function 'BadBackward' returned nan values"), \
            pytest.warns(UserWarning):
        run()
    assert not gg.is_anomaly_enabled()


def test_infinite_gradient_stops_too_unless_check_inf_is_off():
    x = gg.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning):
        mode = gg.autograd.detect_anomaly()
    with mode:
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="'SqrtBackward0' returned inf values"), \
                pytest.warns(UserWarning):
            y.backward()
    with pytest.warns(UserWarning):
        mode = gg.autograd.detect_anomaly(check_inf=False)
    with mode:
        x.sqrt().sum().backward()  # PyTorch's behaviour: inf passes, only NaN raises
    assert np.isinf(x.grad._data).all()


def test_nodes_made_before_enabling_have_no_traceback_but_still_raise():
    x = gg.zeros(2, requires_grad=True)
    y = (x.sqrt() * 0).sum()
    with gg.autograd.set_detect_anomaly(True), \
            pytest.raises(RuntimeError, match="before anomaly mode was enabled"):
        y.backward()
