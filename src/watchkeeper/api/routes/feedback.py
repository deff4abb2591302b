"""`/api/v1/rules/stats`, `/api/v1/rules/proposals` and `/api/v1/watchlists`: verdict
feedback (docs/operations.md, "Feedback").

Analysts, leads and admins read rule statistics of the alerts their regions see, the
proposals and the watchlists; they propose allow-list entries from cases resolved false
positive and add or remove watchlist entries. Accepting or rejecting a proposal takes
a lead or admin other than its proposer (403). Answers name people by pseudonym; every
change is audited, committed before the answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.feedback import (
    ID_MAX,
    ProposalAccept,
    ProposalCreate,
    ProposalPublic,
    ProposalReject,
    RuleStatsPublic,
    WatchlistCreate,
    WatchlistPublic,
)
from watchkeeper.api.schemas.fields import PeriodQuery
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(tags=["feedback"], responses=AUTHENTICATED)

Reader = Annotated[Principal, Depends(requires(Permission.READ_CASES))]
Worker = Annotated[Principal, Depends(requires(Permission.WORK_CASES))]
Reviewer = Annotated[Principal, Depends(requires(Permission.ASSIGN_CASES))]
ProposalStatus = Literal["pending", "accepted", "rejected", "all"]
Ident = Annotated[int, Path(ge=1, le=ID_MAX)]


@router.get("/rules/stats", response_model=RuleStatsPublic)
def rule_stats(user: Reader, workspace: WorkspaceDep, since: date | None = None,
               until: date | None = None, period: PeriodQuery = None) -> RuleStatsPublic:
    """Per rule, source and rule x team: alerts received in `period` (the grammar of
    every report: 2025-03, 2025-Q1, 2025-01-01..2025-03-31), or on the days `since` to
    `until` (inclusive), that the caller's regions see, the share suppressed, verdicts,
    precision and the median time to verdict."""
    found = workspace.rules_stats(workspace.case_viewer(user.name), since=since,
                                  until=until, period=period)
    return RuleStatsPublic.model_validate(found)


@router.get("/rules/proposals", response_model=list[ProposalPublic])
def proposals(user: Reader, workspace: WorkspaceDep,
              status: ProposalStatus = "pending") -> list[ProposalPublic]:
    """Allow-list proposals with `status`, oldest first."""
    found = workspace.allow_proposals(workspace.case_viewer(user.name),
                                      None if status == "all" else status)
    return [ProposalPublic.model_validate(p) for p in found]


@router.post("/rules/proposals", response_model=ProposalPublic, status_code=201,
             responses=responses(404, 409))
def propose(body: ProposalCreate, user: Worker, workspace: WorkspaceDep) -> ProposalPublic:
    """Propose, from a case resolved false_positive, to stop alerting on one of its
    rules for one of its people or hosts; nothing changes until a lead accepts it.
    Audited (`allow.propose`)."""
    made = workspace.allow_propose(workspace.case_viewer(user.name), body.case_id,
                                   body.field, body.reason, value=body.value, rule=body.rule)
    return ProposalPublic.model_validate(made)


@router.post("/rules/proposals/{ident}/accept", response_model=ProposalPublic,
             responses=responses(404, 409))
def accept(ident: Ident, body: ProposalAccept, user: Reviewer,
           workspace: WorkspaceDep) -> ProposalPublic:
    """Accept a pending proposal: a suppression of its rule and value until the end of
    `expires`. Audited (`allow.accept`)."""
    done = workspace.allow_accept(workspace.case_viewer(user.name), ident,
                                  expires=body.expires, note=body.note)
    return ProposalPublic.model_validate(done)


@router.post("/rules/proposals/{ident}/reject", response_model=ProposalPublic,
             responses=responses(404, 409))
def reject(ident: Ident, body: ProposalReject, user: Reviewer,
           workspace: WorkspaceDep) -> ProposalPublic:
    """Reject a pending proposal, saying why. Audited (`allow.reject`)."""
    done = workspace.allow_reject(workspace.case_viewer(user.name), ident, body.note)
    return ProposalPublic.model_validate(done)


@router.get("/watchlists", response_model=list[WatchlistPublic])
def watchlists(_: Reader, workspace: WorkspaceDep,
               person: Annotated[str | None, Query(description="A pseudonym.")] = None,
               include_ended: Annotated[bool, Query(alias="all")] = False
               ) -> list[WatchlistPublic]:
    """Who is on which watchlist: the store's entries in force or to come (`all`: also
    expired and removed ones) and HR's lists from the people history."""
    found = workspace.watchlists(person=person, ended=include_ended)
    return [WatchlistPublic.model_validate(w) for w in found]


@router.post("/watchlists", response_model=WatchlistPublic, status_code=201,
             responses=responses(404, 409))
def watchlist_add(body: WatchlistCreate, user: Worker,
                  workspace: WorkspaceDep) -> WatchlistPublic:
    """Put a person on a watchlist; the next analysis applies it as a risk modifier.
    Audited (`watchlist.add`)."""
    made = workspace.watchlist_add(body.person, reason=body.reason, actor=user.name,
                                   watchlist=body.watchlist, since=body.since,
                                   until=body.until, origin=body.origin)
    return WatchlistPublic.model_validate(made)


@router.delete("/watchlists/{ident}", response_model=WatchlistPublic,
               responses=responses(404, 409))
def watchlist_remove(ident: Ident, user: Worker, workspace: WorkspaceDep) -> WatchlistPublic:
    """Withdraw a watchlist entry: the next analysis counts it on no day. Audited
    (`watchlist.remove`)."""
    return WatchlistPublic.model_validate(workspace.watchlist_remove(ident,
                                                                     actor=user.name))
