"""Verdicts as feedback: how each OCSF verdict counts, and the alerts judged so far.

An alert is *judged* when its case is resolved (or closed after that) with a verdict;
every alert of the case carries the case's verdict. Reopening a case clears its verdict,
so its alerts are unjudged again. For precision a verdict counts as:

=====================  ==============  =============================================
verdict                counts as       why
=====================  ==============  =============================================
true_positive          true positive   the rule found what it is for
security_risk          true positive   a real risk, if not an incident
false_positive         false positive  the rule was wrong
benign                 false positive  real activity that needed nothing: noise to
                                       tune away (an allow-list entry is the remedy)
suspicious             undecided       neither confirmed nor cleared
insufficient_data      undecided       the same, for want of data
duplicate              not counted     the alert it repeats carries the verdict
disregard, test,       not counted     says nothing about the rule
managed_externally,
other
=====================  ==============  =============================================

precision = true positives / (true positives + false positives); None without either.
Only ``false_positive`` feeds risk (`false_positives`): benign activity is real, and
stays part of the person's picture.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from watchkeeper.cases.workflow import Status, Verdict
from watchkeeper.risk.feedback import FalsePositive
from watchkeeper.security.roles import Scope
from watchkeeper.store.models import Alert, AlertSubject, Case, CaseEvent, Team

JUDGED = (Status.RESOLVED.value, Status.CLOSED.value)
NO_RULE = "(no rule)"


class Outcome(StrEnum):
    """How a verdict counts for precision."""

    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    UNDECIDED = "undecided"
    NOT_COUNTED = "not_counted"


OUTCOMES: dict[Verdict, Outcome] = {
    Verdict.TRUE_POSITIVE: Outcome.TRUE_POSITIVE,
    Verdict.SECURITY_RISK: Outcome.TRUE_POSITIVE,
    Verdict.FALSE_POSITIVE: Outcome.FALSE_POSITIVE,
    Verdict.BENIGN: Outcome.FALSE_POSITIVE,
    Verdict.SUSPICIOUS: Outcome.UNDECIDED,
    Verdict.INSUFFICIENT_DATA: Outcome.UNDECIDED,
    Verdict.DUPLICATE: Outcome.NOT_COUNTED,
    Verdict.DISREGARD: Outcome.NOT_COUNTED,
    Verdict.TEST: Outcome.NOT_COUNTED,
    Verdict.MANAGED_EXTERNALLY: Outcome.NOT_COUNTED,
    Verdict.OTHER: Outcome.NOT_COUNTED,
}


def outcome(verdict: str) -> Outcome:
    """How a stored verdict word counts (an unknown word is not counted)."""
    try:
        return OUTCOMES[Verdict[verdict.upper()]]
    except KeyError:
        return Outcome.NOT_COUNTED


def rule_key(alert_rule_id: str | None, alert_rule: str | None) -> str:
    """The rule an alert counts under: its rule id, else its rule name."""
    return alert_rule_id or alert_rule or NO_RULE


@dataclass(frozen=True)
class Judged:
    """One judged alert: its rule, source, the case's team, verdict, when it was
    received and when its case was resolved (by whom)."""

    alert_id: int
    rule: str
    source: str
    team: str | None
    verdict: str
    case_id: int
    received_at: dt.datetime
    resolved_at: dt.datetime
    resolved_by: str
    event_time: dt.datetime


def resolutions(session: Session, case_ids: set[int]) -> dict[int, tuple[dt.datetime, str]]:
    """When, and by whom, each case was last resolved (its latest ``case.status`` event
    into ``resolved``; a later close keeps that time)."""
    if not case_ids:
        return {}
    out: dict[int, tuple[dt.datetime, str]] = {}
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.actor, CaseEvent.after)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.action == "case.status", Case.verdict.is_not(None),
               Case.status.in_(JUDGED)))
    for case_id, at, actor, after in rows:
        resolving = (after or {}).get("status") == Status.RESOLVED.value
        if resolving and case_id in case_ids and (case_id not in out or at >= out[case_id][0]):
            out[case_id] = (at, actor)
    return out


def judged_alerts(session: Session, scope: Scope, *, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, verdict: str | None = None
                  ) -> list[Judged]:
    """The judged alerts `scope` sees, received in [since, until)."""
    query = (select(Alert.id, Alert.rule_id, Alert.rule, Alert.source, Team.name,
                    Case.verdict, Case.id, Alert.received_at, Alert.event_time)
             .join(Case, Case.id == Alert.case_id)
             .outerjoin(Team, Team.id == Case.team_id)
             .where(Case.verdict.is_not(None), Case.status.in_(JUDGED),
                    scope.clause(Alert.region)))
    if verdict is not None:
        query = query.where(Case.verdict == verdict)
    if since is not None:
        query = query.where(Alert.received_at >= since)
    if until is not None:
        query = query.where(Alert.received_at < until)
    rows = session.execute(query).all()
    resolved = resolutions(session, {r[6] for r in rows})
    out = []
    for ident, rule_id, rule, source, team, word, case_id, received, event in rows:
        at, actor = resolved.get(case_id, (received, "?"))
        out.append(Judged(ident, rule_key(rule_id, rule), source, team, word or "", case_id,
                          received, at, actor, event))
    return out


def false_positives(session: Session, scope: Scope, days: int) -> tuple[FalsePositive, ...]:
    """What risk scoring is to leave out: per alert judged false positive, each of its
    people and its rule, from the alert's (UTC) day to `days` days after it."""
    judged = [j for j in judged_alerts(session, scope, verdict=Verdict.FALSE_POSITIVE.word)
              if j.rule != NO_RULE]
    people: dict[int, list[str]] = defaultdict(list)
    ids = [j.alert_id for j in judged]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for alert_id, subject in session.execute(
                select(AlertSubject.alert_id, AlertSubject.subject)
                .where(AlertSubject.alert_id.in_(chunk))):
            people[alert_id].append(subject)
    found = {FalsePositive(user, j.rule, j.event_time.date(),
                           j.event_time.date() + dt.timedelta(days=days), j.case_id,
                           j.resolved_at.date(), j.resolved_by)
             for j in judged for user in people[j.alert_id]}
    return tuple(sorted(found, key=lambda v: (v.user, v.rule, v.first_day, v.case_id)))


