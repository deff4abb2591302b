"""The public names of security are listed once in __all__ and importable; the package
imports nothing above it (it may import only store)."""

from __future__ import annotations

import ast
from pathlib import Path

import watchkeeper.security as security


def test_all_is_sorted_and_importable() -> None:
    assert sorted(security.__all__) == list(security.__all__)
    for name in security.__all__:
        assert getattr(security, name) is not None


def test_imports_stay_below_security() -> None:
    allowed = {"watchkeeper.errors", "watchkeeper.security", "watchkeeper.store"}
    for path in Path(security.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "watchkeeper"):
                assert any(node.module == a or node.module.startswith(a + ".")
                           for a in allowed), f"{path.name} imports {node.module}"
