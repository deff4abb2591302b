"""What a test needs from its machine: servers, runtimes, the shared SigmaHQ corpus.

`require` skips (printing the reason) on a machine without the thing, and fails under
CI=true, where everything must be present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (CI=true) when a needed runtime or server is missing."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
