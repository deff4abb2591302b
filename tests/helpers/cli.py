"""The command line as a user runs it: `python -m watchkeeper` in a child process, with
none of the environment that would point it elsewhere (``WATCHKEEPER_HOME``,
``WATCHKEEPER_DATABASE_URL``, ``WATCHKEEPER_ACCOUNT``) unless the test gives it, and an
80-column terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def ok(*args: str | Path) -> Any:
    """The command's ``--json`` document; it must succeed."""
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``error: …`` line of a command that failed with exit code 1."""
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def narrow(done: subprocess.CompletedProcess[str]) -> str:
    """The output of a command that succeeded, every line within 80 columns."""
    assert done.returncode == 0, done.stderr
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
    return done.stdout
