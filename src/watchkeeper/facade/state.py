"""The workspace's state-store jobs: the store, keys and pseudonyms, the audit trail,
accounts."""

from __future__ import annotations

import getpass
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.facade.base import KEYS_DIR, WorkspaceBase

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from watchkeeper.facade.names import PseudonymCache
    from watchkeeper.readiness import Readiness
    from watchkeeper.security import AuditEntry, AuditLog, Pseudonymizer, VerifyReport
    from watchkeeper.security.accounts import Accounts
    from watchkeeper.security.audit_entry import DetailValue
    from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
    from watchkeeper.security.callers import CallerCache
    from watchkeeper.security.changes import ChangeAudit
    from watchkeeper.security.roles import Principal
    from watchkeeper.store import (
        BackupReport,
        RestoreReport,
        StateStore,
        StoreLocation,
        UpgradeReport,
    )
    from watchkeeper.store.paging import Page
    from watchkeeper.store.state import DbStatus



class StateJobs(WorkspaceBase):
    """The workspace's state-store jobs: the store, keys and pseudonyms, the audit trail,"""

    # -- security --------------------------------------------------------------------------

    _names: PseudonymCache | None = None
    _names_made = threading.Lock()

    def pseudonymizer(self) -> Pseudonymizer:
        """Pseudonyms and redaction for everyone in the lake's people table (every name
        and email of their history, and the machines assigned to them), keyed with the
        workspace's pseudonym key (``keys/pseudonym.key``, created on first use). Built
        once and reused until the people, devices or key change (`facade.names`)."""
        return self.pseudonym_cache.get()

    @property
    def pseudonym_cache(self) -> PseudonymCache:
        """The one `PseudonymCache` of this workspace (its `builds` count the builds)."""
        with self._names_made:
            if self._names is None:
                from watchkeeper.facade.names import PseudonymCache
                self._names = PseudonymCache(self.lake, self.root)
            return self._names

    # -- state store -----------------------------------------------------------------------

    database_url: str | None = None   # given on the command line; see state_location
    _state: StateStore | None = None

    @property
    def state_location(self) -> StoreLocation:
        """The state store's URL: --database-url, else WATCHKEEPER_DATABASE_URL, else
        ``[state] database_url``, else SQLite ``state.db`` in the workspace."""
        from watchkeeper.store.url import resolve
        return resolve(self.root, option=self.database_url, environ=os.environ,
                       configured=self.settings.state.database_url)

    @property
    def state(self) -> StateStore:
        """The open state store (SQLite upgrades itself; PostgreSQL with migrations
        pending refuses, naming `watchkeeper db upgrade`)."""
        if self._state is None:
            from watchkeeper.store import StateStore
            self._state = StateStore.open(self.state_location)
        return self._state

    def db_upgrade(self) -> UpgradeReport:
        """Apply the state store's pending schema migrations."""
        from watchkeeper.store import upgrade
        return upgrade(self.state_location)

    def db_status(self) -> DbStatus:
        """The state store's schema revision, the newest one, and what is pending."""
        from watchkeeper.store.state import status
        return status(self.state_location)

    def backup(self, path: Path) -> BackupReport:
        """Write the state store and the workspace's keys to one file (0600)."""
        from watchkeeper.store import backup
        return backup(self.state_location, self.root / KEYS_DIR, path)

    def restore(self, path: Path, *, force: bool = False) -> RestoreReport:
        """Replace the state store and keys with a backup's (`force`: even when the store
        holds data or a key differs)."""
        from watchkeeper.store import restore
        self.close_state()
        return restore(self.state_location, self.root / KEYS_DIR, path, force=force)

    def close_state(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None

    # -- audit trail -----------------------------------------------------------------------

    def audit_log(self) -> AuditLog:
        """The audit log on the state store, keyed with ``keys/audit.key`` (created on
        first use), its head copied to ``keys/audit.head``."""
        from watchkeeper.security.audit_sql import workspace_audit_log
        return workspace_audit_log(self.root, self.state)

    def audit_verify(self) -> VerifyReport:
        """Check the whole chain and its checkpoints; the report names the first break."""
        return self.audit_log().verify()

    def audit_entries(self, filters: AuditFilter | None = None,
                      page: AuditPageRequest | None = None) -> Page[AuditEntry]:
        """Audit entries matching `filters`, newest first, one page at a time."""
        from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest, SqlAuditStore
        return SqlAuditStore(self.state).list(filters or AuditFilter(),
                                              page or AuditPageRequest())

    def audited(self, actor: str, action: str, object_type: str, object_id: str,
                detail: Mapping[str, DetailValue] | None = None) -> AuditEntry:
        """Record one read or change in the audit log, committed, and checkpoint the
        head. Call it before showing what was read: an `AuditError` (or another
        `WatchkeeperError`) means nothing was recorded, so show nothing (fail closed)."""
        from watchkeeper.errors import AuditError
        log = self.audit_log()
        try:
            entry = log.append(actor, action, object_type, object_id, detail)
            log.checkpoint()
        except (ValueError, OSError) as exc:
            raise AuditError(f"cannot record {action} in the audit log: {exc}") from exc
        return entry

    # -- accounts and the service ------------------------------------------------------------

    def accounts(self, session: Session | None = None, *,
                 actor: str | None = None) -> Accounts:
        """Users, teams, API tokens and browser sessions (`watchkeeper.security.accounts`).
        Without `session` each call is its own transaction; the API passes the request's
        session, which it commits before answering. Every change is audited in its own
        transaction as `actor` (the API: the caller's account; default: `local_actor`)."""
        if self._callers is not None:
            self._callers.forget()   # the accounts may change: no caller stays cached
        return self._accounts(session, actor)

    def _accounts(self, session: Session | None, actor: str | None) -> Accounts:
        from watchkeeper.security.accounts import Accounts
        from watchkeeper.security.principals import bound
        changes = self.change_audit(actor or local_actor())
        if session is not None:
            return Accounts.over(bound(session), changes)
        return Accounts.over(self.state.session, changes, writer=self.state.writing)

    _callers: CallerCache | None = None

    def authenticate(self, token: str) -> Principal | None:
        """The caller behind an API token, or None (unknown, revoked, account disabled);
        remembered for a second (`security.callers`): a burst of requests costs one
        lookup, and a revocation made elsewhere holds within the second."""
        return self.caller_cache.get(
            token, lambda: self._accounts(None, None).tokens.authenticate(token))

    def remembered_caller(self, token: str) -> Principal | None:
        """The caller behind `token` if `authenticate` found them within the second,
        without touching the store (None: call `authenticate`)."""
        return self.caller_cache.peek(token)

    @property
    def caller_cache(self) -> CallerCache:
        with self._names_made:
            if self._callers is None:
                from watchkeeper.security.callers import CallerCache
                self._callers = CallerCache()
            return self._callers

    def change_audit(self, actor: str) -> ChangeAudit:
        """Records `actor`'s changes in the workspace's audit log, each in the change's
        own transaction (`watchkeeper.security.changes`)."""
        from watchkeeper.security.changes import ChangeAudit
        return ChangeAudit(actor, self.audit_log)

    def readiness(self) -> Readiness:
        """Whether the state store answers at the newest revision and the lake reads."""
        from watchkeeper.readiness import check
        return check(self)


def local_actor() -> str:
    """``cli:<login name>`` of whoever runs this process (`getpass.getuser()`: LOGNAME,
    USER, LNAME or USERNAME, else the password database; ``cli:uid-<n>`` when none
    names the user): the actor of the command line's audit entries."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in the environment or passwd
        return f"cli:uid-{os.getuid()}"
