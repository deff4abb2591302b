"""Teams: named groups of accounts and the data regions their members may see.

Changes are audited (`security.changes`): ``team.create`` (its regions),
``team.member_add`` and ``team.member_remove`` (the account)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.errors import AccountError, ConflictError, NotFoundError
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.security.principals import (
    UnitOfWork,
    check_name,
    check_region,
    find_account,
    find_team,
    flush_unique,
)
from watchkeeper.store.models import Account, Team, TeamMember, TeamRegion


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    regions: tuple[str, ...]
    members: tuple[str, ...]
    created_at: datetime


class Teams:
    """Add and list teams, and change who is in them."""

    def __init__(self, unit: UnitOfWork, changes: ChangeAudit) -> None:
        self.unit = unit
        self.changes = changes

    def add(self, name: str, regions: Iterable[str]) -> TeamInfo:
        """A new team seeing `regions` (at least one; ``*`` for every region)."""
        name = check_name(name)
        wanted = sorted({check_region(r) for r in regions})
        if not wanted:
            raise AccountError("regions", "give at least one region (or * for every region)")
        with self.unit() as s:
            self.changes.hold(s)
            taken = s.scalars(select(Team.id)
                              .where(func.lower(Team.name) == name.casefold())).first()
            if taken is not None:
                raise ConflictError(f"team {name!r} already exists")
            team = Team(name=name)
            s.add(team)
            flush_unique(s, f"team {name!r} already exists")
            s.add_all(TeamRegion(team_id=team.id, region=r) for r in wanted)
            s.flush()
            self.changes.record(s, "team.create", "team", team.name,
                                {"regions": ",".join(wanted)})
            return team_info(s, team)

    def list(self) -> tuple[TeamInfo, ...]:
        with self.unit() as s:
            return tuple(team_info(s, t) for t in s.scalars(select(Team).order_by(Team.name)))

    def get(self, name: str) -> TeamInfo:
        with self.unit() as s:
            return team_info(s, find_team(s, name))

    def add_member(self, team: str, user: str) -> TeamInfo:
        """Put `user` in `team` (already a member: nothing changes)."""
        with self.unit() as s:
            self.changes.hold(s)
            row, account = find_team(s, team), find_account(s, user)
            if s.get(TeamMember, (row.id, account.id)) is None:
                s.add(TeamMember(team_id=row.id, account_id=account.id))
                s.flush()
                self.changes.record(s, "team.member_add", "team", row.name,
                                    {"account": account.name})
            return team_info(s, row)

    def remove_member(self, team: str, user: str) -> TeamInfo:
        with self.unit() as s:
            self.changes.hold(s)
            row, account = find_team(s, team), find_account(s, user)
            member = s.get(TeamMember, (row.id, account.id))
            if member is None:
                raise NotFoundError(f"account {account.name!r} is not in team {row.name!r}")
            s.delete(member)
            s.flush()
            self.changes.record(s, "team.member_remove", "team", row.name,
                                {"account": account.name})
            return team_info(s, row)


def team_info(session: Session, team: Team) -> TeamInfo:
    regions = session.scalars(select(TeamRegion.region).where(TeamRegion.team_id == team.id)
                              .order_by(TeamRegion.region))
    members = session.scalars(select(Account.name)
                              .join(TeamMember, TeamMember.account_id == Account.id)
                              .where(TeamMember.team_id == team.id).order_by(Account.name))
    return TeamInfo(team.id, team.name, tuple(regions), tuple(members), team.created_at)
