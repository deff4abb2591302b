"""Crash points for tests: ``WATCHKEEPER_CRASH_AT=<name>`` kills the process there.

Used by the crash-recovery tests to stop an ingest at each step of a commit, the way a
power cut or `kill -9` would, and prove that a rerun gives the counts of one clean run.
"""

from __future__ import annotations

import os

ENV = "WATCHKEEPER_CRASH_AT"
POINTS = ("staged", "published", "moving", "before-manifest", "after-manifest")


def checkpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os._exit(137)
