"""API tokens: 32 random bytes, urlsafe, prefixed ``wk_``; shown once, stored as SHA-256.

A caller sends ``Authorization: Bearer wk_…``. Only the token's SHA-256 is stored, so a
copy of the database lets nobody call the API. A token is random enough that a plain
hash suffices (no salt or slow hash: nobody can guess 256 bits). `authenticate` refuses
revoked tokens and tokens of disabled accounts, and records when a token was last used
(at most once a minute, so reads do not turn into a write per request; the write is a
transaction of its own, after the read's).

Creating and revoking are audited (`security.changes`): ``token.create`` and
``token.revoke``, object the token's id, with its account and label; never the token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from watchkeeper.errors import AccountError, NotFoundError
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.security.principals import UnitOfWork, find_account, principal_for
from watchkeeper.security.roles import Principal
from watchkeeper.store.models import Account, ApiToken, utcnow

PREFIX = "wk_"
TOKEN_BYTES = 32
MAX_LABEL = 200
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never its value or hash."""

    id: int
    user: str
    label: str
    created_at: datetime
    last_used: datetime | None
    revoked: bool


@dataclass(frozen=True)
class IssuedToken:
    """A new token; `token` is shown to its owner once and kept nowhere."""

    info: TokenInfo
    token: str = field(repr=False)


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """Create, list and revoke API tokens, and authenticate callers by them."""

    def __init__(self, unit: UnitOfWork, changes: ChangeAudit,
                 writer: UnitOfWork | None = None) -> None:
        self.unit = unit
        self.changes = changes
        self.writer = writer or unit   # the last-use write (see `authenticate`)

    def create(self, user: str, label: str = "") -> IssuedToken:
        label = check_label(label)
        with self.unit() as s:
            self.changes.hold(s)
            account = find_account(s, user)
            token = new_token()
            row = ApiToken(account_id=account.id, label=label, hash=token_hash(token))
            s.add(row)
            s.flush()
            self.changes.record(s, "token.create", "token", str(row.id),
                                {"account": account.name, "label": label})
            return IssuedToken(token_info(row, account.name), token)

    def list(self, user: str | None = None) -> tuple[TokenInfo, ...]:
        with self.unit() as s:
            query = select(ApiToken, Account.name).join(Account).order_by(ApiToken.id)
            if user is not None:
                query = query.where(ApiToken.account_id == find_account(s, user).id)
            return tuple(token_info(t, name) for t, name in s.execute(query))

    def get(self, token_id: int) -> TokenInfo:
        with self.unit() as s:
            row = _find(s, token_id)
            return token_info(row, s.get_one(Account, row.account_id).name)

    def revoke(self, token_id: int) -> TokenInfo:
        """Revoke a token for good (revoking it again changes nothing)."""
        with self.unit() as s:
            self.changes.hold(s)
            row = _find(s, token_id)
            owner = s.get_one(Account, row.account_id).name
            if not row.revoked:
                row.revoked = True
                s.flush()
                self.changes.record(s, "token.revoke", "token", str(row.id),
                                    {"account": owner, "label": row.label})
            return token_info(row, owner)

    def authenticate(self, token: str) -> Principal | None:
        """The caller behind `token`, or None (unknown, revoked, account disabled)."""
        if not token.startswith(PREFIX):
            return None
        with self.unit() as s:
            found = s.connection().execute(_CALLER, {"hash": token_hash(token)}).first()
            if found is None or found.revoked or found.disabled:
                return None
            principal = principal_for(s, found.account_id, found.name, found.role)
        now = utcnow()
        if found.last_used is None or now - found.last_used >= TOUCH_EVERY:
            self._touch(found.id, now)
        return principal

    def _touch(self, token_id: int, now: datetime) -> None:
        """Record a use, in a unit of its own that starts with the write: on SQLite a
        transaction that read first and writes later fails at once when another writer
        committed in between. Unless a use was recorded within `TOUCH_EVERY` already (a
        concurrent request of the same token): one write a minute per token."""
        with self.writer() as s:
            s.execute(update(ApiToken)
                      .where(ApiToken.id == token_id,
                             or_(ApiToken.last_used.is_(None),
                                 ApiToken.last_used <= now - TOUCH_EVERY))
                      .values(last_used=now).execution_options(synchronize_session=False))


# built once: every API request authenticates its caller with it
_CALLER = (select(ApiToken.id, ApiToken.revoked, ApiToken.last_used,
                  Account.id.label("account_id"), Account.name, Account.role,
                  Account.disabled)
           .join(Account, Account.id == ApiToken.account_id)
           .where(ApiToken.hash == bindparam("hash")))


def check_label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL or any(not c.isprintable() for c in label):
        raise AccountError("label", f"use at most {MAX_LABEL} printable characters")
    return label


def token_info(row: ApiToken, user: str) -> TokenInfo:
    return TokenInfo(row.id, user, row.label, row.created_at, row.last_used, row.revoked)


def _find(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"token {token_id}: no such token (see `watchkeeper tokens list`)")
    return row
