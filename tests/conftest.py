"""Shared fixtures. Tests needing a server or a runtime skip locally with a reason and fail
under CI=true, where everything must be present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (CI=true) when a needed runtime or server is missing."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    return tmp_path / "ws"
