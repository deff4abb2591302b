"""`watchkeeper` as a child process, as an operator runs it: the CLI, and `serve` on a
free port of 127.0.0.1 (the only address a server test talks to)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import pytest


def env() -> dict[str, str]:
    """The environment without a workspace or store of the caller's: the workspace's
    own settings choose its store."""
    return {k: v for k, v in os.environ.items()
            if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], input=stdin,
                          capture_output=True, text=True, env=env(), timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workspace: Path, port: int, log: IO[str]) -> subprocess.Popen[str]:
    """`watchkeeper -w WORKSPACE serve --port PORT` on 127.0.0.1, its output in `log`."""
    return subprocess.Popen([sys.executable, "-m", "watchkeeper", "-w", str(workspace),
                             "serve", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, text=True, env=env())


def wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("serve did not answer /healthz")
