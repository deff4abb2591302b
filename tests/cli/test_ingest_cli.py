"""`watchkeeper ingest` refuses a file in the wrong format for its verb (one line, exit 1,
nothing stored), and shows empty files and runs that store nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.test_cli import cli
from helpers.cert_files import HEADERS, logon_row, write
from sources.golden import AUTH
from sources.source_helpers import jsonl, override

MAPPING = "name: acme\nformat: jsonl\nclass: datastore\ntime: {field: ts}\nactivity: {field: op}\n"


@pytest.fixture
def logon(tmp_path: Path) -> Path:
    return write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
                 [logon_row(i) for i in range(5)])


def _refused(ws: Path, *args: str) -> str:
    done = cli("-w", str(ws), "ingest", *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    status = json.loads(cli("-w", str(ws), "status", "--json").stdout)
    assert status["events"] == 0 and status["quarantine"] == 0
    return line


@pytest.mark.parametrize(("verb", "want"), [("ocsf", "OCSF JSON lines"),
                                            ("evtx", "an EVTX event log")])
def test_cert_file_refused_by_the_wrong_verb(tmp_path: Path, logon: Path, verb: str,
                                             want: str) -> None:
    line = _refused(tmp_path / "ws", verb, str(logon))
    assert line == (f"error: {logon}: not {want} (looks like CERT logon CSV); "
                    "use `watchkeeper ingest cert`")


def test_mapping_that_matches_no_field_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)
    ocsf = tmp_path / "events.jsonl"
    ocsf.write_text(jsonl(*[override(AUTH, metadata__uid=f"a{i}") for i in range(3)]))
    line = _refused(tmp_path / "ws", "mapped", "-m", str(mapping), str(ocsf))
    assert line == (f"error: {ocsf}: not input for mapping acme (looks like OCSF JSON "
                    "lines); use `watchkeeper ingest ocsf`")
    other = tmp_path / "other.jsonl"
    other.write_text('{"when": 1}\n' * 3)
    line = _refused(tmp_path / "ws", "mapped", "-m", str(mapping), str(other))
    assert line == (f"error: {other}: not input for mapping acme (0 of its 3 records "
                    "have its time field 'ts')")


def test_one_wrong_file_refuses_the_whole_run(tmp_path: Path, logon: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(jsonl(AUTH))
    line = _refused(tmp_path / "ws", "ocsf", str(good), str(logon))
    assert line.startswith(f"error: {logon}: not OCSF JSON lines")


def test_empty_file_and_no_commit_in_the_table(tmp_path: Path) -> None:
    empty = write(tmp_path / "in" / "device.csv", HEADERS["device_r4"], [])
    done = cli("-w", str(tmp_path / "ws"), "ingest", "cert", str(empty))
    assert done.returncode == 0, done.stderr
    assert "device.csv (empty)" in done.stdout
    assert "no commit: the input holds no records" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    report = json.loads(cli("-w", str(tmp_path / "ws"), "ingest", "cert", str(empty),
                            "--json").stdout)
    assert (report["commit"], report["no_commit"]) == (None, "the input holds no records")
    assert report["files"][0]["note"] == "empty"
