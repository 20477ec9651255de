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
    # the chain row ends in dL/dW (-30 at epoch 1); g = dL/dy_hat is [-1 -2 -3 -4], not -30
    assert "(where g = dL/dy_hat) = [-30.0] [1, 1]" in res.stdout
    assert "with g = dL/dy_hat = [-30.0]" not in res.stdout
    out2 = tmp_path / "tr2"
    res = _demo("seed-nn", f"--trace={out2}", "--epochs", "2")
    assert res.returncode == 0, res.stderr
    assert len(json.loads((out2 / "trace.json").read_text())["steps"]) == 2
    res = _demo("seed-nn", "--trace")  # no directory: argparse's error, not a silent run
    assert res.returncode == 2 and "--trace: expected one argument" in res.stderr


def test_diverging_run_warns_in_words_not_numpy_and_names_each_nan_source():
    import warnings

    import glassgrad as torch
    from glassgrad import glass

    torch.manual_seed(0)
    X = torch.randn(32, 3)
    y = X.sum(1, keepdim=True)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=2.0)  # far too high: inf, then NaN
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with glass.trace() as t:
            for _ in range(8):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(X), y)
                loss.backward()
                opt.step()
            x = torch.tensor([-1.0, 4.0], requires_grad=True)
            torch.log(x).sum().backward()  # a NaN from another op, on another line
        t.to_json()
    glass_files = [w for w in caught if issubclass(w.category, RuntimeWarning)
                   and "/glass/" in w.filename.replace("\\", "/")]
    assert not glass_files, [f"{w.filename}:{w.lineno} {w.message}" for w in glass_files]
    nan = [f.message for f in t.warnings if f.kind == "nan/inf"]
    assert any("MseLossBackward0" in m for m in nan), nan
    assert any("LogBackward0" in m for m in nan), nan
    assert any(f.kind == "exploding gradients" for f in t.warnings)


def test_graph_labels_a_large_parameters_gradient_with_its_summary():
    import re

    import numpy as np

    import glassgrad as torch
    from glassgrad import glass

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    loss = torch.nn.functional.cross_entropy(model(torch.randn(8, 64)),
                                             torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    dot = glass.graph(loss).dot()  # before backward: the graph computes its own gradients
    loss.backward()
    for name, p in model.named_parameters():
        label = re.search(rf'model\.{re.escape(name)} \[[^"]*"', dot)
        assert label, name
        text = label.group(0)
        assert "grad -" not in text, text  # [32, 64] and [3, 32] weights were shown as "-"
        if p.numel() > 64:
            norm = float(re.search(r"norm ([-0-9.e+]+)", text).group(1))
            np.testing.assert_allclose(norm, float(p.grad.norm()), rtol=1e-4)


def test_a_one_element_adam_update_is_not_shown_as_a_learning_rate():
    import glassgrad as torch
    from glassgrad import glass

    torch.manual_seed(0)
    X = torch.randn(16, 3)
    y = X.sum(1, keepdim=True)
    for opt_name, lr, want in [("Adam", 0.01, None), ("SGD", 0.05, 0.05)]:
        model = torch.nn.Linear(3, 1)
        opt = getattr(torch.optim, opt_name)(model.parameters(), lr=lr)
        with glass.trace() as t:
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(X), y).backward()
            opt.step()
        (bias,) = [u for u in t.steps[0].updates if u.name == "model.bias"]
        # Adam's one-element update is -0.01 * sign(g), a "multiple" of g by 0.01 / |g|
        assert bias.inferred_lr() == want, opt_name


def test_check_gradient_takes_a_hand_gradient_as_a_value_or_a_function():
    import numpy as np

    import glassgrad as torch
    from glassgrad import glass

    X = torch.tensor([1.0, 2.0, 3.0, 4.0])
    y = torch.tensor([2.0, 4.0, 6.0, 8.0])
    w = torch.tensor(0.0, requires_grad=True)

    def seed_hand():  # the seed tutorial's own gradient: a factor N = 4 too large
        y_hat = w.item() * X.numpy()
        return np.dot(2 * X.numpy(), y_hat - y.numpy()).mean()

    for hand in (seed_hand, seed_hand(), [seed_hand()], {"w": seed_hand()}):
        res = glass.check_gradient(lambda: ((y - w * X) ** 2).mean(), [w], hand=hand)
        assert "off by a factor of N = 4" in str(res), type(hand)


def test_report_chart_x_axis_spans_all_steps_when_the_loss_turns_nan(tmp_path):
    """A diverged run's last losses are NaN (null in the chart): the x axis still runs to the
    last step, so the step marker of a NaN step stays on the chart (it was drawn off it)."""
    import re
    import shutil
    import tempfile

    import pytest

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium not installed")
    import glassgrad as torch
    from glassgrad import glass

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with glass.trace(checks=False) as t:
        for k in range(6):  # losses 5, 5, 5, inf, nan, nan
            scale = [1.0, 1.0, 1.0, float("inf"), float("nan"), float("nan")][k]
            (x * x * scale).sum().backward()
    t.save(tmp_path)
    url = (tmp_path / "report.html").as_uri() + "#step=6"
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--virtual-time-budget=5000", "--dump-dom", url],
            capture_output=True, text=True, timeout=90, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    assert 'data-step="6"' in dom
    loss_chart = dom[dom.index('id="loss-chart"'):]
    svg_w = float(re.search(r'<svg[^>]*width="([0-9.]+)"', loss_chart).group(1))
    marker = re.search(r'<line[^>]*class="step-marker"[^>]*>', loss_chart).group(0)
    x1 = float(re.search(r'x1="([-0-9.e]+)"', marker).group(1))
    assert 0 < x1 <= svg_w, (x1, svg_w)
    assert "step 6" in re.sub(r"<[^>]+>", " ", loss_chart[:loss_chart.index("</svg>")])
