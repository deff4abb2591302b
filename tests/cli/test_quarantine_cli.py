"""`watchkeeper quarantine list|show|export|purge` as a person runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write

BAD = "{B01},13/01/2010 00:00:00,u,pc,Logon"
BRACKETS = "{B02},[bold]x,u,pc,Logon"
LONG_DIR = "a-folder-name-long-enough-to-be-shortened-in-the-[b]"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WATCHKEEPER_HOME", "COLUMNS")}
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("qcli")
    write(tmp / LONG_DIR / "logon.csv", HEADERS["logon"],
          [logon_row(i) for i in range(3)] + [BAD, BRACKETS])
    write(tmp / LONG_DIR / "device.csv", HEADERS["device_r4"], ["{D1},nope,u,pc,Connect"])
    done = cli("-w", str(tmp / "ws"), "ingest", "cert", str(tmp / LONG_DIR), "--json")
    assert done.returncode == 0, done.stderr
    return tmp / "ws"


def rows(ws: Path, *args: str) -> list[dict[str, object]]:
    done = cli("-w", str(ws), "quarantine", "list", "--json", *args)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["shown"] == len(doc["rows"]) <= doc["total"]
    return list(doc["rows"])


def test_list_fits_80_columns_and_keeps_brackets(ws: Path) -> None:
    done = cli("-w", str(ws), "quarantine", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["id", "file", "line", "reason"]
    assert all(len(line) <= 80 for line in lines)
    ids = [r["id"] for r in rows(ws)]
    assert all(any(line.startswith(str(i)[:12]) for line in lines) for i in ids)
    assert any("…" in line and "logon.csv" in line and " 6 " in line for line in lines)
    assert "[b]/logon.csv" in done.stdout  # user text is not taken for Rich markup


def test_list_json_filters_and_limit(ws: Path) -> None:
    everything = rows(ws)
    assert len(everything) == 3
    assert {r["file"] for r in everything} == {str(ws.parent / LONG_DIR / "logon.csv"),
                                               str(ws.parent / LONG_DIR / "device.csv")}
    assert [r["line"] for r in rows(ws, "--file", "logon.csv")] == [5, 6]
    assert [r["raw"] for r in rows(ws, "--reason", "[BOLD]")] == [BRACKETS]
    done = cli("-w", str(ws), "quarantine", "list", "--json", "--limit", "1")
    assert json.loads(done.stdout)["total"] == 3 and len(json.loads(done.stdout)["rows"]) == 1


def test_show_by_short_id_text_and_json(ws: Path) -> None:
    row = rows(ws, "--reason", "[bold]")[0]
    short = str(row["id"])[:12]
    done = cli("-w", str(ws), "quarantine", "show", short)
    assert done.returncode == 0, done.stderr
    assert f"file     {row['file']}" in done.stdout and "line     6" in done.stdout
    assert done.stdout.rstrip().endswith(BRACKETS)
    assert row["reason"] and str(row["reason"]) in done.stdout
    as_json = cli("-w", str(ws), "quarantine", "show", short.removeprefix("q:"), "--json")
    assert json.loads(as_json.stdout) == row


def test_show_unknown_id_is_one_line_and_exit_1(ws: Path) -> None:
    done = cli("-w", str(ws), "quarantine", "show", "q:ffffffffffff")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: quarantine id 'q:ffffffffffff': no such record "
        "(see `watchkeeper quarantine list`)"]


def test_export_jsonl_and_raw(ws: Path, tmp_path: Path) -> None:
    target = tmp_path / "bad.jsonl"
    done = cli("-w", str(ws), "quarantine", "export", str(target), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"path": str(target), "format": "jsonl", "rows": 3,
                                       "files": 2}
    assert [json.loads(line) for line in target.read_text().splitlines()] == rows(ws)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    raw = tmp_path / "logon.csv"
    done = cli("-w", str(ws), "quarantine", "export", str(raw), "--file", "logon.csv",
               "--format", "raw")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote 2 records from 1 input file to {raw} (raw)."
    assert raw.read_text().splitlines() == [BAD, BRACKETS]


def test_export_raw_of_two_files_is_refused(ws: Path, tmp_path: Path) -> None:
    done = cli("-w", str(ws), "quarantine", "export", str(tmp_path / "x"), "--format", "raw")
    assert done.returncode == 1 and not (tmp_path / "x").exists()
    assert done.stderr.strip().splitlines() == [
        "error: --format raw: the selected rows come from 2 input files; "
        "select one with --file"]


def test_purge_bad_date_is_one_line(ws: Path) -> None:
    done = cli("-w", str(ws), "quarantine", "purge", "--before", "2025-02-30")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: --before '2025-02-30': not a day (expected YYYY-MM-DD)"]


def test_purge_dry_run_then_purge(tmp_path: Path) -> None:
    write(tmp_path / "in" / "logon.csv", HEADERS["logon"], [logon_row(0), BAD])
    ws = str(tmp_path / "ws")
    assert cli("-w", ws, "ingest", "cert", str(tmp_path / "in")).returncode == 0
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    dry = cli("-w", ws, "quarantine", "purge", "--before", tomorrow, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert {k: json.loads(dry.stdout)[k] for k in ("rows", "commits", "commit", "dry_run")} \
        == {"rows": 1, "commits": [1], "commit": None, "dry_run": True}
    done = cli("-w", ws, "quarantine", "purge", "--before", tomorrow)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"Removed 1 record recorded before {tomorrow} by 1 "
                                   "commit (commit 2).")
    status = json.loads(cli("-w", ws, "status", "--json").stdout)
    assert (status["quarantine"], status["commits"], status["events"]) == (0, 2, 1)


@pytest.mark.parametrize("command", ["list", "show", "export", "purge"])
def test_help_ends_with_an_example(command: str) -> None:
    done = cli("quarantine", command, "--help")
    assert done.returncode == 0 and "Example: watchkeeper -w ws quarantine " + command \
        in " ".join(done.stdout.split())


def test_cli_constants_match_the_lake() -> None:
    from watchkeeper.cli import quarantine as cli_quarantine
    from watchkeeper.lake import quarantine as lake_quarantine
    assert cli_quarantine.DEFAULT_LIMIT == lake_quarantine.DEFAULT_LIMIT
    assert cli_quarantine.SHORT_ID == lake_quarantine.SHORT_ID
