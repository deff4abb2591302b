"""Backup and restore on both stores, across stores, and refusing what would lose data."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers.state import alert
from watchkeeper.errors import StoreError
from watchkeeper.store import StateStore, StoreLocation, backup, head, restore, upgrade
from watchkeeper.store.models import (
    Account,
    Alert,
    AuditEntry,
    Case,
    CaseEvent,
    GroupingRule,
    Team,
    TeamMember,
)
from watchkeeper.store.models import utcnow as now


def fill(location: StoreLocation) -> None:
    if location.dialect == "postgresql":
        upgrade(location)
    store = StateStore.open(location)
    try:
        with store.session() as s:
            s.add_all(alert(i) for i in range(12))
            ana = Account(name="ana", role="analyst", password_hash=None, disabled=True)
            team = Team(name="emea")
            s.add_all([ana, team])
            s.flush()
            s.add(TeamMember(team_id=team.id, account_id=ana.id))
            case = Case(title="Exfil [USB]", status="open", severity=4, restricted=True,
                        assignee_id=ana.id, summary="**bold**")
            s.add(case)
            s.flush()
            s.add(CaseEvent(case_id=case.id, actor="ana", action="create", before=None,
                            after={"status": "open", "n": [1, 2]}))
            s.add(GroupingRule(name="g", key_fields=["subject"], window_seconds=60))
            s.add(AuditEntry(seq=1, at=now(), actor="ana", action="login",
                             object_type="account", object_id="1", detail={"ip": "10.1"},
                             prev_hash="0" * 64, hash="a" * 64))
    finally:
        store.close()


def snapshot(location: StoreLocation) -> dict[str, list[tuple[object, ...]]]:
    store = StateStore.open(location)
    try:
        with store.session() as s:
            alerts = [(a.id, a.source_ref, a.event_time, a.extra, sorted(x.subject for x in
                       a.subjects), a.updated_at) for a in s.scalars(select(Alert)
                                                                    .order_by(Alert.id))]
            cases = [(c.id, c.title, c.restricted, c.assignee_id, c.created_at)
                     for c in s.scalars(select(Case))]
            events = [(e.before, e.after) for e in s.scalars(select(CaseEvent))]
            audit = [(e.seq, e.detail, e.at) for e in s.scalars(select(AuditEntry))]
            accounts = [(a.name, a.disabled) for a in s.scalars(select(Account))]
        return {"alerts": alerts, "cases": cases, "events": events, "audit": audit,
                "accounts": accounts}
    finally:
        store.close()


def keys(folder: Path, **files: bytes) -> Path:
    folder.mkdir(mode=0o700, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def test_round_trip(location: StoreLocation, other_location: StoreLocation,
                    tmp_path: Path) -> None:
    fill(location)
    made = backup(location, keys(tmp_path / "keys", audit=b"k1", pseudonym=b"k2"),
                  tmp_path / "b.tar.gz")
    assert made.tables["alerts"] == 12 and made.keys == ("audit", "pseudonym")
    assert stat.S_IMODE((tmp_path / "b.tar.gz").stat().st_mode) == 0o600
    done = restore(other_location, tmp_path / "keys2", tmp_path / "b.tar.gz")
    assert done.tables == made.tables and done.replaced_rows == 0
    assert snapshot(other_location) == snapshot(location)
    assert (tmp_path / "keys2" / "audit").read_bytes() == b"k1"
    assert stat.S_IMODE((tmp_path / "keys2" / "pseudonym").stat().st_mode) == 0o600
    store = StateStore.open(other_location)   # ids continue after the restored ones
    try:
        with store.session() as s:
            s.add(alert(99))
        with store.session() as s:
            assert s.scalar(select(func.max(Alert.id))) == 13
    finally:
        store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("direction", ["sqlite to postgres", "postgres to sqlite"])
def test_across_stores(tmp_path: Path, pg_schemas: Callable[[], str], direction: str) -> None:
    sqlite = StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test")
    pg = StoreLocation(pg_schemas(), "test")
    source, target = (sqlite, pg) if direction.startswith("sqlite") else (pg, sqlite)
    fill(source)
    backup(source, tmp_path / "keys", tmp_path / "b.tar.gz")
    restore(target, tmp_path / "keys", tmp_path / "b.tar.gz")
    assert snapshot(target) == snapshot(source)


def test_a_store_with_data_is_kept_without_force(location: StoreLocation,
                                                 tmp_path: Path) -> None:
    fill(location)
    backup(location, tmp_path / "keys", tmp_path / "b.tar.gz")
    store = StateStore.open(location)
    with store.session() as s:
        s.add(alert(50))
    store.close()
    before = snapshot(location)
    with pytest.raises(StoreError, match=r"holds 59 rows; pass --force"):
        restore(location, tmp_path / "keys", tmp_path / "b.tar.gz")
    assert snapshot(location) == before
    done = restore(location, tmp_path / "keys", tmp_path / "b.tar.gz", force=True)
    assert done.replaced_rows > 0 and len(snapshot(location)["alerts"]) == 12


def test_differing_keys_are_kept_without_force(location: StoreLocation,
                                               tmp_path: Path) -> None:
    fill(location)
    backup(location, keys(tmp_path / "keys", audit=b"old"), tmp_path / "b.tar.gz")
    mine = keys(tmp_path / "mine", audit=b"new")
    with pytest.raises(StoreError, match=r"mine/audit: differs from the backup's key"):
        restore(StoreLocation(f"sqlite:///{tmp_path / 'fresh.db'}", "t"), mine,
                tmp_path / "b.tar.gz")
    assert (mine / "audit").read_bytes() == b"new"


def test_damaged_backups_change_nothing(location: StoreLocation, tmp_path: Path) -> None:
    fill(location)
    backup(location, keys(tmp_path / "keys", audit=b"k"), tmp_path / "b.tar.gz")
    target = StoreLocation(f"sqlite:///{tmp_path / 'target.db'}", "t")
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(tmp_path / "b.tar.gz") as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("keys/"):
                data = b"tampered"
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(StoreError, match="keys/audit does not match its checksum"):
        restore(target, tmp_path / "tk", bad)
    assert not (tmp_path / "tk").exists() and not (tmp_path / "target.db").exists()
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match=r"notes\.txt: not a readable backup"):
        restore(target, tmp_path / "tk", tmp_path / "notes.txt")
    with pytest.raises(StoreError, match=r"nope\.tar\.gz: no such file"):
        restore(target, tmp_path / "tk", tmp_path / "nope.tar.gz")


def test_manifest_describes_the_backup(location: StoreLocation, tmp_path: Path) -> None:
    fill(location)
    backup(location, tmp_path / "keys", tmp_path / "b.tar.gz")
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert tar.getnames()[0] == "manifest.json"
        doc = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert doc["format"] == "watchkeeper-backup" and doc["revision"] == head()
    assert doc["dialect"] == location.dialect and doc["tables"]["alerts"] == 12
    assert all(len(h) == 64 for h in doc["members"].values())


def test_sqlite_backup_is_consistent_while_a_writer_is_busy(tmp_path: Path) -> None:
    location = StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test")
    fill(location)
    store = StateStore.open(location)
    try:
        with store.session() as s:
            s.add(alert(77))
            s.flush()   # written but not committed while the backup runs
            made = backup(location, tmp_path / "keys", tmp_path / "b.tar.gz")
    finally:
        store.close()
    assert made.tables["alerts"] == 12
    restore(StoreLocation(f"sqlite:///{tmp_path / 'copy.db'}", "t"), tmp_path / "keys",
            tmp_path / "b.tar.gz")
    assert len(snapshot(StoreLocation(f"sqlite:///{tmp_path / 'copy.db'}", "t"))["alerts"]) \
        == 12
