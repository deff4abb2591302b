"""Where a workspace is when none is named: light enough for the CLI's start-up."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "WATCHKEEPER_HOME"
DEFAULT_HOME = "watchkeeper-data"


def default_home() -> Path:
    """``$WATCHKEEPER_HOME``, else ``./watchkeeper-data``."""
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
