"""Who may open a case: roles, restricted cases and recusal.

A `Viewer` is the account acting (its name, role and the lake user id of the person
behind it, ``accounts.person``). It may open a case when, in this order:

1. its role reads case content (analyst, lead, admin, and the local operator of a
   workspace without accounts; auditors and service accounts do not);
2. the case is not restricted, or the viewer's account is on its access list;
3. its regions (those of its alerts) are in the viewer's scope (`roles.Scope.covers`:
   the regions of their teams; a case without regioned alerts is unregioned);
4. it is not recused: no subject of the case (its linked people and the subjects of its
   alerts) is the viewer's person, someone in their management chain (manager, their
   manager, …) or a direct report, by the people history (`OrgChart`) as of the case's
   day *and* as of today, so a reorganisation on either side still recuses.

The refusal never names the subject nor the region. This module reads the people history through the
`OrgChart` protocol (the cases package passes the lake's), so `security` imports no lake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.errors import AccessError, NotFoundError
from watchkeeper.security.principals import principal_of
from watchkeeper.security.roles import EVERYWHERE, NOTHING, Scope, scope
from watchkeeper.store.models import Account

CONTENT_ROLES = frozenset({"analyst", "lead", "admin", "operator"})
OPERATOR = "operator"  # the one local user of a workspace that has no accounts yet

Managers = Mapping[str, "str | None"]  # user id -> manager's user id, on one day


class OrgChart(Protocol):
    """Each person's manager on a day, from the people history."""

    def managers(self, day: dt.date) -> Managers: ...


@dataclass(frozen=True)
class StaticOrgChart:
    """The same managers on every day (tests; a workspace without people history)."""

    chart: Mapping[str, str | None]

    def managers(self, day: dt.date) -> Managers:
        return self.chart


@dataclass(frozen=True)
class Viewer:
    """Who acts: an account (``account_id``) or the local operator (``cli:<login>``),
    with the regions they may see (`viewer_of` fills it from their teams; a Viewer
    made without one sees no region, so a forgotten scope fails closed)."""

    name: str
    role: str
    account_id: int | None = None
    person: str | None = None
    scope: Scope = NOTHING


@dataclass(frozen=True)
class CaseFacts:
    """What access depends on: restriction, its access list and the case's subjects."""

    case_id: int
    restricted: bool
    allowed: frozenset[int]
    subjects: frozenset[str]
    day: dt.date
    regions: frozenset[str | None] = frozenset()   # its alerts' regions


def chain_up(person: str, managers: Managers) -> list[str]:
    """`person`'s manager, their manager and so on (a cycle in the data stops it)."""
    chain: list[str] = []
    current = managers.get(person)
    while current and current != person and current not in chain:
        chain.append(current)
        current = managers.get(current)
    return chain


def conflicts(person: str, managers: Managers) -> frozenset[str]:
    """Everyone `person` may not investigate on one day: themselves, their management
    chain and their direct reports."""
    reports = {user for user, manager in managers.items() if manager == person}
    return frozenset({person, *chain_up(person, managers), *reports})


def recusal_reason(person: str, subjects: Iterable[str], managers: Managers) -> str | None:
    """Why `person` is recused from a case about `subjects`, or None."""
    chain = set(chain_up(person, managers))
    for subject in sorted(set(subjects)):
        if subject == person:
            return "you are a subject of it"
        if subject in chain:
            return "a subject of it is in your management chain"
        if managers.get(subject) == person:
            return "a subject of it is your direct report"
    return None


def check_access(viewer: Viewer, facts: CaseFacts, org: OrgChart,
                 today: dt.date) -> None:
    """Raise AccessError when `viewer` may not open the case (see the module docstring)."""
    where = f"case {facts.case_id}"
    if viewer.role not in CONTENT_ROLES:
        raise AccessError(f"{where}: the {viewer.role} role reads no case content")
    if facts.restricted and viewer.account_id not in facts.allowed:
        raise AccessError(f"{where}: restricted to named people, and {viewer.name} is "
                          "not one of them")
    if not viewer.scope.covers(facts.regions):
        raise AccessError(f"{where}: {out_of_scope(viewer)}")
    if viewer.person is None:
        return
    for day in dict.fromkeys((facts.day, today)):
        reason = recusal_reason(viewer.person, facts.subjects, org.managers(day))
        if reason is not None:
            raise AccessError(f"{where}: {viewer.name} is recused: {reason}")


def out_of_scope(viewer: Viewer) -> str:
    """Why a case is outside `viewer`'s regions, naming no region."""
    if not viewer.scope.regions and not viewer.scope.unregioned:
        return f"{viewer.name} is in no team, and a team's regions decide what one sees"
    return f"it holds alerts of a region outside those {viewer.name}'s teams see"


def viewer_of(session: Session, account: Account) -> Viewer:
    """`account` acting: its role, person, and the regions of its teams (`scope`)."""
    return Viewer(account.name, account.role, account.id, account.person,
                  scope(principal_of(session, account)))


def viewer_for(session: Session, name: str | None, login: str) -> Viewer:
    """The account `name` (None: the account named like the OS `login`). A store with no
    accounts at all has one local operator, ``cli:<login>``, whom nothing recuses and
    who sees every region."""
    wanted = name or login
    account = session.scalars(select(Account).where(Account.name == wanted)).first()
    if account is not None:
        if account.disabled:
            raise AccessError(f"account {wanted!r} is disabled")
        return viewer_of(session, account)
    if session.scalar(select(func.count()).select_from(Account)) == 0:
        return Viewer(f"cli:{login}", OPERATOR, scope=EVERYWHERE)
    how = "" if name else " (pass --as NAME or set WATCHKEEPER_ACCOUNT)"
    raise NotFoundError(f"no account named {wanted!r}{how}")


def set_person(session: Session, account: str,
               person: str | None) -> tuple[str | None, str | None]:
    """Record which person (lake user id) is behind `account`; returns the person
    before and after."""
    row = session.scalars(select(Account).where(Account.name == account)).first()
    if row is None:
        raise NotFoundError(f"no account named {account!r}")
    text = person.strip() if person is not None else ""
    before, row.person = row.person, text or None
    return before, row.person


def account_ids(session: Session, names: Collection[str]) -> dict[str, int]:
    """The ids of the accounts `names`; NotFoundError names the first that is missing."""
    rows = session.execute(select(Account.name, Account.id)
                           .where(Account.name.in_(sorted(set(names)))))
    found = {name: ident for name, ident in rows}
    for name in names:
        if name not in found:
            raise NotFoundError(f"no account named {name!r}")
    return found


__all__ = ["CONTENT_ROLES", "OPERATOR", "CaseFacts", "Managers", "OrgChart",
           "StaticOrgChart", "Viewer", "account_ids", "chain_up", "check_access",
           "conflicts", "out_of_scope", "recusal_reason", "set_person", "viewer_for",
           "viewer_of"]
