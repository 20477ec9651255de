"""docs/compat.md is generated from glassgrad and up to date; its names are real PyTorch names."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from glassgrad import compat, torchcompat


def test_checked_in_table_is_up_to_date():
    if not compat.DOC.exists():
        pytest.fail(f"{compat.DOC} is missing: run `python -m glassgrad.compat --write`")
    assert compat.DOC.read_text() == compat.render(), (
        "docs/compat.md is out of date: run `python -m glassgrad.compat --write` "
        "(a name was added to glassgrad or to glassgrad/compat.py)"
    )


def test_every_listed_name_exists_in_pytorch():
    pytest.importorskip("torch")
    missing = []
    for namespace, name in compat._names():
        if not hasattr(compat.namespace_object(namespace), name):
            missing.append(f"{namespace}.{name}")
    assert missing == []


def test_differences_refer_to_listed_names():
    listed = {f"{ns}.{n}" for ns, n in compat._names()}
    assert set(compat.DIFFERS) <= listed


def test_status_matches_what_a_script_sees():
    """A name the table calls supported resolves under the hook; one it calls missing fails
    with the clear message."""
    with torchcompat.hook():
        for namespace, name in compat._names():
            if namespace in compat.CLASSES:
                continue
            st, _ = compat.status(namespace, name)
            mod = importlib.import_module(namespace)
            if st == "not yet":
                with pytest.raises(AttributeError, match=f"{namespace}.{name} is not supported"):
                    getattr(mod, name)
            else:
                getattr(mod, name)  # no error


def test_main_check_and_print(capsys):
    assert compat.main([]) == 0
    assert capsys.readouterr().out.startswith("# glassgrad and PyTorch")


def test_write_then_check(tmp_path, monkeypatch, capsys):
    doc = tmp_path / "docs" / "compat.md"
    monkeypatch.setattr(compat, "DOC", doc)
    assert compat.main(["--check"]) == 1  # missing
    assert compat.main(["--write"]) == 0
    assert compat.main(["--check"]) == 0
    doc.write_text(doc.read_text().replace("not yet", "soon"))
    assert compat.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out
