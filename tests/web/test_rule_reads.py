"""The rules page's reads give what a plain join and grouping give, on both stores: the
volume per rule, source and team (one pass over the alerts, then the alerts of cases
with a team moved to it) and each rule's newest alert (one probe per rule)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from helpers.state import T0, alert
from watchkeeper.cases.overview import last_fired
from watchkeeper.cases.suppression import add_suppression
from watchkeeper.ops.verdicts import NO_RULE, count_alerts
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert, Case, Team

EU = Scope(True, False, frozenset({"eu"}), True)   # eu and unregioned


def joined(session: object, scope: Scope, since: dt.datetime | None,
           until: dt.datetime | None) -> Counter[tuple[str, str, str | None, int, int]]:
    """The reference: every alert joined with its case and team, grouped."""
    rule = func.coalesce(Alert.rule_id, Alert.rule)
    query = (select(rule, Alert.source, Team.name, func.count(Alert.id),
                    func.count(Alert.suppressed_by))
             .select_from(Alert).outerjoin(Case, Case.id == Alert.case_id)
             .outerjoin(Team, Team.id == Case.team_id)
             .where(scope.clause(Alert.region)).group_by(rule, Alert.source, Team.name))
    if since is not None:
        query = query.where(Alert.received_at >= since)
    if until is not None:
        query = query.where(Alert.received_at < until)
    return Counter((r or NO_RULE, s, t, int(n), int(m))
                   for r, s, t, n, m in session.execute(query))  # type: ignore[attr-defined]


def test_volumes_and_last_fired_match_a_plain_join(state_store: StateStore) -> None:
    with state_store.session() as s:
        eu, us = Team(name="soc-eu"), Team(name="soc-us")
        s.add_all([eu, us])
        s.flush()
        cases = [Case(title=f"c{i}", status="new", severity=3, team_id=team)
                 for i, team in enumerate((eu.id, us.id, None, eu.id))]
        s.add_all(cases)
        s.flush()
        hold = add_suppression(s, {"rule": "r1"}, reason="lab", owner="lee",
                               expires_at=T0 + dt.timedelta(days=90), now=T0).id
        rows = []
        for i in range(240):
            rows.append(alert(
                i, rule=(None, "r1", "r2", "r3")[i % 4],
                rule_id=("id-a", None, None, "id-b", None)[i % 5],
                source=("acme", "watchkeeper.detect", "dlp")[i % 3],
                region=("eu", "us", None)[i % 7 % 3],
                received_at=T0 + dt.timedelta(hours=i), event_time=T0 + dt.timedelta(hours=i),
                case_id=cases[i % 4].id if i % 3 == 0 else None,
                suppressed_by=hold if i % 11 == 0 else None))
        s.add_all(rows)
    windows = [(None, None), (T0 + dt.timedelta(days=2), T0 + dt.timedelta(days=6)),
               (T0 + dt.timedelta(days=9), None)]
    with state_store.session() as s:
        for scope in (EVERYWHERE, EU):
            for since, until in windows:
                found = Counter(count_alerts(s, scope, since=since, until=until))
                assert found == joined(s, scope, since, until), (scope, since, until)
                assert found                                  # the windows hold alerts
            newest = dict(s.execute(
                select(Alert.rule, func.max(Alert.event_time))
                .where(Alert.rule.is_not(None), scope.clause(Alert.region))
                .group_by(Alert.rule)).all())
            assert last_fired(s, scope) == newest and len(newest) == 3
