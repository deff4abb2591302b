"""EVTX ingest: raw Windows rows, their normalized events, and corrupt files quarantined."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from helpers.runtime import SHARED, require
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.schema.windows import CORE_SCHEMA
from watchkeeper.sources.base import SourceContext
from watchkeeper.sources.windows_events import SECURITY, SYSMON, normalize

BASE: dict[str, Any] = {"event_id": "evtx:f:1", "time": datetime(2025, 3, 3, 9, tzinfo=UTC),
                        "source": "evtx", "channel": SECURITY, "provider": "p",
                        "event_code": 4624, "computer": "PC-7", "record_id": 1, "user": None,
                        "host": "PC-7"}


def raw(**fields: Any) -> pa.Table:
    row = {**BASE, **fields}
    extra = [k for k in row if k not in CORE_SCHEMA.names]
    schema = pa.schema([*CORE_SCHEMA, *(pa.field(k, pa.string()) for k in extra)])
    return pa.Table.from_pylist([row], schema=schema)


def only(table: pa.Table, cls: str) -> dict[str, Any]:
    out = normalize(table)
    assert list(out) == [cls]
    (row,) = out[cls].to_pylist()
    return dict(row)


@pytest.mark.parametrize(("code", "fields", "expected"), [
    (4624, {"TargetUserName": "alice", "LogonType": "10", "IpAddress": "10.0.0.9"},
     {"activity": "logon", "status": "success", "logon_type": "remote_interactive",
      "user": "alice", "src_host": "10.0.0.9", "target_user": None}),
    (4625, {"TargetUserName": "CORP\\bob", "LogonType": "3", "IpAddress": "-",
            "WorkstationName": "WS-2"},
     {"activity": "logon", "status": "failure", "logon_type": "network", "user": "bob",
      "src_host": "WS-2"}),
    (4634, {"TargetUserName": "alice"}, {"activity": "logoff", "user": "alice"}),
    (4647, {"TargetUserName": "alice"}, {"activity": "logoff"}),
    (4648, {"SubjectUserName": "alice", "TargetUserName": "admin@corp.example"},
     {"activity": "logon", "logon_type": "explicit", "user": "alice", "target_user": "admin"}),
])
def test_logons(code: int, fields: dict[str, str], expected: dict[str, Any]) -> None:
    row = only(raw(event_code=code, **fields), "authentication")
    assert row["event_id"] == "evtx:f:1" and row["host"] == "PC-7"
    assert {k: row[k] for k in expected} == expected


def test_removable_device_and_file_access() -> None:
    dev = only(raw(event_code=6416, SubjectUserName="alice", ClassName="DiskDrive",
                   DeviceDescription="SanDisk Cruzer"), "peripheral")
    assert (dev["activity"], dev["device_kind"], dev["device_name"]) == (
        "connect", "removable_storage", "SanDisk Cruzer")
    write = only(raw(event_code=4663, Task="12801", SubjectUserName="alice",
                     ObjectName="\\Device\\HarddiskVolume9\\plans\\q3.XLSX",
                     AccessList="%%4417"), "file")
    assert (write["activity"], write["to_removable"], write["file_ext"]) == ("write", True, "xlsx")
    assert normalize(raw(event_code=4663, Task="12800", ObjectName="C:\\x")) == {}


def test_process_creation_security_and_sysmon() -> None:
    sec = only(raw(event_code=4688, SubjectUserName="alice", NewProcessName="C:\\w\\cmd.exe",
                   CommandLine="cmd /c whoami", ParentProcessName="C:\\w\\explorer.exe",
                   NewProcessId="0x1f4"), "process")
    assert (sec["process_name"], sec["pid"], sec["user"]) == ("C:\\w\\cmd.exe", 500, "alice")
    sysmon = only(raw(channel=SYSMON, event_code=1, Image="C:\\t\\kl.exe", ProcessId="42",
                      ParentImage="C:\\w\\explorer.exe", data_User="CORP\\carol"), "process")
    assert (sysmon["process_name"], sysmon["pid"], sysmon["user"]) == ("C:\\t\\kl.exe", 42,
                                                                      "carol")


def test_sysmon_file_create() -> None:
    f = only(raw(channel=SYSMON, event_code=11, TargetFilename="C:\\u\\drop.ps1",
                 data_User="CORP\\carol"), "file")
    assert (f["activity"], f["path"], f["file_ext"], f["user"]) == (
        "create", "C:\\u\\drop.ps1", "ps1", "carol")


def test_unmapped_events_stay_raw_only() -> None:
    assert normalize(raw(event_code=4701)) == {}


def test_ingest_real_samples_with_a_corrupt_file(tmp_path: Path) -> None:
    samples = sorted((SHARED / "sigma" / "regression_data").rglob("*.evtx"))[:25]
    require(bool(samples), "SigmaHQ regression samples (../shared/sigma) not found")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, s in enumerate(samples):
        (inputs / f"{i:02d}.evtx").write_bytes(s.read_bytes())
    (inputs / "broken.evtx").write_bytes(b"ElfFile\x00 truncated garbage")
    lake = Lake(tmp_path / "lake")
    report = ingest(lake, [inputs], "evtx", SourceContext())
    broken = next(f for f in report.files if f.path.endswith("broken.evtx"))
    assert (broken.read, broken.quarantined) == (1, 1)
    assert report.read == report.accepted + report.duplicates + report.quarantined
    assert lake.rows("windows") == report.accepted > 0
    q = lake.table("quarantine").to_pyarrow().to_pylist()
    assert q[0]["file"].endswith("broken.evtx") and "EVTX" in q[0]["reason"]
    again = ingest(lake, [inputs], "evtx", SourceContext())
    assert again.accepted == 0 and again.duplicates == report.accepted


@pytest.mark.parametrize("pooled", [False, True])
def test_copies_under_new_names_are_read_and_duplicates(tmp_path: Path, pooled: bool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    if pooled:  # worker processes, each skipping the repeats it has seen, chunks of 4 files
        from watchkeeper.sources import evtx_source
        monkeypatch.setattr(evtx_source, "POOL_BYTES", 0)
        monkeypatch.setattr(evtx_source, "CHUNK_FILES", 4)
    samples = sorted((SHARED / "sigma" / "regression_data").rglob("*.evtx"))[:10]
    require(bool(samples), "SigmaHQ regression samples (../shared/sigma) not found")
    for copy in range(3):
        folder = tmp_path / "in" / f"copy{copy}"
        folder.mkdir(parents=True)
        for i, s in enumerate(samples):
            (folder / f"{i:02d}.evtx").write_bytes(s.read_bytes())
    lake = Lake(tmp_path / "lake")
    report = ingest(lake, [tmp_path / "in"], "evtx", SourceContext(workers=2))
    assert len(report.files) == 30
    for f in report.files:
        assert f.read == f.accepted + f.duplicates + f.quarantined and f.read > 0
    first = [f for f in report.files if "/copy0/" in f.path]
    assert sum(f.accepted for f in first) == report.accepted == lake.rows("windows")
    assert report.duplicates == 2 * sum(f.read for f in first) + sum(f.duplicates for f in first)
    files_column = pq_files_column(lake)
    assert set(files_column) <= set(range(10))  # lineage: each row from a first copy


def pq_files_column(lake: Lake) -> list[int]:
    import duckdb
    paths = [str(lake.root / f.path) for f in lake.manifest().files("raw/windows")]
    return [r[0] for r in duckdb.execute(
        "SELECT _file FROM read_parquet(?, union_by_name=true)", [paths]).fetchall()]


def test_a_refused_run_stops_the_workers_started_for_it(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from watchkeeper.errors import InputError
    from watchkeeper.sources import evtx_source
    monkeypatch.setattr(evtx_source, "POOL_BYTES", 0)
    monkeypatch.setattr(evtx_source, "CHUNK_FILES", 2)
    samples = sorted((SHARED / "sigma" / "regression_data").rglob("*.evtx"))[:5]
    require(bool(samples), "SigmaHQ regression samples (../shared/sigma) not found")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, s in enumerate(samples):
        (inputs / f"{i:02d}.evtx").write_bytes(s.read_bytes())
    (inputs / "zz.evtx").write_text("time,user\n2025-01-01,alice\n")  # not EVTX at all
    lake = Lake(tmp_path / "lake")
    with pytest.raises(InputError, match=r"zz\.evtx.*no EVTX signature"):
        ingest(lake, [inputs], "evtx", SourceContext(workers=2))
    assert lake.manifest().commits == []
    assert multiprocessing.active_children() == []  # the pool started for the run is gone
    (inputs / "zz.evtx").unlink()
    pools = []
    new_pool = evtx_source._new_pool
    monkeypatch.setattr(evtx_source, "_new_pool", lambda n: pools.append(n) or new_pool(n))
    report = ingest(lake, [inputs], "evtx", SourceContext(workers=2))
    assert report.read == report.accepted + report.duplicates > 0
    assert pools == [2]  # started before the files were checked, then read with
    assert multiprocessing.active_children() == []
