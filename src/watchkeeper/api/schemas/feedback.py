"""Verdict feedback: rule statistics, allow-list proposals, watchlists; one model per
purpose. The public models are built from the facade's frozen dataclasses, which name
people by pseudonym already."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from watchkeeper.api.schemas.fields import Public, Request


class RuleCountPublic(Public):
    """One group's alerts and verdicts (`rule`, `source`, `team` name the group)."""

    rule: str | None
    source: str | None
    team: str | None
    alerts: int
    suppressed: int
    judged: int = Field(description="Alerts in a case resolved with a verdict.")
    true_positives: int
    false_positives: int
    undecided: int
    not_counted: int
    precision: float | None = Field(description="TP / (TP + FP); null without either.")
    median_seconds_to_verdict: float | None = Field(
        description="Median from an alert's arrival to its case's resolution.")
    suppressed_share: float


class RuleStatsPublic(Public):
    since: datetime | None
    until: datetime | None
    total: RuleCountPublic
    rules: list[RuleCountPublic]
    sources: list[RuleCountPublic]
    rule_teams: list[RuleCountPublic]
    verdicts: dict[str, str] = Field(description="How each verdict counts: true_positive, "
                                     "false_positive, undecided or not_counted.")


ID_MAX = 2**31 - 1   # what an id column holds on both stores


class ProposalCreate(Request):
    case_id: int = Field(ge=1, le=ID_MAX, description="A case resolved false_positive.")
    field: Literal["subject", "host"]
    reason: str = Field(min_length=1, max_length=1000)
    value: str | None = Field(None, description="The person (pseudonym) or host; needed "
                                                "when the case's alerts have several.")
    rule: str | None = Field(None, description="Needed when the case's alerts have "
                                               "several rules.")


class ProposalAccept(Request):
    expires: date | None = Field(None, description="Last day of the suppression (UTC; "
                                 "default: the workspace's allow_days from today).")
    note: str | None = Field(None, max_length=1000)


class ProposalReject(Request):
    note: str = Field(min_length=1, max_length=1000, description="Why not.")


class ProposalPublic(Public):
    id: int
    case_id: int | None
    rule: str
    field: str
    value: str = Field(description="A pseudonym for field subject.")
    reason: str
    proposer: str
    created_at: datetime
    status: str = Field(description="pending, accepted or rejected.")
    reviewer: str | None
    reviewed_at: datetime | None
    review_note: str | None
    expires_at: datetime | None
    suppression_id: int | None = Field(description="The suppression an acceptance made.")


class WatchlistCreate(Request):
    person: str = Field(min_length=1, description="A pseudonym (or a user id).")
    reason: str = Field(min_length=1, max_length=1000)
    watchlist: str = Field("insider-watch", description="Its name picks the risk factor.")
    since: date | None = Field(None, description="First day (default: today, UTC).")
    until: date | None = Field(None, description="Last day (default: the workspace's "
                               "watchlist_days after today, or after `since` if later).")
    origin: Literal["analyst", "hr"] = "analyst"


class WatchlistPublic(Public):
    id: int | None = Field(description="null: one of HR's lists in the people history.")
    person: str = Field(description="A pseudonym.")
    watchlist: str
    origin: str
    added_by: str
    reason: str
    since: date
    until: date | None
    created_at: datetime | None
    removed_at: datetime | None
    removed_by: str | None
    active: bool = Field(description="In force today.")
