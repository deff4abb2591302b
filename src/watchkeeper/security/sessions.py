"""Browser sessions (for the dashboard): sign in with a name and password, get a cookie
value (``wks_`` + 32 random bytes) that is stored only as its SHA-256, valid for 12 hours.

A wrong name and a wrong password get the same answer and take the same time (an
unknown name is checked against a dummy hash). Disabling an account ends its sessions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from watchkeeper.errors import AuthenticationError
from watchkeeper.security.passwords import hash_password, verify_password
from watchkeeper.security.principals import UnitOfWork, find_account, principal_of
from watchkeeper.security.roles import Principal
from watchkeeper.security.tokens import token_hash
from watchkeeper.store.models import Account, BrowserSession, utcnow

PREFIX = "wks_"
TTL = timedelta(hours=12)
SIGN_IN_FAILED = "sign-in failed: wrong name or password, or the account is disabled"
_DUMMY: list[str] = []


@dataclass(frozen=True)
class IssuedSession:
    """A new browser session; `secret` goes into the cookie and is kept nowhere."""

    account: str
    expires_at: datetime
    secret: str = field(repr=False)


class BrowserSessions:
    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def sign_in(self, name: str, password: str, ttl: timedelta = TTL) -> IssuedSession:
        """A session for `name` if `password` is theirs; AuthenticationError otherwise."""
        with self.unit() as s:
            account = s.scalars(select(Account).where(
                func.lower(Account.name) == name.strip().casefold())).first()
            stored = account.password_hash if account is not None else _dummy_hash()
            ok = verify_password(password, stored)
            if account is None or account.disabled or not ok:
                raise AuthenticationError(SIGN_IN_FAILED)
            secret = PREFIX + secrets.token_urlsafe(32)
            expires = utcnow() + ttl
            s.add(BrowserSession(id_hash=token_hash(secret), account_id=account.id,
                                 expires_at=expires))
            s.flush()
            return IssuedSession(account.name, expires, secret)

    def authenticate(self, secret: str) -> Principal | None:
        """The signed-in account behind a cookie value, or None (unknown, expired,
        disabled)."""
        if not secret.startswith(PREFIX):
            return None
        with self.unit() as s:
            found = s.execute(select(BrowserSession, Account).join(Account)
                              .where(BrowserSession.id_hash == token_hash(secret))
                              ).first()
            if found is None:
                return None
            row, account = found
            if row.expires_at <= utcnow() or account.disabled:
                return None
            return principal_of(s, account)

    def sign_out(self, secret: str) -> bool:
        with self.unit() as s:
            gone = s.execute(delete(BrowserSession)
                             .where(BrowserSession.id_hash == token_hash(secret)))
            return bool(getattr(gone, "rowcount", 0))

    def end_all(self, name: str) -> int:
        """End every session of the account `name`; returns how many there were."""
        with self.unit() as s:
            account = find_account(s, name)
            gone = s.execute(delete(BrowserSession)
                             .where(BrowserSession.account_id == account.id))
            return int(getattr(gone, "rowcount", 0))

    def purge_expired(self) -> int:
        with self.unit() as s:
            gone = s.execute(delete(BrowserSession).where(BrowserSession.expires_at <= utcnow()))
            return int(getattr(gone, "rowcount", 0))


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password("not a password of anyone"))
    return _DUMMY[0]
