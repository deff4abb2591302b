"""Case exports on both stores: Markdown, JSON and OCSF Incident Finding (2005) of a
seeded case; pseudonyms only; each export's SHA-256 in the audit log; a failing audit
log leaves no file behind."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cases.casework import REAL, add_accounts, add_alert
from cases.test_case_repository import KEY, make_desk
from watchkeeper.cases.export import render
from watchkeeper.cases.repository import CaseChange
from watchkeeper.cases.service import CaseDesk, CaseNew
from watchkeeper.cases.views import LinkView
from watchkeeper.errors import CaseError
from watchkeeper.lake import Lake
from watchkeeper.security import AuditLog, MemoryAuditStore, Pseudonymizer
from watchkeeper.security.audit_entry import AuditEntry
from watchkeeper.store import StateStore

OCSF_REQUIRED = {"activity_id", "category_uid", "class_uid", "finding_info_list",
                 "metadata", "severity_id", "status_id", "time", "type_uid"}


@pytest.fixture
def seeded(state: StateStore, hr_lake: Lake) -> tuple[CaseDesk, int]:
    """A worked case about ACM2278 (Calvin Love) with REP (Riley Report) linked."""
    with state.session() as s:
        add_accounts(s)
        alert = add_alert(s, "seed", ["ACM2278"], hosts=["PC-6377"], findings=["f-1"])
    desk = make_desk(state, hr_lake)
    bob = desk.viewer("bob", "x")
    case = desk.create(bob, CaseNew(
        "Calvin Love copied files (calvin.love@dtaa.com)", alerts=(alert,),
        links=(LinkView("person", "REP"), LinkView("observable", "email:calvin.love@dtaa.com")),
        priority="high", assignee="lee")).id
    desk.note(bob, case, "Spoke to Riley Report about ACM2278.", template=True)
    desk.task(bob, case, "Ask calvin.love for the USB stick")
    desk.update(bob, case, CaseChange(status="in_progress"))
    return desk, case


def test_exports_name_no_real_person(seeded: tuple[CaseDesk, int]) -> None:
    desk, case = seeded
    detail = desk.detail(desk.viewer("bob", "x"), case)
    names = Pseudonymizer.from_rows(KEY, desk.lake.table("people").to_pyarrow().to_pylist())
    assert names.pseudonym("ACM2278") in detail.people
    for fmt in ("markdown", "json", "ocsf"):
        text = render(detail, fmt).decode("utf-8").lower()
        for token in REAL:
            assert token.lower() not in text, (fmt, token)
        assert names.pseudonym("ACM2278").lower() in text


def test_json_and_markdown_hold_the_whole_case(seeded: tuple[CaseDesk, int]) -> None:
    desk, case = seeded
    detail = desk.detail(desk.viewer("bob", "x"), case)
    doc = json.loads(render(detail, "json"))
    assert doc["format"] == "watchkeeper.case.v1"
    assert set(doc) == {"case", "alerts", "events", "tasks", "notes", "links", "timeline",
                        "summary", "draft", "access", "people", "hosts", "format"}
    assert (doc["case"]["id"], doc["case"]["status"], doc["case"]["priority"],
            doc["case"]["severity_name"]) == (case, "in_progress", "high", "high")
    assert doc["timeline"]["counts"]["authentication"] == 8   # ACM2278 6, REP 2
    assert [e["action"] for e in doc["events"]][-1] == "case.status"
    assert render(detail, "json") == render(detail, "json")   # deterministic bytes
    md = render(detail, "markdown").decode()
    for heading in ("# Case", "## Summary", "## Alerts", "## Timeline", "## Tasks",
                    "## Links", "## Note 1 by bob", "## Root cause", "## History"):
        assert heading in md


def test_ocsf_incident_finding_fields(seeded: tuple[CaseDesk, int]) -> None:
    desk, case = seeded
    doc = json.loads(render(desk.detail(desk.viewer("bob", "x"), case), "ocsf"))
    assert set(doc) >= OCSF_REQUIRED
    assert (doc["class_uid"], doc["category_uid"], doc["activity_id"], doc["type_uid"]) == \
        (2005, 2, 2, 200502)
    assert (doc["status_id"], doc["status"], doc["priority_id"], doc["severity_id"]) == \
        (2, "In Progress", 3, 4)
    assert (doc["verdict_id"], doc["assignee"], doc["assignee_group"]) == \
        (0, {"name": "lee"}, {"name": "unassigned"})
    assert doc["metadata"]["profiles"] == ["incident"] and doc["metadata"]["version"]
    info = doc["finding_info_list"][0]
    assert info["uid"] == "watchkeeper.detect:seed"
    assert info["analytic"]["uid"] == "insider.exfil.file_to_removable"
    assert info["related_events"] == [{"uid": "f-1"}]
    assert doc["start_time"] <= doc["end_time"] and isinstance(doc["time"], int)
    assert {(o["type_id"], o["type"]) for o in doc["observables"]} >= {
        (4, "User Name"), (1, "Hostname"), (5, "Email Address")}
    bob = desk.viewer("bob", "x")
    desk.resolve(bob, case, "true_positive")
    closed = json.loads(render(desk.detail(bob, case), "ocsf"))
    assert (closed["activity_id"], closed["status_id"], closed["verdict_id"],
            closed["verdict"]) == (3, 4, 2, "True Positive")


def test_each_export_records_its_sha256(seeded: tuple[CaseDesk, int], tmp_path: Path) -> None:
    desk, case = seeded
    audit = AuditLog(MemoryAuditStore(), b"a" * 32)
    bob = desk.viewer("bob", "x")
    for fmt in ("markdown", "json", "ocsf"):
        done = desk.export(bob, case, fmt, tmp_path / f"case.{fmt}", audit)
        content = Path(done.path).read_bytes()
        assert done.sha256 == hashlib.sha256(content).hexdigest()
        assert Path(done.path).stat().st_mode & 0o777 == 0o600
        entry = list(audit.store.entries())[-1]
        assert (entry.actor, entry.action, entry.object_type, entry.object_id) == \
            ("bob", "case.export", "case", str(case))
        assert dict(entry.detail) == {"format": fmt, "sha256": done.sha256,
                                      "bytes": len(content)}
    assert audit.verify().ok and len(audit.store.checkpoints()) == 3
    with pytest.raises(CaseError, match="export format 'pdf'"):
        desk.export(bob, case, "pdf", tmp_path / "x.pdf", audit)


class BrokenStore(MemoryAuditStore):
    def append(self, build: object) -> AuditEntry:
        raise OSError("disk full")


def test_no_export_leaves_without_its_audit_entry(seeded: tuple[CaseDesk, int],
                                                  tmp_path: Path) -> None:
    desk, case = seeded
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="disk full"):
        desk.export(desk.viewer("bob", "x"), case, "markdown", out / "case.md",
                    AuditLog(BrokenStore(), b"a" * 32))
    assert list(out.iterdir()) == []
