"""Requests for access and their review: who asks, for whom, to do what, why and for
how long; who approved or denied.

A request is for one principal (``--for``, an HR user id), one action on one resource,
a purpose code, a justification, an optional ticket and a duration (``30m``, ``8h``,
``7d`` or ISO 8601 such as ``PT20S`` or ``P1DT2H``; at most `MAX_DURATION`). It needs
one approver, two for another region's data or a VIP's records, and one more when the
person's risk is elevated and the request is an export or cross-region (`needs`). No one
approves a request they made or one for themselves, nor the same request twice. The
last approval needed turns it into a grant that runs from then for the duration; one
denial ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.access.schema import Asset, Employee
from watchkeeper.errors import ConflictError, GrantError, NotFoundError
from watchkeeper.store.models import AccessApproval, AccessGrant, AccessRequest

MAX_DURATION = timedelta(days=90)
MAX_TEXT = 2000
_SHORT = re.compile(r"(\d{1,6})([smhdw])")
_ISO = re.compile(r"P(?:(\d{1,5})W)?(?:(\d{1,5})D)?"
                  r"(?:T(?:(\d{1,6})H)?(?:(\d{1,8})M)?(?:(\d{1,9})S)?)?")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``8h``, ``7d``, ``2w`` or ISO 8601 (``PT20S``, ``P1DT2H``)."""
    value = text.strip()
    short = _SHORT.fullmatch(value)
    if short is not None:
        seconds = int(short.group(1)) * _UNIT[short.group(2)]
    else:
        iso = _ISO.fullmatch(value.upper())
        if iso is None or value.upper() in ("P", "PT") or value.upper().endswith("T"):
            raise GrantError("duration", f"{text!r}: expected e.g. 30m, 8h, 7d or ISO 8601 "
                             "such as PT20S")
        w, d, h, m, s = (int(g) if g else 0 for g in iso.groups())
        seconds = (((w * 7 + d) * 24 + h) * 60 + m) * 60 + s
    if seconds <= 0:
        raise GrantError("duration", f"{text!r}: must be longer than 0 s")
    if seconds > MAX_DURATION.total_seconds():
        raise GrantError("duration", f"{text!r}: at most {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Needs:
    """Approvals a request needs: `base` without the risk rule, `total` with it, and why."""

    base: int
    total: int
    why: str


def needs(person: Employee, asset: Asset, action: str, risk: str) -> Needs:
    """One approver; two for another region's data or a VIP; one more for an export or
    cross-region request of a person whose risk is elevated."""
    cross = person.region != asset.region
    reasons = []
    if cross:
        reasons.append(f"cross-region ({person.region or 'no region'} -> "
                       f"{asset.region or 'no region'})")
    if asset.vip:
        reasons.append("VIP records")
    base = 2 if reasons else 1
    total = base
    if risk == "elevated" and (action == "export" or cross):
        total += 1
        reasons.append("the person's risk is elevated: one more approver")
    return Needs(base, total, "; ".join(reasons) or "one approver")


@dataclass(frozen=True)
class RequestNew:
    principal: str
    action: str
    resource: str
    purpose: str
    justification: str
    duration: timedelta
    ticket: str | None = None


@dataclass(frozen=True)
class RequestInfo:
    """A request as lists show it; `grant_id` once approved."""

    id: int
    principal: str
    action: str
    resource: str
    purpose: str
    justification: str
    ticket: str | None
    duration_seconds: int
    requester: str
    requested_by: str
    approvals_needed: int
    needs_why: str
    approvers: tuple[str, ...]
    status: str
    created_at: datetime
    decided_at: datetime | None
    denied_by: str | None
    deny_reason: str | None
    grant_id: int | None


def _text(field: str, value: str, required: bool = True) -> str:
    text = " ".join(value.split())
    if (required and not text) or len(text) > MAX_TEXT:
        raise GrantError(field, f"1 to {MAX_TEXT} characters, not {len(text)}")
    return text


def create(session: Session, new: RequestNew, requester: str, requested_by: str,
           need: Needs, now: datetime) -> RequestInfo:
    """Store a pending request (fields checked by the caller, text here)."""
    row = AccessRequest(
        principal=new.principal, action=new.action, resource=new.resource,
        purpose=new.purpose, justification=_text("justification", new.justification),
        ticket=_text("ticket", new.ticket, False) or None if new.ticket else None,
        duration_seconds=int(new.duration.total_seconds()), requester=requester,
        requested_by=requested_by, approvals_base=need.base,
        approvals_needed=need.total, needs_why=need.why, created_at=now, status="pending")
    session.add(row)
    session.flush()
    return info(session, row)


def _pending(session: Session, ident: int) -> AccessRequest:
    row = session.get(AccessRequest, ident, with_for_update=True)
    if row is None:
        raise NotFoundError(f"access request {ident}: no such request "
                            "(see `access requests`)")
    if row.status != "pending":
        raise ConflictError(f"access request {ident}: {row.status} already")
    return row


def _approvers(session: Session, ident: int) -> tuple[str, ...]:
    return tuple(session.scalars(select(AccessApproval.approver)
                                 .where(AccessApproval.request_id == ident)
                                 .order_by(AccessApproval.id)))


def _check_reviewer(row: AccessRequest, approver: str) -> None:
    if approver == row.requester:
        raise GrantError("approver", f"{approver} made access request {row.id} and may "
                         "not review it: someone else must")
    if approver == row.principal:
        raise GrantError("approver", f"access request {row.id} is for {approver}, who "
                         "may not review it")


def approve(session: Session, ident: int, approver: str, approved_by: str,
            principal_region: str | None, now: datetime) -> RequestInfo:
    """Add `approver`'s approval; the last one needed makes the grant."""
    row = _pending(session, ident)
    _check_reviewer(row, approver)
    given = _approvers(session, ident)
    if approver in given:
        raise ConflictError(f"access request {ident}: {approver} approved it already "
                            f"({len(given)} of {row.approvals_needed} approvals)")
    session.add(AccessApproval(request_id=ident, approver=approver,
                               approved_by=approved_by, at=now))
    if len(given) + 1 >= row.approvals_needed:
        row.status, row.decided_at = "approved", now
        session.add(AccessGrant(
            request_id=ident, principal=row.principal, principal_region=principal_region,
            action=row.action, resource=row.resource, purpose=row.purpose,
            ticket=row.ticket, approvals=len(given) + 1,
            needed=row.approvals_base, starts_at=now,
            expires_at=now + timedelta(seconds=row.duration_seconds), ended_audited=False))
    session.flush()
    return info(session, row)


def deny(session: Session, ident: int, approver: str, reason: str,
         now: datetime) -> RequestInfo:
    """End a pending request with `approver`'s no and reason."""
    row = _pending(session, ident)
    _check_reviewer(row, approver)
    row.status, row.decided_at = "denied", now
    row.denied_by, row.deny_reason = approver, _text("reason", reason)
    session.flush()
    return info(session, row)


def list_requests(session: Session, *, status: str | None = "pending"
                  ) -> tuple[RequestInfo, ...]:
    query = select(AccessRequest).order_by(AccessRequest.id)
    if status is not None:
        query = query.where(AccessRequest.status == status)
    return tuple(info(session, r) for r in session.scalars(query))


def get(session: Session, ident: int) -> RequestInfo:
    row = session.get(AccessRequest, ident)
    if row is None:
        raise NotFoundError(f"access request {ident}: no such request")
    return info(session, row)


def info(session: Session, row: AccessRequest) -> RequestInfo:
    grant = session.scalar(select(AccessGrant.id).where(AccessGrant.request_id == row.id))
    return RequestInfo(row.id, row.principal, row.action, row.resource, row.purpose,
                       row.justification, row.ticket, row.duration_seconds, row.requester,
                       row.requested_by, row.approvals_needed,
                       row.needs_why, _approvers(session, row.id),
                       row.status, row.created_at, row.decided_at, row.denied_by,
                       row.deny_reason, grant)
