"""Workspaces with accounts for the API and CLI tests: one admin, one analyst in an EU
team, one auditor, one service account, each with a token (returned, as shown once).

A workspace on PostgreSQL names its store in ``watchkeeper.toml`` (``[state]
database_url``), so every process that opens it (the CLI, `serve`) uses the same store.
"""

from __future__ import annotations

import json
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


def new_workspace(path: Path, database_url: str | None = None) -> Workspace:
    """A new workspace; with `database_url`, on that store (migrated: PostgreSQL does
    not upgrade itself), else on SQLite in the workspace."""
    path.mkdir(mode=0o700)
    return open_on(path, database_url)


def open_on(path: Path, database_url: str | None) -> Workspace:
    """The workspace folder `path` with default settings naming `database_url` (None:
    SQLite in the workspace), its store migrated."""
    config = DEFAULT_CONFIG
    if database_url is not None:
        assert "\n[state]\n" in config, "the default settings have no [state] table"
        config = config.replace("\n[state]\n",
                                f"\n[state]\ndatabase_url = {json.dumps(database_url)}\n", 1)
    (path / "watchkeeper.toml").write_text(config)
    ws = Workspace.open(path, create=False)
    if database_url is not None:
        ws.db_upgrade()
    return ws


def seed(path: Path, database_url: str | None = None) -> Seeded:
    return add_accounts(new_workspace(path, database_url))


def add_accounts(ws: Workspace) -> Seeded:
    """The team soc-eu, alice (admin), bob (analyst in soc-eu), audrey (auditor) and
    splunk (service), each with a token."""
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
