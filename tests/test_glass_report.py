"""The HTML report, opened in headless Chromium: offline, non-blank, no script errors, and the
step selector changes what is shown. The screenshot is kept under test-artifacts/.

Chromium comes from the system's package manager (``.ci/run`` installs it); without it the
browser tests are skipped with the reason.
"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = _chromium()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (apt-get install -y chromium; .ci/run does this)",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The seed demo run with --trace: DIR/report.html and DIR/trace.json."""
    d = tmp_path_factory.mktemp("trace")
    res = subprocess.run(
        [sys.executable, "-m", "glassgrad", "demo", "--trace", str(d)],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "Epoch 1: w=0.300 loss=30.0000000000" in res.stdout
    return d


def test_report_files(report):
    data = json.loads((report / "trace.json").read_text())
    assert data["format"] == "glassgrad-trace/1"
    assert len(data["steps"]) == 20
    assert data["steps"][0]["loss"] == 30.0
    html = (report / "report.html").read_text()
    # self-contained: nothing loaded from elsewhere (the SVG namespace is a name, not a fetch)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "<link" not in html
    assert "dL/dy_hat_i = 2 (y_hat_i - y_i) / N" in html


def _run_chromium(args, timeout=90):
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}",
            # offline: every host name fails to resolve
            "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
            *args,
        ]
        return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)


def _dom(url):
    res = _run_chromium(["--virtual-time-budget=5000", "--dump-dom", url])
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout, res.stderr


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]


def _png_pixels_vary(path: Path) -> bool:
    """Decode the PNG's pixel rows (stdlib only) and check that they are not all one colour."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    idat = b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = len(raw) // height
    rows = {raw[r * stride + 1:(r + 1) * stride] for r in range(0, height, max(height // 50, 1))}
    distinct = len(set(raw[1:stride]))  # a uniform first row has one byte value per channel
    return width > 0 and (len(rows) > 1 or distinct > 4)


@needs_browser
def test_report_renders_in_chromium(report):
    url = (report / "report.html").as_uri()
    dom, stderr = _dom(url)
    assert 'data-ready="1"' in dom, "the report's script did not finish"
    assert 'class="js-error"' not in dom, re.findall(r"script error:[^<]*", dom)
    assert not _console_errors(stderr), _console_errors(stderr)
    assert "Step 1 of 20" in re.sub(r"<[^>]+>", "", dom)
    assert "MeanBackward0" in dom and "<svg" in dom
    # the step selector: opening at step 5 goes through the range input's own event handler
    dom5, stderr5 = _dom(url + "#step=5")
    assert 'data-step="5"' in dom5
    text1 = re.sub(r"<[^>]+>", "", dom)
    text5 = re.sub(r"<[^>]+>", "", dom5)
    assert "Step 5 of 20" in text5
    assert "Chain rule for dL/dw, step 5" in text5 and "Chain rule for dL/dw, step 1" in text1
    assert 'class="js-error"' not in dom5 and not _console_errors(stderr5)
    domf, _ = _dom(url + "#step=2&view=forward")
    assert "y_hat = w * x" in domf


@needs_browser
def test_report_screenshot_is_not_blank(report):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "glass-report.png"
    if shot.exists():
        shot.unlink()
    res = _run_chromium(["--hide-scrollbars", "--window-size=1280,1400",
                         "--virtual-time-budget=5000", f"--screenshot={shot}",
                         (report / "report.html").as_uri()])
    assert shot.exists(), res.stderr[-2000:]
    assert _png_pixels_vary(shot)
    assert os.path.getsize(shot) > 10_000


@needs_browser
def test_large_graph_collapses_and_expands_in_the_report(tmp_path):
    import glassgrad as torch
    from glassgrad import glass, nn

    torch.manual_seed(0)
    mods = []
    for _ in range(80):
        mods += [nn.Linear(4, 4), nn.Tanh()]
    model = nn.Sequential(*mods)
    x = torch.randn(8, 4)
    with glass.trace(warn=False) as t:
        for _ in range(2):
            model.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
    assert len(t.steps[0].nodes) > 300
    path = tmp_path / "big.html"
    t.report(str(path))
    dom, stderr = _dom(path.as_uri())
    assert 'data-ready="1"' in dom and 'class="js-error"' not in dom
    assert not _console_errors(stderr)
    assert "(collapsed by module)</title>" in dom
    assert '<label id="expand-label">' in dom  # the expand switch is offered
    dom_full, _ = _dom(path.as_uri() + "#expand=1")
    assert "step 1 (backward)</title>" in dom_full
    assert "(collapsed by module)</title>" not in dom_full


def test_report_of_a_nan_loss_is_strict_json(tmp_path):
    import warnings

    import glassgrad as torch
    from glassgrad import glass

    w = torch.tensor(1.0, requires_grad=True)
    x = torch.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with glass.trace(warn=False) as t:
            for _ in range(2):
                torch.log(w * x - 5).mean().backward()
                w.grad.zero_()
    path = t.save(str(tmp_path))
    json.loads((tmp_path / "trace.json").read_text(),
               parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    html = Path(path).read_text()
    blob = re.search(r'id="trace-data">(.*?)</script>', html, re.DOTALL).group(1)
    json.loads(blob.replace("<\\/", "</"), parse_constant=lambda c: pytest.fail(c))
    assert "nan/inf" in html


TORCH_SCRIPT = """
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(16, 2)
y = x[:, :1] * 2 - x[:, 1:]
for step in range(5):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
print("done")
"""


def test_run_a_torch_script_with_trace(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TORCH_SCRIPT)
    out = tmp_path / "trace"
    res = subprocess.run(
        [sys.executable, "-m", "glassgrad", "run", "--trace", str(out), str(script)],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "done" in res.stdout
    data = json.loads((out / "trace.json").read_text())
    assert len(data["steps"]) == 5
    names = [u["name"] for u in data["steps"][0]["updates"]]
    assert names == ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"]
    assert "momentum_buffer" in data["steps"][1]["updates"][0]["state"]
    assert (out / "report.html").exists()
