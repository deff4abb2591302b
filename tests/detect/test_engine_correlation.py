"""Correlation rules in the detection run: loading, findings, incremental runs, exceptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.detect.engine import BEGINNING, detect
from watchkeeper.detect.findings import finding_id
from watchkeeper.detect.ruleset import load_exceptions, load_pack
from watchkeeper.errors import RuleError
from watchkeeper.lake import Lake
from watchkeeper.schema.events import class_spec

RULES = Path(__file__).resolve().parents[2] / "src/watchkeeper/rules/insider"
BURST = [RULES / "insider.exfil.file_to_removable.yml", RULES / "insider.exfil.usb_copy_burst.yml"]
T0 = datetime(2025, 1, 6, 8, tzinfo=UTC)


def copies(times: list[datetime], user: str = "U1", prefix: str = "f") -> pa.Table:
    rows = [{"event_id": f"{prefix}{i}", "time": t, "source": "test", "class": "file",
             "activity": "copy", "user": user, "host": "PC-1", "path": f"R:\\{i}.docx",
             "to_removable": True} for i, t in enumerate(times)]
    return pa.Table.from_pylist(rows, schema=class_spec("file").schema)


def ingest(lake: Lake, table: pa.Table, name: str = "file") -> None:
    with lake.transaction("ingest") as txn:
        txn.stage(name, table, 0)
        txn.commit({})


def stored(lake: Lake, rule_id: str) -> list[dict[str, object]]:
    t = lake.table("finding")
    return sorted(t.filter(t.rule_id == rule_id).to_pyarrow().to_pylist(),
                  key=lambda r: str(r["event_id"]))


def test_correlation_findings_reference_their_events(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    ingest(lake, copies([T0 + timedelta(minutes=2 * i) for i in range(10)]))
    report = detect(lake, BURST)
    assert report.alerts["insider.exfil.usb_copy_burst"] == 1
    (row,) = stored(lake, "insider.exfil.usb_copy_burst")
    refs = [f"f{i}" for i in range(8)]
    assert row["event_id"] == finding_id("insider.exfil.usb_copy_burst", refs)
    assert row["event_refs"] == sorted(refs) and row["severity"] == "high"
    assert row["window_start"] == T0 and row["time"] == T0 + timedelta(minutes=14)
    assert row["user"] == "U1" and row["host"] == "PC-1" and row["class"] == "finding"
    raw = json.loads(str(row["raw"]))
    assert raw["kind"] == "event_count" and raw["group"] == {"user": "U1", "host": "PC-1"}
    assert raw["count"] == 8 and raw["last_event"] == "f7"
    again = detect(lake, BURST, since=BEGINNING)
    assert again.alerts["insider.exfil.usb_copy_burst"] == 1 and again.stored == 0


def stream(days: int) -> list[datetime]:
    """A copy every 3 minutes around the clock: windows chain across day boundaries."""
    return [T0 + timedelta(minutes=3 * i) for i in range(days * 24 * 20)]


def test_incremental_runs_store_what_a_full_run_stores(tmp_path: Path) -> None:
    times = stream(4)
    split = [t for t in times if t < T0 + timedelta(days=2, hours=5)]
    full = Lake(tmp_path / "full")
    ingest(full, copies(times))
    detect(full, BURST)
    expected = [r["event_id"] for r in stored(full, "insider.exfil.usb_copy_burst")]
    parts = Lake(tmp_path / "parts")
    ingest(parts, copies(split))
    detect(parts, BURST)
    ingest(parts, copies(times[len(split):]).set_column(
        0, "event_id", pa.array([f"f{i}" for i in range(len(split), len(times))])))
    second = detect(parts, BURST)
    assert second.since > T0.date()  # really incremental
    got = [r["event_id"] for r in stored(parts, "insider.exfil.usb_copy_burst")]
    assert got == expected and len(got) == len(times) // 8
    assert detect(parts, BURST, since=BEGINNING).stored == 0


def test_multi_document_file_and_separate_correlation_by_id(tmp_path: Path) -> None:
    (tmp_path / "t.copies.yml").write_text(COPY_RULE, encoding="utf-8")
    (tmp_path / "t.spread.yml").write_text(SPREAD, encoding="utf-8")
    pack = load_pack([tmp_path])
    assert [str(e) for e in pack.errors] == []
    assert [r.kind for r in pack.rules] == ["sigma", "correlation"]
    (helper,) = pack.helpers
    assert helper.rule.rule_id == "t.copies.docs" and helper.table == "file"
    corr = pack.rules[1].correlation
    assert corr is not None and corr.spec.rule_refs == ("t.copies", "t.copies.docs")
    lake = Lake(tmp_path / "lake")
    ingest(lake, copies([T0 + timedelta(minutes=i) for i in range(3)]))
    report = detect(lake, [tmp_path])
    assert report.alerts == {"t.copies": 3, "t.spread": 1}


def test_correlation_errors_name_file_and_rule(tmp_path: Path) -> None:
    bad = SPREAD.replace("- 9d1c4c55-0000-4000-8000-000000000001", "- no.such.rule")
    (tmp_path / "t.spread.yml").write_text(bad, encoding="utf-8")
    messages = " | ".join(str(e) for e in load_pack([tmp_path]).errors)
    assert "t.spread.yml" in messages and "rule t.spread" in messages
    assert "no.such.rule" in messages
    sql = tmp_path / "t.sql.yml"
    sql.write_text((RULES / "insider.access.logon_other_users_machine.yml").read_text(
        encoding="utf-8").replace("insider.access.logon_other_users_machine", "t.sql"))
    (tmp_path / "t.spread.yml").write_text(bad.replace("no.such.rule", "t.sql"))
    messages = " | ".join(str(e) for e in load_pack([tmp_path]).errors)
    assert "rule t.spread" in messages and "'t.sql' not found" in messages


def test_workspace_exceptions_suppress_and_are_counted(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "ws" / "lake")
    ingest(lake, copies([T0 + timedelta(minutes=i) for i in range(3)])
           .set_column(6, "host", pa.array(["PC-1", "PC-2", "PC-3"])))
    (tmp_path / "ws" / "exceptions.yml").write_text(
        "exceptions:\n"
        "  - rules: [insider.exfil.file_to_removable]\n"
        "    reason: approved offline backup\n"
        "    where: {user: u1, host: [PC-1, PC-2]}\n"
        "  - rules: ['*']\n"
        "    reason: expired\n"
        "    where: {user: U1}\n"
        "    until: 2024-12-31\n", encoding="utf-8")
    report = detect(lake, [RULES / "insider.exfil.file_to_removable.yml"])
    assert report.alerts == {"insider.exfil.file_to_removable": 1}
    assert report.suppressed == {"insider.exfil.file_to_removable": 2}
    assert [r["host"] for r in stored(lake, "insider.exfil.file_to_removable")] == ["PC-3"]


def test_bad_exceptions_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "exceptions.yml"
    path.write_text("exceptions:\n  - rules: ['*']\n    where: {user: U1}\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"exceptions\.yml: exceptions\[0\]: needs a 'reason'"):
        load_exceptions(path)
    path.write_text("exceptions:\n  - rules: ['*']\n    reason: x y z\n"
                    "    where: {size|gte: big}\n", encoding="utf-8")
    with pytest.raises(RuleError, match="compares numbers"):
        load_exceptions(path)


def test_bad_allow_list_names_file_and_rule(tmp_path: Path) -> None:
    text = (RULES / "insider.exfil.file_to_removable.yml").read_text(encoding="utf-8")
    path = tmp_path / "insider.exfil.file_to_removable.yml"
    path.write_text(text.replace("tests:", "allow:\n  - where: {user: U1}\ntests:", 1))
    (error,) = load_pack([path]).errors
    assert "file_to_removable.yml" in str(error) and "rule insider.exfil.file_to_removable" \
        in str(error) and "reason" in str(error)


META = """
level: medium
description: test rule for correlations
tags: [insider.exfiltration]
falsepositives: [none]
runbook: nothing to do here
"""
CASES = """
tests:
  base:
    file: {user: U1, host: PC-1, time: 2025-01-06T10:00:00Z, activity: copy,
           path: "R:\\\\a.docx", to_removable: true}
  positive:
    - name: p
      events: {file: [{}, {time: 2025-01-06T10:01:00Z}]}
  negative:
    - name: n
      events: {file: [{to_removable: false}]}
"""
COPY_RULE = f"""title: Copies
id: 9d1c4c55-0000-4000-8000-000000000001
name: t.copies
{META}
logsource: {{product: watchkeeper, category: file}}
detection:
  sel: {{to_removable: true}}
  condition: sel
{CASES}
---
title: Documents to removable media
name: t.copies.docs
logsource: {{product: watchkeeper, category: file}}
detection:
  sel:
    to_removable: true
    path|endswith: .docx
  condition: sel
"""
SPREAD = f"""title: Spread
name: t.spread
{META}
correlation:
  type: value_count
  rules:
    - 9d1c4c55-0000-4000-8000-000000000001
    - t.copies.docs
  group-by: [user]
  timespan: 1h
  condition:
    field: path
    gte: 3
{CASES}
"""
