"""Roles, what each may do, and the data regions a signed-in caller may see.

=========  ==================================================================
role       may
=========  ==================================================================
analyst    read and work alerts and cases of their teams' regions; submit alerts; request
           access to user data (as the employee linked to the account)
lead       what an analyst may, assign cases, reveal a pseudonym (with a reason); see the
           scheduler's jobs; approve, deny and revoke access to user data
admin      manage accounts, teams and tokens; every region; read the audit log; submit
           events; see the scheduler's jobs; what a lead may with access; authorize
auditor    read the audit log (who, when, action, object) and the access decision log,
           never case content
service    submit alerts and events (machine callers such as senders); ask for access
           decisions (`POST /api/v1/authorize`), nothing else
=========  ==================================================================

Scope (`scope`): analysts and leads see the regions of the teams they belong to; a team
holding the region ``*`` sees every region. Items without a region (an alert whose
source names none) are visible to every analyst or lead who is in at least one team.
An analyst or lead in no team sees nothing. Admins see every region. Auditors and
service accounts see no case content at all. Regions compare case-insensitively.

A case has the regions of its alerts: a viewer sees it when their scope sees every one
of them (`Scope.covers`, and `Scope.covers_clause` in SQL); a case none of whose alerts
names a region is unregioned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, true

ALL_REGIONS = "*"


class Role(StrEnum):
    ANALYST = "analyst"
    LEAD = "lead"
    ADMIN = "admin"
    AUDITOR = "auditor"
    SERVICE = "service"


class Permission(StrEnum):
    MANAGE_ACCOUNTS = "manage_accounts"
    READ_CASES = "read_cases"
    WORK_CASES = "work_cases"
    ASSIGN_CASES = "assign_cases"
    SUBMIT_ALERTS = "submit_alerts"
    READ_AUDIT = "read_audit"
    REVEAL = "reveal"
    SUBMIT_EVENTS = "submit_events"
    READ_JOBS = "read_jobs"
    AUTHORIZE = "authorize"
    REQUEST_ACCESS = "request_access"
    GRANT_ACCESS = "grant_access"


_WORKERS = {Permission.READ_CASES, Permission.WORK_CASES, Permission.SUBMIT_ALERTS,
            Permission.REQUEST_ACCESS}
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ANALYST: frozenset(_WORKERS),
    Role.LEAD: frozenset(_WORKERS | {Permission.ASSIGN_CASES, Permission.REVEAL,
                                     Permission.READ_JOBS, Permission.GRANT_ACCESS}),
    Role.ADMIN: frozenset(_WORKERS | {Permission.ASSIGN_CASES, Permission.MANAGE_ACCOUNTS,
                                      Permission.READ_AUDIT, Permission.SUBMIT_EVENTS,
                                      Permission.READ_JOBS, Permission.GRANT_ACCESS,
                                      Permission.AUTHORIZE}),
    Role.AUDITOR: frozenset({Permission.READ_AUDIT}),
    Role.SERVICE: frozenset({Permission.SUBMIT_ALERTS, Permission.SUBMIT_EVENTS,
                             Permission.AUTHORIZE}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an enabled account, its role, its teams and their regions
    (lower case, sorted; ``*`` when a team sees every region)."""

    account_id: int
    name: str
    role: Role
    teams: tuple[str, ...]
    regions: tuple[str, ...]

    def may(self, permission: Permission) -> bool:
        return allowed(self.role, permission)


@dataclass(frozen=True)
class Scope:
    """The data a principal may see: `case_content` at all, every region, or these
    regions (and items without a region when `unregioned`)."""

    case_content: bool
    all_regions: bool
    regions: frozenset[str]
    unregioned: bool

    def allows(self, region: str | None) -> bool:
        if not self.case_content:
            return False
        if self.all_regions:
            return True
        if region is None or not region.strip():
            return self.unregioned
        return region.strip().casefold() in self.regions

    def clause(self, column: Any) -> ColumnElement[bool]:
        """A SQL condition on a region column that keeps only what this scope sees."""
        if not self.case_content:
            return false()
        if self.all_regions:
            return true()
        inside = func.lower(column).in_(sorted(self.regions)) if self.regions else false()
        return or_(inside, column.is_(None)) if self.unregioned else inside

    def covers(self, regions: Iterable[str | None]) -> bool:
        """Whether this scope sees an item spanning `regions` (a case: its alerts'
        regions): every region named, or, when none is named, an unregioned item."""
        named = [r for r in regions if r is not None and r.strip()]
        if not named:
            return self.allows(None)
        return all(self.allows(r) for r in named)

    def covers_clause(self, column: Any, among: ColumnElement[bool]) -> ColumnElement[bool]:
        """`covers` as a SQL condition: the rows `among` selects (``Alert.case_id ==
        Case.id``, correlated) have region `column`; none may name a region outside
        this scope, and when none names one the item is unregioned."""
        if not self.case_content:
            return false()
        if self.all_regions:
            return true()
        named = and_(column.is_not(None), func.trim(column) != "")
        seen = (func.lower(func.trim(column)).in_(sorted(self.regions)) if self.regions
                else false())
        inside = ~exists().where(among, named, ~seen)
        return inside if self.unregioned else and_(inside, exists().where(among, named))


NOTHING = Scope(case_content=False, all_regions=False, regions=frozenset(), unregioned=False)
EVERYWHERE = Scope(case_content=True, all_regions=True, regions=frozenset(), unregioned=True)


def scope(principal: Principal) -> Scope:
    """The regions `principal` may see (the module docstring gives the rules)."""
    if not principal.may(Permission.READ_CASES):
        return NOTHING
    if principal.role is Role.ADMIN or ALL_REGIONS in principal.regions:
        return EVERYWHERE
    return Scope(True, False, frozenset(principal.regions), bool(principal.teams))
