"""Allow-list proposals: what a false-positive verdict suggests, reviewed by a lead.

A case resolved ``false_positive`` may propose to stop alerting on one of its alerts'
rules for one of its people (``subject``) or hosts (``host``), with a reason. Nothing
changes until a lead (or admin; not the proposer) reviews it: accepting makes a
suppression of that rule and value with an expiry (`cases.suppression`; new alerts
matching it are stored, counted and marked suppressed), rejecting records why not.
Each step is a case event on the proposing case (``allow.propose``, ``allow.accept``,
``allow.reject``); the facade audits it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.repository import CaseRepository
from watchkeeper.cases.suppression import add_suppression
from watchkeeper.cases.workflow import Verdict
from watchkeeper.errors import AccessError, ConflictError, FeedbackError, NotFoundError
from watchkeeper.ops.verdicts import JUDGED, NO_RULE, rule_key
from watchkeeper.security.recusal import CONTENT_ROLES, OPERATOR
from watchkeeper.store.models import Alert, AlertHost, AlertSubject, AllowProposal
from watchkeeper.store.models.feedback import PROPOSAL_FIELDS

REVIEWERS = frozenset({"lead", "admin", OPERATOR})
MAX_TEXT = 1000
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


@dataclass(frozen=True)
class ProposalNew:
    """A proposal from case `case_id`: `field` is ``subject`` or ``host``; `value` (a
    user id or host) and `rule` may be left out when the case's alerts have one."""

    case_id: int
    field: str
    reason: str
    value: str | None = None
    rule: str | None = None


@dataclass(frozen=True)
class ProposalInfo:
    """An allow-list proposal and what became of it (`suppression_id`: the suppression
    an acceptance made)."""

    id: int
    case_id: int | None
    rule: str
    field: str
    value: str
    reason: str
    proposer: str
    created_at: dt.datetime
    status: str
    reviewer: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None
    expires_at: dt.datetime | None
    suppression_id: int | None


def propose(repo: CaseRepository, new: ProposalNew, now: dt.datetime) -> ProposalInfo:
    """Record a pending proposal from a case the viewer may open that was resolved as a
    false positive."""
    if repo.viewer.role not in CONTENT_ROLES:
        raise AccessError(f"the {repo.viewer.role} role cannot propose allow-list entries")
    if new.field not in PROPOSAL_FIELDS:
        raise FeedbackError("field", f"{new.field!r}: expected one of "
                            f"{', '.join(PROPOSAL_FIELDS)}")
    case = repo.open(new.case_id)
    if case.status not in JUDGED or case.verdict != Verdict.FALSE_POSITIVE.word:
        raise FeedbackError("case_id", f"case {case.id} is {case.status} with verdict "
                            f"{case.verdict or 'none'}: only a case resolved false_positive "
                            "proposes an allow-list entry")
    session = repo.session
    rules, values = _candidates(session, case.id, new.field)
    rule = _pick("rule", new.rule, rules, case.id)
    value = _pick("value", new.value, values, case.id)
    reason = _text("reason", new.reason)
    clash = session.scalar(select(AllowProposal.id).where(
        AllowProposal.status == PENDING, AllowProposal.rule == rule,
        AllowProposal.field == new.field, AllowProposal.value == value))
    if clash is not None:
        raise ConflictError(f"allow-list proposal {clash} for this rule and {new.field} is "
                            "pending already")
    row = AllowProposal(case_id=case.id, rule=rule, field=new.field, value=value,
                        reason=reason, proposer=repo.viewer.name, created_at=now,
                        status=PENDING)
    session.add(row)
    session.flush()
    repo.record(case, "allow.propose", None, {"proposal": row.id, "rule": rule,
                                              "field": new.field})
    return info(row)


