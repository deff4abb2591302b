"""Accounts: people and services that call Watchkeeper, each with one role.

`Accounts.over(unit, changes)` gathers the repositories (`users`, `teams`, `tokens`,
`sessions`) over one unit of work; `Workspace.accounts()` hands it out. An account may
have a password (for the dashboard's sign-in) or none (API tokens only); there are no
default passwords, and a service account never has one.

Every change (an account added, disabled or enabled; a team added, a member added or
removed; a token created or revoked) is recorded in the audit log by `changes`
(`security.changes.ChangeAudit`) in the change's own transaction, so the API and the CLI
record alike. Browser sign-ins are not account changes and are not recorded here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from watchkeeper.errors import AccountError, ConflictError
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.security.passwords import check_password, hash_password
from watchkeeper.security.principals import (
    UnitOfWork,
    check_name,
    find_account,
    find_team,
    flush_unique,
    parse_role,
    principal_of,
    teams_of,
)
from watchkeeper.security.roles import Principal, Role
from watchkeeper.security.sessions import BrowserSessions
from watchkeeper.security.teams import Teams
from watchkeeper.security.tokens import Tokens
from watchkeeper.store.models import Account, BrowserSession, TeamMember


@dataclass(frozen=True)
class AccountInfo:
    """An account as listed: never its password hash."""

    id: int
    name: str
    role: Role
    disabled: bool
    has_password: bool
    teams: tuple[str, ...]
    created_at: datetime


class Users:
    """Add, list, disable and enable accounts."""

    def __init__(self, unit: UnitOfWork, changes: ChangeAudit) -> None:
        self.unit = unit
        self.changes = changes

    def add(self, name: str, role: str, teams: Iterable[str] = (),
            password: str | None = None) -> AccountInfo:
        """A new account; `password` (checked, then stored as a scrypt hash) or none.
        Audited ``account.create`` (role, teams, whether it has a password)."""
        name, kind = check_name(name), parse_role(role)
        if password is not None:
            if kind is Role.SERVICE:
                raise AccountError("password", "service accounts sign in with API tokens "
                                               "only; leave the password out")
            check_password(password, name)
        with self.unit() as s:
            self.changes.hold(s)
            taken = s.scalars(select(Account.id)
                              .where(func.lower(Account.name) == name.casefold())).first()
            if taken is not None:
                raise ConflictError(f"account {name!r} already exists")
            rows = [find_team(s, t) for t in dict.fromkeys(teams)]
            account = Account(name=name, role=kind.value, disabled=False,
                              password_hash=hash_password(password) if password else None)
            s.add(account)
            flush_unique(s, f"account {name!r} already exists")
            s.add_all(TeamMember(team_id=t.id, account_id=account.id) for t in rows)
            s.flush()
            info = account_info(s, account)
            self.changes.record(s, "account.create", "account", info.name, {
                "role": info.role.value, "teams": ",".join(info.teams) or None,
                "password": info.has_password})
            return info

    def list(self) -> tuple[AccountInfo, ...]:
        with self.unit() as s:
            return tuple(account_info(s, a)
                         for a in s.scalars(select(Account).order_by(Account.name)))

    def get(self, name: str) -> AccountInfo:
        with self.unit() as s:
            return account_info(s, find_account(s, name))

    def principal(self, name: str) -> Principal:
        with self.unit() as s:
            return principal_of(s, find_account(s, name))

    def set_disabled(self, name: str, disabled: bool = True) -> AccountInfo:
        """Disable an account (its tokens stop working, its browser sessions end) or
        enable it again. Audited ``account.disable`` / ``account.enable`` when it
        changes (with how many sessions ended)."""
        with self.unit() as s:
            self.changes.hold(s)
            account = find_account(s, name)
            if account.disabled == disabled:
                return account_info(s, account)
            ended = 0
            account.disabled = disabled
            if disabled:
                gone = s.execute(delete(BrowserSession)
                                 .where(BrowserSession.account_id == account.id))
                ended = int(getattr(gone, "rowcount", 0))
            s.flush()
            self.changes.record(s, "account.disable" if disabled else "account.enable",
                                "account", account.name,
                                {"field": "disabled", "before": not disabled,
                                 "after": disabled, "sessions_ended": ended})
            return account_info(s, account)

    def has_admin(self) -> bool:
        """Whether at least one enabled admin account exists."""
        with self.unit() as s:
            return s.scalars(select(Account.id).where(Account.role == Role.ADMIN.value,
                                                      Account.disabled.is_(False))
                             ).first() is not None


@dataclass(frozen=True)
class Accounts:
    """Every account repository over one unit of work."""

    users: Users
    teams: Teams
    tokens: Tokens
    sessions: BrowserSessions

    @classmethod
    def over(cls, unit: UnitOfWork, changes: ChangeAudit,
             writer: UnitOfWork | None = None) -> Accounts:
        """The repositories over `unit`, their changes recorded by `changes`; `writer`
        (default `unit`) runs the writes a read may bring along (a token's last use)."""
        return cls(Users(unit, changes), Teams(unit, changes), Tokens(unit, changes, writer),
                   BrowserSessions(unit))


def account_info(session: Session, account: Account) -> AccountInfo:
    return AccountInfo(account.id, account.name, Role(account.role), account.disabled,
                       account.password_hash is not None, teams_of(session, account.id),
                       account.created_at)
