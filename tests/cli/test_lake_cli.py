"""`watchkeeper lake check|repair` and `--wait`, run as a person runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write

from .test_cli import cli

HOLD = """
import fcntl, sys, time
with open(sys.argv[1], "a+") as fh:
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@contextmanager
def writer_lock_held(ws: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lake's writer lock for `seconds`."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(ws / "lake" / ".lock"),
                             str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    data = tmp_path / "cert"
    write(data / "logon.csv", HEADERS["logon"],
          [logon_row(i, day=4 + i % 3) for i in range(9)] + ["{BAD},x,u,pc,Logon"])
    write(data / "LDAP" / "2010-01.csv", HEADERS["ldap_r4"],
          ["Alice A,ACM2278,alice@dtaa.com,Salesman,1,Sales,D1,T1,"])
    done = cli("-w", str(tmp_path / "ws"), "ingest", "cert", str(data), "--json")
    assert done.returncode == 0, done.stderr
    return tmp_path / "ws"


def data_files(ws: Path) -> set[Path]:
    return {p for p in (ws / "lake").rglob("*.parquet") if "damaged" not in p.parts}


def status(ws: Path) -> dict[str, object]:
    done = cli("-w", str(ws), "status", "--json")
    assert done.returncode == 0, done.stderr
    doc: dict[str, object] = json.loads(done.stdout)
    return {k: doc[k] for k in ("events", "people", "quarantine", "commits", "classes")}


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_lost_manifest_refuses_ingest_then_repair_restores_status(ws: Path,
                                                                  tmp_path: Path) -> None:
    before, files = status(ws), data_files(ws)
    (ws / "lake" / "manifest.json").unlink()
    refused = cli("-w", str(ws), "ingest", "cert", str(tmp_path / "cert"))
    assert "`watchkeeper lake repair`" in one_error_line(refused)
    assert "lake repair" in one_error_line(cli("-w", str(ws), "status"))
    assert data_files(ws) == files                          # nothing deleted
    check = cli("-w", str(ws), "lake", "check", "--json")
    assert check.returncode == 1
    assert [i["kind"] for i in json.loads(check.stdout)["issues"]] == ["manifest"]
    repaired = cli("-w", str(ws), "lake", "repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    assert json.loads(repaired.stdout)["rebuilt"] is True
    assert status(ws) == before
    assert cli("-w", str(ws), "lake", "check").returncode == 0


def test_truncated_file_is_checked_worked_around_and_moved(ws: Path) -> None:
    victim = sorted((ws / "lake" / "events").rglob("*.parquet"))[0]
    rel = str(victim.relative_to(ws / "lake"))
    with open(victim, "r+b") as fh:
        fh.truncate(64)
    check = cli("-w", str(ws), "lake", "check", "--json")
    assert check.returncode == 1
    issues = json.loads(check.stdout)["issues"]
    assert [(i["kind"], i["path"]) for i in issues] == [("damaged", rel)]
    read = cli("-w", str(ws), "status", "--json")         # works around it, and says so
    assert read.returncode == 0 and json.loads(read.stdout)["events"] == 6
    warnings = read.stderr.strip().splitlines()
    assert len(warnings) == 1 and rel in warnings[0] and "lake repair" in warnings[0]
    repaired = cli("-w", str(ws), "lake", "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert rel in repaired.stdout and "damaged/" in repaired.stdout
    assert (ws / "lake" / "damaged" / rel).exists() and not victim.exists()
    again = cli("-w", str(ws), "lake", "repair", "--json")
    assert json.loads(again.stdout)["changed"] is False
    clean = cli("-w", str(ws), "status", "--json")
    assert clean.returncode == 0 and clean.stderr == ""


def test_reader_works_while_another_process_writes(ws: Path, tmp_path: Path) -> None:
    before = status(ws)
    with writer_lock_held(ws, 60):
        assert status(ws) == before
        assert cli("-w", str(ws), "lake", "check").returncode == 0
        busy = cli("-w", str(ws), "ingest", "cert", str(tmp_path / "cert"))
        assert "another Watchkeeper process is writing" in one_error_line(busy)


def test_wait_lets_a_writer_through_once_the_lock_is_freed(ws: Path, tmp_path: Path) -> None:
    with writer_lock_held(ws, 1.0):
        done = cli("-w", str(ws), "ingest", "cert", str(tmp_path / "cert"), "--json",
                   "--wait", "30")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 0       # all already stored


def test_lake_commands_document_an_example() -> None:
    for command in ("check", "repair"):
        done = cli("lake", command, "--help")
        assert done.returncode == 0 and "Example: watchkeeper -w ws lake" in done.stdout
