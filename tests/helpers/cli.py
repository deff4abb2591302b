"""The command line as a user runs it: `python -m watchkeeper` in a child process, with
none of the environment that would point it elsewhere (``WATCHKEEPER_HOME``,
``WATCHKEEPER_DATABASE_URL``, ``WATCHKEEPER_ACCOUNT``) unless the test gives it, and an
80-column terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

LEFT_OUT = ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL", "WATCHKEEPER_ACCOUNT")


def run_cli(*args: str | Path, timeout: float = 300,
            env: Mapping[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in LEFT_OUT}
    full["COLUMNS"] = "80"
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "watchkeeper", *map(str, args)],
                          capture_output=True, text=True, env=full, timeout=timeout,
                          input=stdin)
