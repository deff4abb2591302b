"""The facade's audit trail on both stores: `audited`, `audit_entries`, `audit_verify`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.errors import AuditError
from watchkeeper.security import BreakReason
from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
from watchkeeper.store import StoreLocation, upgrade
from watchkeeper.store.models.security import AuditCheckpoint as CheckpointRow
from watchkeeper.store.models.security import AuditEntry as EntryRow
from watchkeeper.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path, location: StoreLocation) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    if location.dialect == "postgresql":
        upgrade(location)
    ws = Workspace.open(root, create=False, database_url=location.url)
    yield ws
    ws.close_state()


def test_audited_commits_checkpoints_and_lists(workspace: Workspace) -> None:
    for n in range(3):
        entry = workspace.audited("cli:ana", "risk.explain", "person", f"P-{n}",
                                  {"day": "2025-03-01"})
        assert entry.seq == n + 1
    workspace.audited("cli:bo", "finding.read", "finding", "wk:1")
    head = json.loads((workspace.root / "keys" / "audit.head").read_text())
    assert head["seq"] == 4
    assert (workspace.root / "keys" / "audit.key").stat().st_mode & 0o777 == 0o600
    listed = workspace.audit_entries(AuditFilter(action="risk"), AuditPageRequest(limit=2))
    assert [(e.seq, e.object_id) for e in listed.items] == [(3, "P-2"), (2, "P-1")]
    assert [e.actor for e in workspace.audit_entries().items] == ["cli:bo"] + ["cli:ana"] * 3
    report = workspace.audit_verify()
    assert report.ok and (report.checked, report.checkpoint_seq) == (4, 4)


def test_a_malformed_entry_is_refused_and_nothing_is_stored(workspace: Workspace) -> None:
    workspace.audited("cli:ana", "query.run", "query", "abc")
    with pytest.raises(AuditError, match=r"^cannot record Query in the audit log: audit "
                                         r"action 'Query'"):
        workspace.audited("cli:ana", "Query", "query", "abc")
    with pytest.raises(AuditError, match="at most 16 keys"):
        workspace.audited("cli:ana", "query.run", "query", "abc",
                          {f"k{i}": i for i in range(17)})
    assert [e.seq for e in workspace.audit_entries().items] == [1]


def test_the_head_file_catches_a_store_cut_with_its_checkpoints(
        workspace: Workspace) -> None:
    for n in range(5):
        workspace.audited("cli:ana", "finding.read", "finding", f"wk:{n}")
    with workspace.state.session() as s:
        s.execute(delete(EntryRow).where(EntryRow.seq > 3))
        s.execute(delete(CheckpointRow))
    report = workspace.audit_verify()
    assert (report.ok, report.broken_seq, report.reason) == (False, 4, BreakReason.TRUNCATED)
    assert "head file checkpoint" in report.message
