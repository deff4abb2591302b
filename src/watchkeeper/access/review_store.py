"""Review campaigns in the state store: started from a snapshot of entitlements, each
kept or revoked by a reviewer who is not the person it is about, closed once every
entitlement has an outcome.

Revoking a grant's entitlement revokes the grant (`grants.revoke`) in the decision's
own transaction; a grant that had ended meanwhile needs nothing more, and the outcome
says so. A policy's entitlement is the same for everyone the policy covers: revoking it
records the policy change to make (`effect`), which the policy owners carry out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from watchkeeper.access import grants
from watchkeeper.access.review import Entitlement
from watchkeeper.errors import ConflictError, GrantError, NotFoundError
from watchkeeper.store.models import AccessDecision, AccessReview, AccessReviewItem

OUTCOMES = ("keep", "revoke")
MAX_TEXT = 2000


@dataclass(frozen=True)
class ReviewItem:
    """One entitlement under review and its outcome (None: not reviewed yet)."""

    id: int
    principal: str
    principal_region: str
    action: str
    resource: str
    resource_region: str
    via: str
    grant_id: int | None
    policies: tuple[str, ...]
    unused: bool
    outlier: bool
    outcome: str | None
    effect: str | None
    reviewer: str | None
    reviewed_by: str | None
    reason: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class ReviewSummary:
    """A campaign and its progress."""

    id: int
    name: str
    scope: str
    status: str
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None
    items: int
    kept: int
    revoked: int
    pending: int


@dataclass(frozen=True)
class ReviewDetail:
    """A campaign with its items."""

    review: ReviewSummary
    items: tuple[ReviewItem, ...]


def start(
    session: Session,
    name: str,
    scope: str,
    found: Sequence[Entitlement],
    unused: Collection[int],
    outliers: Collection[str],
    actor: str,
    now: datetime,
) -> ReviewSummary:
    """Store a campaign over `found`; items are flagged unused (their grant id is in
    `unused`) and outlier (their person is in `outliers`)."""
    if not found:
        raise GrantError("scope", f"{scope}: no entitlement to review")
    row = AccessReview(
        name=_text("name", name), scope=scope, status="open", started_at=now, started_by=actor
    )
    session.add(row)
    session.flush()
    rows = [
        {
            "review_id": row.id,
            "principal": e.principal,
            "principal_region": e.principal_region,
            "action": e.action,
            "resource": e.resource,
            "resource_region": e.resource_region,
            "via": e.via,
            "grant_id": e.grant_id,
            "policies": " ".join(e.policies),
            "unused": e.grant_id is not None and e.grant_id in unused,
            "outlier": e.principal in outliers,
        }
        for e in found
    ]
    # one executemany per 10,000 items (a campaign of everyone holds hundreds of
    # thousands: ORM objects one by one would take minutes)
    for i in range(0, len(rows), 10_000):
        session.execute(insert(AccessReviewItem), rows[i : i + 10_000])
    session.flush()
    return summary(session, row)


def decide(
    session: Session,
    review_id: int,
    item_id: int,
    outcome: str,
    reviewer: str,
    reviewed_by: str,
    reason: str,
    now: datetime,
) -> tuple[ReviewItem, grants.GrantInfo | None]:
    """Record `reviewer`'s outcome for one item; a revoked grant's entitlement revokes
    the grant (returned). Nobody reviews their own entitlements."""
    if outcome not in OUTCOMES:
        raise GrantError("outcome", f"{outcome!r}: expected keep or revoke")
    review = _open(session, review_id)
    item = session.get(AccessReviewItem, item_id, with_for_update=True)
    if item is None or item.review_id != review.id:
        raise NotFoundError(
            f"review {review_id}: no item {item_id} (see `access review show {review_id}`)"
        )
    if item.principal == reviewer:
        raise GrantError(
            "reviewer",
            f"{reviewer} may not review their own entitlement (item {item_id}): someone else must",
        )
    if item.outcome is not None:
        raise ConflictError(
            f"review {review_id} item {item_id}: {item.outcome} already (by {item.reviewer})"
        )
    why = _text("reason", reason, required=outcome == "revoke")
    revoked = None
    effect = None
    if outcome == "revoke" and item.grant_id is not None:
        try:
            revoked = grants.revoke(
                session, item.grant_id, reviewed_by, f"access review {review_id}: {why}", now
            )
            effect = f"grant {item.grant_id} revoked"
        except ConflictError as exc:
            effect = f"nothing to revoke: {exc}"
    elif outcome == "revoke":
        effect = (
            f"policy change needed: {item.policies or 'the policy'} allows "
            f"{item.principal} to {item.action} {item.resource}"
        )
    item.outcome, item.effect, item.reason = outcome, effect, why or None
    item.reviewer, item.reviewed_by, item.decided_at = reviewer, reviewed_by, now
    session.flush()
    return _item(item), revoked


def close(session: Session, review_id: int, actor: str, now: datetime) -> ReviewSummary:
    """Close a campaign whose every item has an outcome."""
    review = _open(session, review_id)
    left = session.scalar(
        select(func.count())
        .select_from(AccessReviewItem)
        .where(AccessReviewItem.review_id == review_id, AccessReviewItem.outcome.is_(None))
    )
    if left:
        raise ConflictError(
            f"review {review_id}: {left} item(s) not reviewed yet (see "
            f"`access review show {review_id} --pending`)"
        )
    review.status, review.closed_at, review.closed_by = "closed", now, actor
    session.flush()
    return summary(session, review)


def used_grant_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """Of the grants `ids`, those an allowing decision in the log carries."""
    used: set[int] = set()
    for i in range(0, len(ids), 500):
        used.update(
            g
            for g in session.scalars(
                select(AccessDecision.grant_id)
                .where(
                    AccessDecision.decision == "allow",
                    AccessDecision.grant_id.in_(ids[i : i + 500]),
                )
                .distinct()
            )
            if g is not None
        )
    return used


def list_reviews(session: Session, status: str | None = None) -> tuple[ReviewSummary, ...]:
    query = select(AccessReview).order_by(AccessReview.id)
    if status is not None:
        query = query.where(AccessReview.status == status)
    return tuple(summary(session, r) for r in session.scalars(query))


def show(session: Session, review_id: int, *, pending: bool = False) -> ReviewDetail:
    review = session.get(AccessReview, review_id)
    if review is None:
        raise NotFoundError(f"review {review_id}: no such review (see `access review list`)")
    query = select(AccessReviewItem).where(AccessReviewItem.review_id == review_id)
    if pending:
        query = query.where(AccessReviewItem.outcome.is_(None))
    items = session.scalars(query.order_by(AccessReviewItem.id))
    return ReviewDetail(summary(session, review), tuple(_item(i) for i in items))


def summary(session: Session, row: AccessReview) -> ReviewSummary:
    state = func.coalesce(AccessReviewItem.outcome, "pending")
    counts: dict[str, int] = {}
    for name, n in session.execute(
        select(state, func.count()).where(AccessReviewItem.review_id == row.id).group_by(state)
    ):
        counts[str(name)] = int(n)
    return ReviewSummary(
        row.id,
        row.name,
        row.scope,
        row.status,
        row.started_at,
        row.started_by,
        row.closed_at,
        row.closed_by,
        sum(counts.values()),
        counts.get("keep", 0),
        counts.get("revoke", 0),
        counts.get("pending", 0),
    )


def _open(session: Session, review_id: int) -> AccessReview:
    row = session.get(AccessReview, review_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"review {review_id}: no such review (see `access review list`)")
    if row.status != "open":
        raise ConflictError(f"review {review_id}: closed already")
    return row


def _text(field: str, value: str, required: bool = True) -> str:
    text = " ".join(value.split())
    if (required and not text) or len(text) > MAX_TEXT:
        raise GrantError(field, f"1 to {MAX_TEXT} characters, not {len(text)}")
    return text


def _item(r: AccessReviewItem) -> ReviewItem:
    return ReviewItem(
        r.id,
        r.principal,
        r.principal_region,
        r.action,
        r.resource,
        r.resource_region,
        r.via,
        r.grant_id,
        tuple(r.policies.split()),
        r.unused,
        r.outlier,
        r.outcome,
        r.effect,
        r.reviewer,
        r.reviewed_by,
        r.reason,
        r.decided_at,
    )


__all__ = [
    "OUTCOMES",
    "ReviewDetail",
    "ReviewItem",
    "ReviewSummary",
    "close",
    "decide",
    "list_reviews",
    "show",
    "start",
    "used_grant_ids",
]
