"""Workspaces with accounts for the API and CLI tests: one admin, one analyst in an EU
team, one auditor, one service account, each with a token (returned, as shown once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.security import AuditLog
from watchkeeper.security.audit_sql import SqlAuditStore
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.store import StateStore
from watchkeeper.workspace import Workspace

ADMIN_PASSWORD = "correct horse battery staple"
AUDIT_KEY = b"a" * 32


@dataclass(frozen=True)
class Seeded:
    workspace: Workspace
    admin: str
    analyst: str
    auditor: str
    service: str


def new_workspace(path: Path) -> Workspace:
    path.mkdir(mode=0o700)
    (path / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    return Workspace.open(path, create=False)


def seed(path: Path) -> Seeded:
    ws = new_workspace(path)
    accounts = ws.accounts()
    accounts.teams.add("soc-eu", ["eu"])
    accounts.users.add("alice", "admin", password=ADMIN_PASSWORD)
    accounts.users.add("bob", "analyst", ["soc-eu"])
    accounts.users.add("audrey", "auditor")
    accounts.users.add("splunk", "service")
    tokens = {name: accounts.tokens.create(name, "test").token
              for name in ("alice", "bob", "audrey", "splunk")}
    return Seeded(ws, tokens["alice"], tokens["bob"], tokens["audrey"], tokens["splunk"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def store_audit(store: StateStore, actor: str = "tester") -> ChangeAudit:
    """Account changes on a bare store, audited in its own chain (key `AUDIT_KEY`)."""
    return ChangeAudit(actor, lambda: AuditLog(SqlAuditStore(store), AUDIT_KEY))
