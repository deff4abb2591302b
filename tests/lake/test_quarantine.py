"""The quarantine as a person works with it: full paths, filters, show by id, export for
re-ingest, purge by date as one commit; on real DuckDB and Parquet."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.errors import ConfigError, LakeError, NotFoundError, OutputError
from watchkeeper.lake.faults import ENV
from watchkeeper.lake.manifest import Manifest
from watchkeeper.workspace import Workspace

BAD_LOGONS = 20  # enough for two ids to share a first hex digit


def bad_logon(i: int) -> str:
    return f"{{B{i:03d}}},13/{i + 1:02d}/2010 00:00:00,u,pc,Logon"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
          [logon_row(i) for i in range(5)] + [bad_logon(i) for i in range(BAD_LOGONS)])
    write(tmp_path / "in" / "device.csv", HEADERS["device_r4"],
          ["{D1},01/04/2010 10:00:00,ACM2278,PC-1,Connect", "{D2},01/04/2010,[bold]x"])
    monkeypatch.chdir(tmp_path)  # ingest by relative path, as people type it
    workspace = Workspace.open(Path("ws"))
    report = workspace.ingest([Path("in")], "cert")
    assert report.quarantined == BAD_LOGONS + 1
    return workspace


def test_rows_name_the_input_by_absolute_path(ws: Workspace, tmp_path: Path) -> None:
    files = {r.file for r in ws.quarantine_list(limit=100).rows}
    assert files == {str(tmp_path / "in" / "logon.csv"), str(tmp_path / "in" / "device.csv")}


def test_list_orders_filters_and_limits(ws: Workspace, tmp_path: Path) -> None:
    everything = ws.quarantine_list(limit=100)
    assert everything.total == len(everything.rows) == BAD_LOGONS + 1
    assert [(r.file, r.line) for r in everything.rows] == sorted(
        (r.file, r.line or 0) for r in everything.rows)
    logons = ws.quarantine_list(file="logon.csv", limit=5)
    assert logons.total == BAD_LOGONS and len(logons.rows) == 5
    assert [r.line for r in logons.rows] == [7, 8, 9, 10, 11]  # header, 5 good rows
    by_reason = ws.quarantine_list(reason="'01/04/2010' AS A DATE")
    assert [Path(r.file).name for r in by_reason.rows] == ["device.csv"]
    assert by_reason.rows[0].raw == "{D2},01/04/2010,[bold]x"
    assert ws.quarantine_list(file="nope.csv").total == 0
    assert ws.quarantine_list(file="logon", reason="01/04/2010' as").total == 0


def test_list_rows_say_when_they_were_recorded(ws: Workspace) -> None:
    row = ws.quarantine_list(limit=1).rows[0]
    commit = ws.lake.manifest().commits[-1]
    assert (row.commit, row.recorded) == (commit.seq, commit.at)


def test_show_by_id_or_unique_prefix(ws: Workspace) -> None:
    row = ws.quarantine_list(file="device").rows[0]
    assert ws.quarantine_show(row.id) == row
    assert ws.quarantine_show(row.short_id) == row
    assert ws.quarantine_show(row.id.removeprefix("q:")[:10]) == row
    assert row.raw == "{D2},01/04/2010,[bold]x" and row.line == 3


def test_show_unknown_empty_and_ambiguous_ids(ws: Workspace) -> None:
    ids = [r.id for r in ws.quarantine_list(limit=100).rows]
    with pytest.raises(NotFoundError, match="'q:zz': no such record"):
        ws.quarantine_show("q:zz")
    with pytest.raises(NotFoundError, match="empty"):
        ws.quarantine_show("  ")
    firsts = [i[2] for i in ids]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    with pytest.raises(NotFoundError, match="more than one record"):
        ws.quarantine_show(shared)


def test_show_on_an_empty_quarantine(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such record"):
        Workspace.open(tmp_path / "empty").quarantine_show("abc")


def test_export_jsonl_keeps_everything_and_is_private(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "out" / "bad.jsonl"
    target.parent.mkdir()
    report = ws.quarantine_export(target, reason="'13/")
    docs = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    assert report.rows == len(docs) == BAD_LOGONS and report.files == 1
    listed = ws.quarantine_list(reason="'13/", limit=100).rows
    assert docs == [{"id": r.id, "source": "cert", "file": r.file, "line": r.line,
                     "reason": r.reason, "raw": r.raw, "commit": r.commit,
                     "recorded": r.recorded} for r in listed]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["bad.jsonl"]  # no temporary file left


def test_export_raw_fixed_and_reingested(ws: Workspace, tmp_path: Path) -> None:
    fixed = tmp_path / "fixed" / "logon.csv"
    fixed.parent.mkdir()
    report = ws.quarantine_export(fixed, file="logon.csv", fmt="raw")
    lines = fixed.read_text("utf-8").splitlines()
    assert report.rows == len(lines) == BAD_LOGONS
    assert lines == [bad_logon(i) for i in range(BAD_LOGONS)]  # as they were, in order
    fixed.write_text("".join(line.replace("13/", "01/") + "\n" for line in lines))
    again = ws.ingest([fixed], "cert")
    assert (again.accepted, again.quarantined) == (BAD_LOGONS, 0)


def test_export_refusals_leave_the_old_file(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("precious")
    with pytest.raises(ConfigError, match=r"--format raw: .* 2 input files"):
        ws.quarantine_export(target, fmt="raw")
    with pytest.raises(ConfigError, match="--format 'xml'"):
        ws.quarantine_export(target, fmt="xml")
    with pytest.raises(OutputError, match="cannot write"):
        ws.quarantine_export(tmp_path / "no" / "such" / "dir.jsonl")
    with pytest.raises(OutputError, match=re.escape(str(tmp_path / "in"))):
        ws.quarantine_export(tmp_path / "in")  # a directory
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "keep.txt", "ws"]


def _backdate_first_commit(ws: Workspace, days: int) -> None:
    path = ws.lake.manifest_path
    manifest = Manifest.load(path)
    first = manifest.commits[0]
    at = (datetime.fromisoformat(first.at) - timedelta(days=days)).isoformat()
    manifest.commits[0] = replace(first, at=at)
    manifest.save(path)


def test_purge_removes_rows_of_earlier_commits_in_one_commit(ws: Workspace,
                                                             tmp_path: Path) -> None:
    write(tmp_path / "more" / "logon.csv", HEADERS["logon"], ["{X},bad,u,pc,Logon"])
    ws.ingest([tmp_path / "more"], "cert")
    _backdate_first_commit(ws, days=3)
    old_files = [f.path for f in ws.lake.manifest().files("quarantine") if f.commit == 1]
    today = datetime.now(UTC).date()
    dry = ws.quarantine_purge(today, dry_run=True)
    assert (dry.rows, dry.commits, dry.commit) == (BAD_LOGONS + 1, (1,), None)
    assert ws.quarantine_list().total == BAD_LOGONS + 2  # a dry run changes nothing

    report = ws.quarantine_purge(today)
    assert (report.rows, report.commits, report.files) == (BAD_LOGONS + 1, (1,),
                                                          tuple(old_files))
    left = ws.quarantine_list().rows
    assert [(Path(r.file).parent.name, r.commit) for r in left] == [("more", 2)]
    assert ws.status().quarantine == 1
    log = ws.lake.manifest().commits[-1]
    assert (log.seq, log.kind) == (report.commit, "quarantine-purge")
    assert log.summary == {"kind": "quarantine-purge", "before": today.isoformat(),
                           "rows": BAD_LOGONS + 1, "commits": [1], "files": old_files}
    assert not any((ws.lake.root / p).exists() for p in old_files)  # deleted, not hidden
    assert ws.lake.rows("authentication") == 5  # nothing else touched


def test_purge_with_nothing_before_the_day_makes_no_commit(ws: Workspace) -> None:
    commits = len(ws.lake.manifest().commits)
    report = ws.quarantine_purge(date(2000, 1, 1))
    assert (report.rows, report.commit) == (0, None)
    assert len(ws.lake.manifest().commits) == commits
    assert ws.quarantine_list().total == BAD_LOGONS + 1


def test_remove_refuses_files_the_lake_does_not_list(ws: Workspace) -> None:
    with ws.lake.transaction("test") as txn, pytest.raises(LakeError, match="not a visible"):
        txn.remove("quarantine", ["quarantine/nope.parquet"])


@pytest.mark.parametrize(("point", "left"), [("staged", BAD_LOGONS + 1),
                                             ("before-manifest", BAD_LOGONS + 1),
                                             ("after-manifest", 0)])
def test_purge_killed_midway_is_all_or_nothing(ws: Workspace, point: str, left: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_HOME"}
    env[ENV] = point
    done = subprocess.run([sys.executable, "-m", "watchkeeper", "-w", str(ws.root.resolve()),
                           "quarantine", "purge", "--before", "2999-01-01"], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 137
    assert ws.quarantine_list().total == ws.lake.rows("quarantine") == left
    with ws.lake.transaction("test"):  # the next writer clears what the crash left
        pass
    on_disk = {str(p.relative_to(ws.lake.root)) for p in ws.lake.root.rglob("*.parquet")}
    assert on_disk == ws.lake.manifest().paths()
