"""Workspace files are readable by their owner only: 0600 files, 0700 directories, for
everything under a workspace and for the files the CLI writes on request."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.private import restrict_umask
from watchkeeper.workspace import Workspace


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (group and others may read), whatever earlier tests left."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def loose_paths(*roots: Path) -> list[str]:
    """Every file or directory under the roots (themselves included) that group or
    others may use, with its mode."""
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
                found.append(f"{path.relative_to(root.parent)} {stat.S_IMODE(mode):o}")
    return found


def _cert(tmp_path: Path) -> Path:
    write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
          [logon_row(i) for i in range(5)] + ["{X},bad,u,pc,Logon"])
    return tmp_path / "in"


@pytest.mark.usefixtures("loose_umask")
def test_a_new_workspace_and_its_lake_are_private(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    ws.ingest([_cert(tmp_path)], "cert")
    ws.quarantine_export(tmp_path / "bad.jsonl")
    assert (tmp_path / "ws" / "lake" / "manifest.json").exists()
    assert loose_paths(tmp_path / "ws", tmp_path / "bad.jsonl") == []
    assert stat.S_IMODE((tmp_path / "ws").stat().st_mode) == 0o700


@pytest.mark.usefixtures("loose_umask")
def test_a_loose_existing_workspace_is_tightened_on_open(tmp_path: Path) -> None:
    Workspace.open(tmp_path / "ws").ingest([_cert(tmp_path)], "cert")
    os.umask(0o022)  # as an older release (or a copy) would have left it
    root = tmp_path / "ws"
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    (root / "notes").mkdir()
    (root / "notes" / "names.txt").write_text("alice")
    (root / "link").symlink_to(tmp_path / "in")
    os.chmod(tmp_path / "in", 0o755)
    assert len(loose_paths(root)) > 5
    Workspace.open(root, create=False)
    assert loose_paths(root) == []
    assert stat.S_IMODE((root / "notes" / "names.txt").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "in").stat().st_mode) == 0o755  # links not followed


def test_restrict_umask_keeps_stricter_bits() -> None:
    old = os.umask(0o002)
    try:
        assert restrict_umask() == 0o002
        assert os.umask(0o227) == 0o077
        restrict_umask()
        assert os.umask(old) == 0o277  # the owner's own restriction stays
    finally:
        os.umask(old)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_HOME"}
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], capture_output=True,
                          text=True, env=env, timeout=600,
                          preexec_fn=lambda: os.umask(0o022))  # single-threaded test


@pytest.mark.slow
def test_everything_written_by_the_cli_is_private(tmp_path: Path) -> None:
    sim, ws = tmp_path / "sim", str(tmp_path / "ws")
    steps = [("simulate", "--users", "30", "--days", "30", "--seed", "3", "--out", str(sim)),
             ("-w", ws, "ingest", "auto", str(sim)),
             ("-w", ws, "ingest", "cert", str(_cert(tmp_path))),
             ("-w", ws, "detect"),
             ("-w", ws, "analyze"),
             ("-w", ws, "risk", "history", "--csv", str(tmp_path / "history.csv")),
             ("-w", ws, "quarantine", "export", str(tmp_path / "bad.jsonl"))]
    for step in steps:
        done = cli(*step, "--json") if step[0] == "simulate" else cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    assert (tmp_path / "ws" / "analytics").is_dir()
    assert json.loads(cli("-w", ws, "status", "--json").stdout)["quarantine"] == 1
    assert loose_paths(tmp_path / "ws", tmp_path / "history.csv", tmp_path / "bad.jsonl") == []
