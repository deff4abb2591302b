"""Revealing the identity behind a pseudonym: who may, why, and the record it leaves.

A reveal is allowed when, in this order:

1. the acting role may reveal (`Permission.REVEAL`: a lead; the local operator of a
   workspace without accounts, who reads the lake anyway). Admins may not: whoever
   manages accounts does not also read identities (making a lead account for oneself
   leaves ``account.create`` and ``token.create`` entries);
2. a reason is stated (`check_reason`: at least 3 words and 15 characters, at most 256
   so the audit entry holds it whole; whitespace runs count as one space);
3. the pseudonym is of someone in the lake's people (else `NotFoundError`);
4. the person's region (the newest people-history row's) is in the viewer's scope, as
   for alerts: a person without a region is unregioned;
5. the viewer is not recused from the person: the viewer's own person, anyone in their
   management chain and their direct reports (as of today) are refused, as for cases,
   without saying which of the three applies.

`record_reveal` then writes one ``reveals`` row (who, whom as the pseudonym, reason, at)
and the audit entry ``person.reveal`` (object ``person`` + the pseudonym, detail the
reason and the row's id) in one transaction (`security.changes.ChangeAudit`): both or
neither. The user id is never written to either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from watchkeeper.errors import AccessError, PermissionDeniedError, RevealError
from watchkeeper.security.audit_entry import AuditEntry
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.security.recusal import OPERATOR, Managers, Viewer, conflicts
from watchkeeper.security.roles import Permission, Role, allowed
from watchkeeper.store.models import Reveal

MIN_WORDS = 3
MIN_CHARS = 15
MAX_CHARS = 256


@dataclass(frozen=True)
class Revealed:
    """Who is behind `pseudonym`, as the lake's newest people-history row knows them,
    and the reveal's record (`reveal_id` in ``reveals``, `audit_seq` in the audit log)."""

    pseudonym: str
    user: str
    name: str | None
    email: str | None
    region: str | None
    reason: str
    revealed_by: str
    at: dt.datetime
    reveal_id: int
    audit_seq: int


def may_reveal(viewer: Viewer) -> None:
    """PermissionDeniedError unless `viewer`'s role may reveal."""
    if viewer.role == OPERATOR:
        return
    known = {r.value for r in Role}
    if viewer.role not in known or not allowed(Role(viewer.role), Permission.REVEAL):
        raise PermissionDeniedError(f"role {viewer.role} may not reveal pseudonyms")


def check_reason(text: str | None) -> str:
    """The reason with whitespace runs made one space; RevealError (field ``reason``)
    unless it has at least `MIN_WORDS` words and `MIN_CHARS` characters, at most
    `MAX_CHARS`, all printable."""
    reason = " ".join((text or "").split())
    words = [w for w in reason.split(" ") if any(c.isalnum() for c in w)]
    if not reason:
        raise RevealError("reason", "required: say why the identity is needed "
                                    "(a case and what for)")
    if len(words) < MIN_WORDS or len(reason) < MIN_CHARS:
        raise RevealError("reason", f"too short: use at least {MIN_WORDS} words and "
                                    f"{MIN_CHARS} characters (a case and what for)")
    if len(reason) > MAX_CHARS:
        raise RevealError("reason", f"too long: use at most {MAX_CHARS} characters")
    if not reason.isprintable():
        raise RevealError("reason", "use printable characters only")
    return reason


def check_reach(viewer: Viewer, pseudonym: str, user: str, region: str | None,
                managers: Managers) -> None:
    """Refuse a person outside `viewer`'s regions (PermissionDeniedError) or one they
    are recused from (AccessError); neither names the region nor the relation."""
    if not viewer.scope.allows(region):
        raise PermissionDeniedError(f"pseudonym {pseudonym}: this person is outside the "
                                    f"regions {viewer.name}'s teams see")
    if viewer.person is not None and user in conflicts(viewer.person, managers):
        raise AccessError(f"pseudonym {pseudonym}: {viewer.name} is recused from this "
                          "person (themselves, their management chain or a direct "
                          "report)")


def record_reveal(session: Session, changes: ChangeAudit, pseudonym: str,
                  reason: str) -> tuple[Reveal, AuditEntry]:
    """The ``reveals`` row and its ``person.reveal`` audit entry, in `session`'s
    transaction (the caller commits both, or neither)."""
    changes.hold(session)
    row = Reveal(who=changes.actor, whom=pseudonym, reason=reason)
    session.add(row)
    session.flush()
    entry = changes.record(session, "person.reveal", "person", pseudonym,
                           {"reason": reason, "reveal": row.id})
    row.at = entry.at
    return row, entry


__all__ = ["MAX_CHARS", "MIN_CHARS", "MIN_WORDS", "Revealed", "check_reach",
           "check_reason", "may_reveal", "record_reveal"]
