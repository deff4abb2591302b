"""A run that accepts nothing and quarantines nothing adds no commit, and says why; a file
without records is reported as empty."""

from __future__ import annotations

from pathlib import Path

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.sources.base import SourceContext

CTX = SourceContext()


def _commits(lake: Lake) -> list[int]:
    return [c.seq for c in lake.manifest().commits]


def test_empty_and_header_only_files_add_no_commit(tmp_path: Path) -> None:
    empty = tmp_path / "cert" / "logon.csv"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    header_only = write(tmp_path / "cert" / "device.csv", HEADERS["device_r6"], [])
    blank = write(tmp_path / "cert" / "http.csv", None, ["", ""])
    lake = Lake(tmp_path / "lake")
    report = ingest(lake, [empty, header_only, blank], "cert", CTX)
    assert report.commit is None and report.no_commit == "the input holds no records"
    assert [f.note for f in report.files] == ["empty", "empty", "empty"]
    assert report.to_dict()["commit"] is None
    assert report.to_dict()["no_commit"] == "the input holds no records"
    assert _commits(lake) == [] and lake.manifest().seq == 0


def test_rerun_of_stored_records_adds_no_commit(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "logon.csv", HEADERS["logon"], [logon_row(i) for i in range(4)])
    lake = Lake(tmp_path / "lake")
    first = ingest(lake, [f], "cert", CTX)
    again = ingest(lake, [f], "cert", CTX)
    assert first.commit == 1 and first.no_commit is None
    assert (again.commit, again.duplicates, again.files[0].note) == (None, 4, None)
    assert again.no_commit == "every record is already in the lake"
    assert _commits(lake) == [1]


def test_a_run_with_quarantined_records_still_commits(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "logon.csv", HEADERS["logon"], ["{X},not a date,u,pc,Logon"])
    lake = Lake(tmp_path / "lake")
    report = ingest(lake, [f], "cert", CTX)
    assert (report.commit, report.accepted, report.quarantined) == (1, 0, 1)
    assert lake.rows("quarantine") == 1


def test_an_empty_file_among_others_is_noted(tmp_path: Path) -> None:
    good = write(tmp_path / "a" / "logon.csv", HEADERS["logon"], [logon_row(1)])
    empty = tmp_path / "b" / "logon.csv"
    empty.parent.mkdir()
    empty.write_bytes(b"\n\n")
    report = ingest(Lake(tmp_path / "lake"), [good, empty], "cert", CTX)
    assert report.commit == 1
    assert [(f.read, f.note) for f in report.files] == [(1, None), (0, "empty")]


def test_ocsf_blank_file_and_fully_filtered_mapping(tmp_path: Path) -> None:
    blank = tmp_path / "events.jsonl"
    blank.write_text("\n \n")
    lake = Lake(tmp_path / "lake")
    report = ingest(lake, [blank], "ocsf", CTX)
    assert (report.commit, report.files[0].note) == (None, "empty")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("name: acme\nformat: jsonl\nclass: datastore\ntime: {field: ts}\n"
                       "activity: {field: op}\nfilters: [{field: op, equals: keep}]\n")
    log = tmp_path / "in.log"
    log.write_text('{"ts": "2025-01-06T09:12:33Z", "op": "drop"}\n' * 2)
    report = ingest(lake, [log], "mapped", CTX, mapping=mapping)
    assert (report.commit, report.files[0].note) == (None, "every record filtered out")
    assert _commits(lake) == []
