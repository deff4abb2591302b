"""What a test needs from its machine: servers, runtimes, the shared SigmaHQ corpus.

`require` skips (printing the reason) on a machine without the thing, and fails under
CI=true, where everything must be present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _shared() -> Path:
    """The shared folder next to the checkout (``../shared``), wherever it is cloned; the
    workplace's fixed location otherwise; ``WATCHKEEPER_SHARED`` overrides both."""
    candidates = [Path(os.environ["WATCHKEEPER_SHARED"])] if "WATCHKEEPER_SHARED" in os.environ \
        else []
    candidates += [Path(__file__).resolve().parents[3] / "shared", Path("/work/shared")]
    return next((c for c in candidates if c.is_dir()), candidates[0])


SHARED = _shared()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (CI=true) when a needed runtime or server is missing."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
