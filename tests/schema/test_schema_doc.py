"""docs/schema.md is generated from the schema module and must stay equal to it."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.schema import CLASSES, CORE_COLUMNS
from watchkeeper.schema.docs import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def test_schema_doc_is_current() -> None:
    assert DOC.read_text("utf-8") == render(), (
        "docs/schema.md is stale: run `python -m watchkeeper.schema.docs > docs/schema.md`")


def test_every_class_schema_starts_with_core_columns() -> None:
    core = [c.name for c in CORE_COLUMNS]
    for spec in CLASSES.values():
        assert spec.schema.names[: len(core)] == core
        assert len(set(spec.schema.names)) == len(spec.schema.names)
