"""In-app notifications: who hears of an SLA breach or a flagged hand-off, writing them,
reading one's own. A message names a case or hand-off by number, never its content."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.errors import NotFoundError
from watchkeeper.store.models import Account, Notification, TeamMember

LEAD = "lead"
MAX_LIST = 500


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    message: str
    case_id: int | None
    handoff_id: int | None
    created_at: datetime
    read_at: datetime | None


def team_leads(session: Session, team_id: int | None) -> list[Account]:
    """The team's enabled leads; a team without one: all its enabled members."""
    if team_id is None:
        return []
    members = list(session.scalars(
        select(Account).join(TeamMember, TeamMember.account_id == Account.id)
        .where(TeamMember.team_id == team_id, Account.disabled.is_(False))
        .order_by(Account.name)))
    leads = [a for a in members if a.role == LEAD]
    return leads or members


def send(session: Session, accounts: Iterable[Account], kind: str, message: str,
         now: datetime, *, case_id: int | None = None,
         handoff_id: int | None = None) -> list[str]:
    """One notification per account (each once); returns their names."""
    sent: dict[int, str] = {}
    for account in accounts:
        if account.id in sent or account.disabled:
            continue
        session.add(Notification(account_id=account.id, kind=kind, message=message,
                                 case_id=case_id, handoff_id=handoff_id, created_at=now))
        sent[account.id] = account.name
    return list(sent.values())


def listing(session: Session, account_id: int, *, unread: bool = True,
            limit: int = 100) -> tuple[NotificationView, ...]:
    query = select(Notification).where(Notification.account_id == account_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    rows = session.scalars(query.order_by(Notification.created_at.desc(),
                                          Notification.id.desc())
                           .limit(min(max(limit, 1), MAX_LIST)))
    return tuple(_view(n) for n in rows)


def mark_read(session: Session, account_id: int, ident: int,
              now: datetime) -> NotificationView:
    row = session.get(Notification, ident)
    if row is None or row.account_id != account_id:
        raise NotFoundError(f"notification {ident}: no such notification of yours")
    if row.read_at is None:
        row.read_at = now
    return _view(row)


def _view(n: Notification) -> NotificationView:
    return NotificationView(n.id, n.kind, n.message, n.case_id, n.handoff_id, n.created_at,
                            n.read_at)


__all__ = ["NotificationView", "listing", "mark_read", "send", "team_leads"]
