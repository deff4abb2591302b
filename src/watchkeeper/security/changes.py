"""Audited changes: an account change or a reveal and its audit entry, in one transaction.

`ChangeAudit(actor, log)` is handed to whatever changes accounts (the `Accounts`
repositories, the person behind an account) or reveals an identity. Such a job calls
`hold(session)` first, which takes the audit chain's append lock in its transaction (on
SQLite that also makes a transaction that reads before it writes wait its turn instead of
failing), changes what it changes, then `record(session, ...)`: the entry joins the same
transaction, so the change and its entry are committed together or not at all. Once the
session commits, the chain's head is checkpointed (state store and ``keys/audit.head``).

An entry names who (`actor`: an account's name, or ``cli:<login>``), the action
(``account.create``, ``token.revoke``, ``person.reveal``, ...), the object and a few
scalars, before and after where a value changed; never a password, a token or a hash of
either. A call that changes nothing (revoking a revoked token) records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from watchkeeper.errors import AuditError, WatchkeeperError
from watchkeeper.security.audit import AuditLog
from watchkeeper.security.audit_entry import AuditEntry, DetailValue
from watchkeeper.security.audit_sql import append_in, hold_append_lock

log = logging.getLogger(__name__)
_PENDING = "watchkeeper.audit.checkpoint"   # session.info key: a checkpoint is due


@dataclass(frozen=True)
class ChangeAudit:
    """Records `actor`'s changes in the audit log `log` (made when first needed)."""

    actor: str
    log: Callable[[], AuditLog] = field(repr=False)

    def hold(self, session: Session) -> None:
        """Take the append lock now, before the change reads what it changes."""
        hold_append_lock(session)

    def record(self, session: Session, action: str, object_type: str, object_id: str,
               detail: Mapping[str, DetailValue] | None = None) -> AuditEntry:
        """Append the entry in `session`'s transaction; checkpoint after its commit.
        A malformed entry is an `AuditError`, and the caller's change rolls back."""
        chain = self.log()
        try:
            entry = append_in(session, chain.builder(self.actor, action, object_type,
                                                     object_id, detail))
        except ValueError as exc:
            raise AuditError(f"cannot record {action} in the audit log: {exc}") from exc
        if not session.info.get(_PENDING):
            session.info[_PENDING] = True
            event.listen(session, "after_commit", lambda s: _checkpoint(s, chain),
                         once=True)
        return entry


def _checkpoint(session: Session, chain: AuditLog) -> None:
    """After the commit: the change stands, so a checkpoint that fails is logged, not
    raised (the entries are in the chain; the next checkpoint covers them)."""
    session.info.pop(_PENDING, None)
    try:
        chain.checkpoint()
    except (WatchkeeperError, OSError, ValueError) as exc:
        log.warning("audit checkpoint after a change failed: %s", exc)


__all__ = ["ChangeAudit"]