def _candidates(session: Session, case_id: int, field: str
                ) -> tuple[list[str], list[str]]:
    alerts = select(Alert.id).where(Alert.case_id == case_id)
    rules = {rule_key(i, n) for i, n in session.execute(
        select(Alert.rule_id, Alert.rule).where(Alert.case_id == case_id))} - {NO_RULE}
    if field == "subject":
        values = session.scalars(select(AlertSubject.subject)
                                 .where(AlertSubject.alert_id.in_(alerts)))
    else:
        values = session.scalars(select(AlertHost.host).where(AlertHost.alert_id.in_(alerts)))
    return sorted(rules), sorted(set(values))


def _pick(field: str, given: str | None, found: Sequence[str], case_id: int) -> str:
    if given is not None and given.strip():
        if given.strip() not in found:
            raise FeedbackError(field, f"{given.strip()!r} is not among case {case_id}'s "
                                f"alerts' ({len(found)} found)")
        return given.strip()
    if len(found) != 1:
        raise FeedbackError(field, f"case {case_id}'s alerts have {len(found)}: name one")
    return found[0]


def _text(field: str, value: str | None) -> str:
    text = " ".join((value or "").split())
    if not text or len(text) > MAX_TEXT:
        raise FeedbackError(field, f"1 to {MAX_TEXT} characters, not {len(text)}")
    return text


def review(repo: CaseRepository, ident: int, *, accept: bool, note: str | None,
           expires_at: dt.datetime | None, now: dt.datetime) -> ProposalInfo:
    """Accept (a suppression until `expires_at` is made) or reject (a `note` says why) a
    pending proposal; a lead or admin other than its proposer decides."""
    viewer, session = repo.viewer, repo.session
    if viewer.role not in REVIEWERS:
        raise AccessError(f"the {viewer.role} role cannot review allow-list proposals "
                          "(a lead or admin does)")
    row = session.get(AllowProposal, ident, with_for_update=True)
    if row is None:
        raise NotFoundError(f"allow-list proposal {ident}: no such proposal (see `rules "
                            "proposals list --all`)")
    if row.status != PENDING:
        raise ConflictError(f"allow-list proposal {ident}: {row.status} already by "
                            f"{row.reviewer}")
    if viewer.name == row.proposer and viewer.role != OPERATOR:
        raise AccessError(f"allow-list proposal {ident}: {viewer.name} proposed it; "
                          "another lead reviews it")
    case = repo.open(row.case_id) if row.case_id is not None else None
    why = _text("note", note) if note is not None or not accept else None
    if accept:
        if expires_at is None:
            raise FeedbackError("expires", "accepting needs an expiry")
        made = add_suppression(session, {"rule": row.rule, row.field: row.value},
                               reason=f"allow-list proposal {row.id} (case {row.case_id}): "
                                      f"{row.reason}", owner=viewer.name,
                               expires_at=expires_at, now=now)
        row.suppression_id, row.expires_at = made.id, expires_at
    row.status = ACCEPTED if accept else REJECTED
    row.reviewer, row.reviewed_at, row.review_note = viewer.name, now, why
    session.flush()
    if case is not None:
        repo.record(case, f"allow.{'accept' if accept else 'reject'}", None,
                    {"proposal": row.id, "suppression": row.suppression_id})
    return info(row)


def list_proposals(session: Session, status: str | None = None) -> tuple[ProposalInfo, ...]:
    """Proposals, oldest first; `status` None: every one."""
    query = select(AllowProposal).order_by(AllowProposal.id)
    if status is not None:
        if status not in (PENDING, ACCEPTED, REJECTED):
            raise FeedbackError("status", f"{status!r}: expected pending, accepted or "
                                "rejected")
        query = query.where(AllowProposal.status == status)
    return tuple(info(r) for r in session.scalars(query))


def info(row: AllowProposal) -> ProposalInfo:
    return ProposalInfo(row.id, row.case_id, row.rule, row.field, row.value, row.reason,
                        row.proposer, row.created_at, row.status, row.reviewer,
                        row.reviewed_at, row.review_note, row.expires_at,
                        row.suppression_id)


__all__ = ["ProposalInfo", "ProposalNew", "list_proposals", "propose", "review"]