def count_alerts(session: Session, scope: Scope, *, since: dt.datetime | None = None,
                 until: dt.datetime | None = None
                 ) -> list[tuple[str, str, str | None, int, int]]:
    """(rule, source, team, alerts, suppressed) for the alerts `scope` sees, received in
    [since, until); an alert's team is its case's.

    Two reads instead of a join of every alert with its case: one grouped pass over the
    period's alerts read from ``ix_alerts_volumes`` alone (SQLite walks it in group
    order, as `ops.metrics` does: the period is tested on ``+received_at`` so its
    planner does not pick the received-time index and sort a million rows), every alert
    counted without a team; then the alerts in a case of a team, found by their case
    (few), moved to their team's cell."""
    plain = Alert.received_at
    walked: Any = plain
    if session.get_bind().dialect.name == "sqlite":
        walked = UnaryExpression(plain.expression, operator=custom_op("+"), type_=plain.type)
    cells: dict[tuple[str, str, str | None], list[int]] = defaultdict(lambda: [0, 0])
    every = (select(Alert.rule_id, Alert.rule, Alert.source, func.count(),
                    func.count(Alert.suppressed_by))
             .where(*_period(scope, walked, since, until))
             .group_by(Alert.rule_id, Alert.rule, Alert.source))
    for rule_id, rule, source, n, m in session.execute(every):
        cell = cells[(_rule_of(rule_id, rule), source, None)]
        cell[0] += int(n)
        cell[1] += int(m)
    owned = (select(Alert.rule_id, Alert.rule, Alert.source, Team.name, func.count(),
                    func.count(Alert.suppressed_by))
             .select_from(Case).join(Team, Team.id == Case.team_id)
             .join(Alert, Alert.case_id == Case.id)
             .where(*_period(scope, plain, since, until))
             .group_by(Alert.rule_id, Alert.rule, Alert.source, Team.name))
    for rule_id, rule, source, team, n, m in session.execute(owned):
        key = _rule_of(rule_id, rule)
        alone, mine = cells[(key, source, None)], cells[(key, source, team)]
        alone[0], alone[1] = alone[0] - int(n), alone[1] - int(m)
        mine[0], mine[1] = mine[0] + int(n), mine[1] + int(m)
    return [(r, s, t, n, m) for (r, s, t), (n, m) in cells.items() if n]


def _rule_of(rule_id: str | None, rule: str | None) -> str:
    """The rule an alert's volume counts under (the id when set, even empty)."""
    return (rule_id if rule_id is not None else rule) or NO_RULE


def _period(scope: Scope, received: Any, since: dt.datetime | None,
            until: dt.datetime | None) -> list[Any]:
    where = [scope.clause(Alert.region)]
    if since is not None:
        where.append(received >= since)
    if until is not None:
        where.append(received < until)
    return where
