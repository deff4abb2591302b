"""Shared fixtures; machine requirements live in `helpers.runtime`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def rule_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The compiled-rule cache of the whole run (and of the CLI it starts) in a folder of
    its own: tests never read or fill the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("rule-cache")
    before = os.environ.get("WATCHKEEPER_CACHE")
    os.environ["WATCHKEEPER_CACHE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("WATCHKEEPER_CACHE", None)
    else:
        os.environ["WATCHKEEPER_CACHE"] = before


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    return tmp_path / "ws"
