"""OCSF JSON lines: one golden event per class, overridden field by field per case."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sources.golden import AUTH, DATASTORE, EMAIL, FILE, T0, WEB, WHEN
from sources.source_helpers import DROP, jsonl, override, read_all, write
from watchkeeper.errors import InputError
from watchkeeper.sources.base import SourceContext, content_id
from watchkeeper.sources.ocsf import OcsfSource, sniff

CTX_DEFAULT = SourceContext()

def one(tmp_path: Path, event: dict[str, Any]) -> dict[str, Any]:
    result = read_all(OcsfSource(), write(tmp_path, "e.jsonl", jsonl(event)))
    assert result.rejects == [], result.rejects
    (row,) = result.rows
    return row


def rejected(tmp_path: Path, event: dict[str, Any] | str) -> str:
    text = event if isinstance(event, str) else jsonl(event)
    result = read_all(OcsfSource(), write(tmp_path, "e.jsonl", text))
    assert result.rows == [] and len(result.rejects) == 1
    return result.rejects[0].reason


def test_authentication_golden(tmp_path: Path) -> None:
    row = one(tmp_path, AUTH)
    assert row == {"event_id": "evt-1", "time": WHEN, "source": "ocsf",
                   "class": "authentication", "activity": "logon", "user": "AAM0658",
                   "host": "PC-1234", "region": "EU", "status": "success",
                   "logon_type": "interactive", "src_host": "10.1.2.3", "target_user": None}


@pytest.mark.parametrize(("changes", "column", "expected"), [
    ({"activity_id": 2}, "activity", "logoff"),
    ({"activity_id": 99, "activity_name": "Password Change"}, "activity", "password_change"),
    ({"status_id": 2}, "status", "failure"),
    ({"status_id": DROP, "status": "Failure"}, "status", "failure"),
    ({"logon_type_id": 10}, "logon_type", "remote"),
    ({"logon_type_id": 7}, "logon_type", "unlock"),
    ({"device": DROP, "dst_endpoint.hostname": "SRV-9"}, "host", "SRV-9"),
    ({"user.name": DROP, "user.uid": "S-1-5-21"}, "user", "S-1-5-21"),
    ({"actor.user.name": "ADMIN1"}, "target_user", "AAM0658"),
    ({"cloud": DROP, "device.region": "APAC"}, "region", "APAC"),
    ({"metadata.uid": DROP}, "event_id", None),
    ({"time": T0 + 0.5}, "time", WHEN.replace(microsecond=500)),
    ({"time": DROP, "time_dt": "2025-01-06T10:12:33+01:00"}, "time", WHEN),
])
def test_authentication_fields(tmp_path: Path, changes: dict[str, Any], column: str,
                               expected: object) -> None:
    event = override(AUTH, **changes)
    row = one(tmp_path, event)
    if column == "event_id":
        expected = content_id("ocsf", jsonl(event).rstrip("\n").encode())
    assert row[column] == expected


def test_file_golden(tmp_path: Path) -> None:
    row = one(tmp_path, FILE)
    assert (row["class"], row["activity"], row["user"], row["host"]) == \
        ("file", "write", "AAM0658", "PC-1234")
    assert (row["path"], row["file_ext"], row["size"]) == \
        ("C:/Users/a/Report.DOCX", "docx", 2048)


@pytest.mark.parametrize(("changes", "column", "expected"), [
    ({"activity_id": 1}, "activity", "create"),
    ({"activity_id": 4}, "activity", "delete"),
    ({"activity_id": 14}, "activity", "open"),
    ({"file.path": DROP, "file.parent_folder": "/home/a/"}, "path", "/home/a/Report.DOCX"),
    ({"file.path": DROP}, "path", "Report.DOCX"),
    ({"file.size": DROP}, "size", None),
])
def test_file_fields(tmp_path: Path, changes: dict[str, Any], column: str,
                     expected: object) -> None:
    assert one(tmp_path, override(FILE, **changes))[column] == expected


def test_email_golden(tmp_path: Path) -> None:
    row = one(tmp_path, EMAIL)
    assert row["activity"] == "send" and row["sender"] == "a@corp.example"
    assert row["recipients"] == ["b@corp.example", "x@gmail.com", "c@sub.corp.example",
                                 "y@evil.test"]
    assert (row["recipient_count"], row["external_recipient_count"]) == (4, 2)
    assert row["attachments"] == ["plan.pdf", "budget.xlsx"]
    assert (row["attachment_count"], row["size"], row["content"]) == (2, 4096, "plans")


def test_email_single_file_and_no_cc(tmp_path: Path) -> None:
    event = override(EMAIL, **{"email.files": DROP, "email.cc": DROP, "email.bcc": DROP,
                               "file.name": "a.zip", "activity_id": 2})
    row = one(tmp_path, event)
    assert (row["activity"], row["attachments"], row["cc"]) == ("receive", ["a.zip"], [])
    assert row["recipient_count"] == 2


def test_web_golden(tmp_path: Path) -> None:
    row = one(tmp_path, WEB)
    assert (row["activity"], row["http_method"]) == ("visit", "GET")
    assert (row["url"], row["domain"]) == ("https://WikiLeaks.org/upload?x=1", "wikileaks.org")


@pytest.mark.parametrize(("changes", "column", "expected"), [
    ({"http_request.http_method": "POST"}, "activity", "upload"),
    ({"http_request.http_method": DROP, "activity_id": 6}, "activity", "upload"),
    ({"http_request.url": {"hostname": "Example.COM", "path": "/a"}}, "url",
     "https://example.com/a"),
    ({"http_request.url.hostname": DROP}, "domain", "wikileaks.org"),
])
def test_web_fields(tmp_path: Path, changes: dict[str, Any], column: str,
                    expected: object) -> None:
    assert one(tmp_path, override(WEB, **changes))[column] == expected


def test_datastore_golden(tmp_path: Path) -> None:
    row = one(tmp_path, DATASTORE)
    assert {k: row[k] for k in ("activity", "user", "host", "dataset", "data_region",
                                "record_count", "sensitivity", "ticket", "purpose",
                                "src_ip")} == {
        "activity": "read", "user": "AAM0658", "host": "PC-1234",
        "dataset": "user_profiles_eu", "data_region": "EU", "record_count": 1234,
        "sensitivity": "high", "ticket": "TCK-1", "purpose": "support", "src_ip": "10.9.9.9"}


@pytest.mark.parametrize(("changes", "column", "expected"), [
    ({"activity_id": 4}, "activity", "query"),
    ({"activity_id": 99, "activity_name": "Export"}, "activity", "export"),
    ({"table": DROP}, "dataset", "crm"),
    ({"table": DROP, "databucket.name": "s3-exports"}, "dataset", "s3-exports"),
])
def test_datastore_fields(tmp_path: Path, changes: dict[str, Any], column: str,
                          expected: object) -> None:
    assert one(tmp_path, override(DATASTORE, **changes))[column] == expected


@pytest.mark.parametrize(("event", "reason"), [
    (override(AUTH, class_uid=2004), "unsupported OCSF class_uid 2004"),
    (override(AUTH, class_uid=DROP), "field 'class_uid': missing"),
    (override(AUTH, class_uid="3002"), "field 'class_uid': expected an integer, got string"),
    (override(AUTH, time=DROP), "field 'time': missing"),
    (override(AUTH, time="2025-13-01"), "field 'time': cannot parse '2025-13-01' as ISO-8601"),
    (override(AUTH, time=True), "field 'time': expected a number, got boolean"),
    (override(AUTH, time=10**20), "field 'time': cannot parse 100000000000000000000 as "
     "epoch_ms"),
    (override(AUTH, activity_id=DROP), "field 'activity_id': missing"),
    (override(AUTH, activity_id="1"), "field 'activity_id': expected an integer, got string"),
    (override(AUTH, user={"name": ["x"]}), "field 'user.name': expected a string, got array"),
    (override(EMAIL, **{"email.to": "b@corp.example"}),
     "field 'email.to': expected an array of strings, got string"),
    (override(FILE, **{"file.size": 2**70}), "field 'file.size': integer 1180591620717411303424"
     " out of range"),
    ("not json\n", "invalid JSON: Expecting value"),
    ("[1, 2]\n", "expected a JSON object, got array"),
    ('{"class_uid": 3002, "x": "\\ud800"}\n', "invalid JSON: lone surrogate escape"),
])
def test_rejects(tmp_path: Path, event: dict[str, Any] | str, reason: str) -> None:
    assert rejected(tmp_path, event) == reason


def test_invalid_utf8_is_rejected_with_its_line(tmp_path: Path) -> None:
    content = jsonl(AUTH).encode() + b"\n" + b'{"a": "\xff"}\n' + jsonl(FILE).encode()
    result = read_all(OcsfSource(), write(tmp_path, "e.jsonl", content))
    assert len(result.rows) == 2
    assert [(r.line, r.reason) for r in result.rejects] == [(3, "invalid UTF-8 at byte 7")]


def test_chunks_per_class_and_unclassified_rejects(tmp_path: Path) -> None:
    events = jsonl(AUTH, FILE, EMAIL, WEB, DATASTORE) + "oops\n"
    chunks = list(OcsfSource().read(write(tmp_path, "e.jsonl", events * 3), CTX_DEFAULT))
    assert [c.table for c in chunks] == ["authentication", "datastore", "email", "file", "web"]
    assert [c.read for c in chunks] == [6, 3, 3, 3, 3]
    assert [r.line for r in chunks[0].rejects] == [6, 12, 18]
    small = list(OcsfSource(chunk_size=4).read(write(tmp_path, "e.jsonl", events * 3),
                                               CTX_DEFAULT))
    assert sum(c.read for c in small) == 18 and max(c.read for c in small) <= 4
    only_bad = list(OcsfSource().read(write(tmp_path, "bad.jsonl", "x\n[]\n"), CTX_DEFAULT))
    assert [(c.table, c.rows.num_rows, len(c.rejects)) for c in only_bad] == \
        [("authentication", 0, 2)]


def test_unreadable_files_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape("missing.jsonl")):
        list(OcsfSource().read(tmp_path / "missing.jsonl", CTX_DEFAULT))
    with pytest.raises(InputError, match=re.escape(str(tmp_path))):
        list(OcsfSource().read(tmp_path, CTX_DEFAULT))


def test_sniff(tmp_path: Path) -> None:
    assert sniff(write(tmp_path, "a.jsonl", "\n\n" + jsonl(AUTH)))
    assert sniff(write(tmp_path, "b.json", '{"class_uid": 1001, "x": "' + "y" * 9000 + '"}'))
    assert not sniff(write(tmp_path, "c.jsonl", '{"class_uid": "x"}\n'))
    assert not sniff(write(tmp_path, "d.csv", "id,hire_date\n"))
    assert not sniff(write(tmp_path, "e.bin", b"\xff\xfe\x00"))
    assert not sniff(tmp_path / "missing")
