"""docs/derivatives.md is generated from the ops' docstrings and must be current."""

from pathlib import Path

from glassgrad.ops.table import derivatives_markdown, op_classes

DOC = Path(__file__).resolve().parents[1] / "docs" / "derivatives.md"


def test_table_lists_every_op():
    text = derivatives_markdown()
    for cls in op_classes():
        assert f"`{cls.__name__}`" in text and f"`{cls.node_name}`" in text


def test_checked_in_table_is_current():
    assert DOC.read_text() == derivatives_markdown(), (
        "docs/derivatives.md is stale: run `python -m glassgrad.ops.table > docs/derivatives.md`"
    )
