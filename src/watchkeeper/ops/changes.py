"""Changes operations makes to cases on its own (routing, hand-offs, escalation): each
one a case event by a system actor, and the access check for the people it gives a
case to or tells about one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.repository import CaseRepository
from watchkeeper.cases.views import JsonValue
from watchkeeper.errors import AccessError
from watchkeeper.security.principals import principal_for
from watchkeeper.security.recusal import OPERATOR, OrgChart, Viewer, check_access
from watchkeeper.security.roles import ALL_REGIONS, scope
from watchkeeper.store.models import Account, Case, CaseEvent, TeamMember, TeamRegion

ROUTING = "watchkeeper:routing"
HANDOFF = "watchkeeper:handoff"
SLA = "watchkeeper:sla"


def record(row: Case, repo: CaseRepository, action: str,
           before: Mapping[str, JsonValue] | None, after: Mapping[str, JsonValue] | None,
           *, at: datetime, now: datetime) -> None:
    """One case event by the repository's (system) viewer at `at`; the case counts as
    changed `now`."""
    repo.session.add(CaseEvent(case_id=row.id, at=at, actor=repo.viewer.name, action=action,
                               before=dict(before) if before else None,
                               after=dict(after) if after else None))
    row.updated_at = max(now, row.updated_at)


def refusal(repo: CaseRepository, row: Case, account: Account, today: date) -> str | None:
    """Why `account` may not open the case (None: it may)."""
    principal = principal_for(repo.session, account.id, account.name, account.role)
    viewer = Viewer(account.name, account.role, account.id, account.person,
                    scope=scope(principal))
    try:
        check_access(viewer, repo.facts(row), repo.org, today)
    except AccessError as exc:
        return str(exc).split(": ", 1)[-1]
    return None


def sees(session: Session, account: Account, regions: Iterable[str | None]) -> bool:
    """Whether `account`'s teams may see a case with alert `regions` (an admin sees
    every region; an account in no team, none)."""
    if account.role == "admin":
        return True
    mine = {r.casefold() for r in session.scalars(
        select(TeamRegion.region).join(TeamMember, TeamMember.team_id == TeamRegion.team_id)
        .where(TeamMember.account_id == account.id))}
    if not mine:
        return False
    named = {r.strip().casefold() for r in regions if r is not None and r.strip()}
    return ALL_REGIONS in mine or named <= mine


def actor_repo(session: Session, org: OrgChart, actor: str, now: datetime) -> CaseRepository:
    """A repository acting as the system `actor` (nothing recuses it), its clock `now`."""
    return CaseRepository(session, Viewer(actor, OPERATOR), org, clock=lambda: now)


__all__ = ["HANDOFF", "ROUTING", "SLA", "actor_repo", "record", "refusal", "sees"]
