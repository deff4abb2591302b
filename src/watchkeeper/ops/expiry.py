"""What ends with time: suppressions past their expiry, browser sessions past theirs,
access grants past theirs or of people HR shows left or moved region.

A suppression stops applying at its expiry whatever runs (the intake compares times);
this job makes the end visible: each suppression that ended since the job's last run
(expired, or lifted) gets one ``suppression.ended`` entry in the audit log, by the
actor ``scheduler``. Expired browser sessions are deleted (they no longer sign anyone
in; deleting them keeps the table small). Access grants of people the people history
shows left, or in another region than when the grant was approved, are revoked
(``access.revoke`` by ``hr``); every grant that ended (expired or revoked) gets one
``access.grant.ended`` entry (`Workspace.access_expire`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from watchkeeper.store.models import Suppression

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

ACTOR = "scheduler"


@dataclass(frozen=True)
class ExpiryReport:
    suppressions: tuple[int, ...]
    sessions: int
    grants_revoked: tuple[int, ...] = ()
    grants_ended: tuple[int, ...] = ()

    def summary(self) -> str:
        ended = ", ".join(f"#{i}" for i in self.suppressions[:5])
        more = f" and {len(self.suppressions) - 5} more" if len(self.suppressions) > 5 else ""
        what = f"{len(self.suppressions)} suppression(s) ended ({ended}{more})" \
            if self.suppressions else "no suppression ended"
        return (f"{what}; {self.sessions} expired browser session(s) removed; "
                f"{len(self.grants_revoked)} grant(s) revoked on HR's word, "
                f"{len(self.grants_ended)} ended grant(s) audited")


def expire(workspace: Workspace, since: datetime | None, now: datetime) -> ExpiryReport:
    """Audit the suppressions that ended after `since` (None: ever) up to `now`, delete
    expired browser sessions, revoke grants HR ended and audit grants that ended."""
    with workspace.state.session() as session:
        query = select(Suppression).where(Suppression.expires_at <= now)
        if since is not None:
            query = query.where(Suppression.expires_at > since)
        ended = list(session.scalars(query.order_by(Suppression.expires_at, Suppression.id)))
    for row in ended:
        when = row.expires_at.isoformat() if row.expires_at is not None else None
        workspace.audited(ACTOR, "suppression.ended", "suppression", str(row.id),
                          {"expires_at": when, "reason": row.reason, "owner": row.owner})
    sessions = workspace.accounts().sessions.purge_expired()
    grants = workspace.access_expire(now)
    return ExpiryReport(tuple(r.id for r in ended), sessions, grants.hr_revoked,
                        grants.ended)
