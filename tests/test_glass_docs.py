"""docs/how-a-network-learns.md is glassgrad's real output: regenerating it changes nothing."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "how-a-network-learns.md"


def test_doc_is_current():
    from glassgrad.glass.docs import render

    fresh = render()
    assert DOC.read_text() == fresh, (
        "docs/how-a-network-learns.md is out of date: run "
        "`python -m glassgrad.glass.docs > docs/how-a-network-learns.md`"
    )


def test_doc_shows_the_seed_numbers():
    text = DOC.read_text()
    assert "dL/dy_hat_i = 2 (y_hat_i - y_i) / N" in text
    assert "dL/dw = -30.0" in text
    assert "w = w - lr * dL/dw = 0.0 - 0.01 * (-30.0) = 0.3" in text
    assert "off by a factor of N = 4" in text
