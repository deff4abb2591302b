"""What the account repositories share: the unit of work they run in, name rules, and
turning a stored account into a `Principal`.

A repository runs each call in a unit of work: `store.session` (the CLI: one
transaction per call, committed at its end) or `bound(session)` (the API: the request's
session, committed by the service before it answers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchkeeper.errors import AccountError, ConflictError, NotFoundError
from watchkeeper.security.roles import Principal, Role
from watchkeeper.store.models import Account, Team, TeamMember, TeamRegion

UnitOfWork = Callable[[], AbstractContextManager[Session]]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_REGION = re.compile(r"\*|[a-z0-9][a-z0-9._-]{0,99}")


def bound(session: Session) -> UnitOfWork:
    """A unit of work that is `session` itself (its owner commits)."""
    return lambda: nullcontext(session)


def check_name(value: str, what: str = "name") -> str:
    name = value.strip()
    if not _NAME.fullmatch(name):
        raise AccountError(what, f"{value!r}: use 1-100 letters, digits and . _ @ + - "
                                 "(starting with a letter or digit)")
    return name


def check_region(value: str) -> str:
    region = value.strip().casefold()
    if not _REGION.fullmatch(region):
        raise AccountError("regions", f"{value!r}: use letters, digits and . _ - "
                                      "(or * for every region)")
    return region


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().casefold())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AccountError("role", f"{value!r}: expected one of {known}") from None


def find_account(session: Session, name: str) -> Account:
    """The account called `name` (case-insensitive), or NotFoundError."""
    row = session.scalars(select(Account)
                          .where(func.lower(Account.name) == name.strip().casefold())).first()
    if row is None:
        raise NotFoundError(f"account {name!r}: no such account (see `watchkeeper users list`)")
    return row


def find_team(session: Session, name: str) -> Team:
    row = session.scalars(select(Team)
                          .where(func.lower(Team.name) == name.strip().casefold())).first()
    if row is None:
        raise NotFoundError(f"team {name!r}: no such team (see `watchkeeper teams list`)")
    return row


# built once: every API request asks for its caller's teams and regions
_TEAMS = (select(Team.name).join(TeamMember, TeamMember.team_id == Team.id)
          .where(TeamMember.account_id == bindparam("account")).order_by(Team.name))
_REGIONS = (select(TeamRegion.region).distinct()
            .join(TeamMember, TeamMember.team_id == TeamRegion.team_id)
            .where(TeamMember.account_id == bindparam("account")).order_by(TeamRegion.region))


def teams_of(session: Session, account_id: int) -> tuple[str, ...]:
    return tuple(session.connection().scalars(_TEAMS, {"account": account_id}))


def regions_of(session: Session, account_id: int) -> tuple[str, ...]:
    return tuple(session.connection().scalars(_REGIONS, {"account": account_id}))


def principal_of(session: Session, account: Account) -> Principal:
    return principal_for(session, account.id, account.name, account.role)


def principal_for(session: Session, account_id: int, name: str, role: str) -> Principal:
    return Principal(account_id, name, Role(role), teams_of(session, account_id),
                     regions_of(session, account_id))


def flush_unique(session: Session, clash: str) -> None:
    """Flush, turning a unique-constraint clash (a concurrent writer took the name
    between our check and our insert) into a one-line ConflictError."""
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(clash) from None
