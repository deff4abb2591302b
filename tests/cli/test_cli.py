"""The `watchkeeper` command as a person runs it: JSON output, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_HOME"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], capture_output=True,
                          text=True, env=full_env, timeout=120)


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    write(tmp_path / "cert" / "logon.csv", HEADERS["logon"],
          [logon_row(i) for i in range(5)] + ["{BAD},31/31/2010 00:00:00,u,pc,Logon"])
    write(tmp_path / "cert" / "LDAP" / "2010-01.csv", HEADERS["ldap_r4"],
          ["Alice A,ACM2278,alice@dtaa.com,Salesman,1,Sales,D1,T1,"])
    return tmp_path / "cert"


def test_ingest_json_then_status_json(tmp_path: Path, cert_dir: Path) -> None:
    ws = str(tmp_path / "ws")
    done = cli("-w", ws, "ingest", "cert", str(cert_dir), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {k: report[k] for k in ("read", "accepted", "duplicates", "quarantined")} == {
        "read": 7, "accepted": 6, "duplicates": 0, "quarantined": 1}
    assert {Path(f["path"]).name for f in report["files"]} == {"logon.csv", "2010-01.csv"}
    for f in report["files"]:
        assert f["read"] == f["accepted"] + f["duplicates"] + f["quarantined"]
    status = json.loads(cli("-w", ws, "status", "--json").stdout)
    assert status["events"] == 5 and status["people"] == 1 and status["quarantine"] == 1
    assert status["classes"]["authentication"]["sources"] == {"cert": 5}
    assert status["classes"]["authentication"]["first"].startswith("2010-01-04T08:00:00")


def test_workspace_from_environment(tmp_path: Path, cert_dir: Path) -> None:
    env = {"WATCHKEEPER_HOME": str(tmp_path / "envws")}
    assert cli("ingest", "cert", str(cert_dir), "--json", env=env).returncode == 0
    assert (tmp_path / "envws" / "watchkeeper.toml").exists()


def test_missing_input_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = cli("-w", str(tmp_path / "ws"), "ingest", "cert", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope'}: no such file "
                                                "or directory"]
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = cli("-w", str(tmp_path / "ws"), "--debug", "ingest", "cert", str(tmp_path / "nope"))
    assert done.returncode == 1 and "Traceback" in done.stderr


def test_status_without_workspace(tmp_path: Path) -> None:
    done = cli("-w", str(tmp_path / "none"), "status")
    assert done.returncode == 1 and "no workspace here" in done.stderr


def test_bad_setting_names_file_and_setting(tmp_path: Path, cert_dir: Path) -> None:
    ws = tmp_path / "ws"
    assert cli("-w", str(ws), "ingest", "cert", str(cert_dir)).returncode == 0
    (ws / "watchkeeper.toml").write_text('[ingest]\ntimezone = "Mars/Olympus"\n')
    done = cli("-w", str(ws), "status")
    assert done.returncode == 1
    assert "watchkeeper.toml: setting ingest.timezone" in done.stderr
    assert "Mars/Olympus" in done.stderr


def test_refuses_to_turn_a_full_folder_into_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.txt").write_text("precious")
    done = cli("-w", str(tmp_path / "busy"), "ingest", "cert", str(tmp_path))
    assert done.returncode == 1 and "not empty" in done.stderr


def test_auto_reports_unrecognized_files_as_skipped(tmp_path: Path, cert_dir: Path) -> None:
    (cert_dir / "notes.txt").write_text("hello")
    (cert_dir / "answers").mkdir()
    (cert_dir / "answers" / "insiders.csv").write_text("dataset,scenario\n")
    done = cli("-w", str(tmp_path / "ws"), "ingest", "auto", str(cert_dir), "--json")
    assert done.returncode == 0, done.stderr
    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(done.stdout)["skipped"]}
    assert skipped == {"notes.txt": "format not recognized",
                       "insiders.csv": "answer key, not telemetry"}
