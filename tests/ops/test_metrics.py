"""Operations metrics on SQLite and PostgreSQL: each clock's start and stop, exact median
and 90th percentile, unknown detection times, volumes, backlog, hand-offs, conversion,
team and scope; the shared quantile definition."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest

from ops.feedbackwork import T0, Clock, clock, desk, hr_lake, judge, put_alert
from watchkeeper.cases.service import CaseDesk
from watchkeeper.ops.metrics import Metrics, Window, metrics
from watchkeeper.ops.quantiles import of_values, spread
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.store.models import Alert, Handoff, Team

__all__ = ["clock", "desk", "hr_lake"]   # fixtures

A, B = "insider.exfil.file_to_removable", "acme.dlp.upload"
HOUR = timedelta(hours=1)
MIN = timedelta(minutes=1)


@pytest.fixture
def worked(desk: CaseDesk, clock: Clock) -> CaseDesk:
    """Day T0: a1-a3 (rule A, detect, event 1, 2, 3 h before arrival at T0+1..3h), b1
    (acme, its event time after its arrival: unknown), b2 (acme, US, 10 min), b3
    suppressed, b4 new and in no case. Case 1 (a1, a2; soc-eu) opened T0+4h and resolved
    T0+6h; case 2 (a3) opened T0+5h, acknowledged T0+7h, still open."""
    s = desk.store
    a = [put_alert(s, f"a{i}", rule=A, received=T0 + i * HOUR,
                   event=T0 + i * HOUR - i * HOUR) for i in (1, 2, 3)]
    b1 = put_alert(s, "b1", rule=B, source="acme", received=T0 + HOUR,
                   event=T0 + 2 * HOUR)
    b2 = put_alert(s, "b2", rule=B, source="acme", received=T0 + 2 * HOUR,
                   event=T0 + 2 * HOUR - 10 * MIN, region="US")
    put_alert(s, "b3", rule=B, source="acme", received=T0 + 3 * HOUR, suppressed=True)
    put_alert(s, "b4", rule=B, source="acme", received=T0 + 3 * HOUR)
    clock.at = T0 + 4 * HOUR
    first = judge(desk, a[:2], None, team="soc-eu")
    clock.at = T0 + 5 * HOUR
    second = judge(desk, [a[2], b1, b2], None, who="ada")
    clock.at = T0 + 6 * HOUR
    desk.resolve(desk.viewer("bob", "x"), first, "true_positive")
    from watchkeeper.cases.repository import CaseRepository
    from watchkeeper.ops import casesla
    with s.session() as session:
        repo = CaseRepository(session, desk.viewer("ada", "x"), desk.org,
                              clock=lambda: T0 + 7 * HOUR)
        casesla.acknowledge(repo, second, T0 + 7 * HOUR)
        teams = {t.name: t.id for t in session.query(Team)}
        session.add_all([
            Handoff(team_id=teams["soc-eu"], to_team_id=teams["soc-us"],
                    shift_end=T0 + 8 * HOUR, created_at=T0 + 8 * HOUR,
                    ack_due_at=T0 + 8 * HOUR + 30 * MIN,
                    acknowledged_at=T0 + 8 * HOUR + 20 * MIN, acknowledged_by="lee"),
            Handoff(team_id=teams["soc-us"], to_team_id=teams["soc-eu"],
                    shift_end=T0 + 16 * HOUR, created_at=T0 + 16 * HOUR,
                    ack_due_at=T0 + 16 * HOUR + 30 * MIN,
                    acknowledged_at=T0 + 17 * HOUR, acknowledged_by="lee",
                    flagged_at=T0 + 16 * HOUR + 30 * MIN)])
    return desk


def measure(desk: CaseDesk, *, scope: Scope = EVERYWHERE, team: str | None = None,
            days: int = 1) -> Metrics:
    with desk.store.session() as s:
        return metrics(s, Window("test", T0, T0 + days * timedelta(days=1),
                                 T0 + 20 * HOUR, scope, team))


def test_clocks_start_and_stop_as_documented(worked: CaseDesk) -> None:
    m = measure(worked)
    assert (m.alerts, m.cases) == (7, 2)
    # detect: a1 1 h, a2 2 h, a3 3 h, b2 10 min; b1 (event after arrival) is unknown,
    # b3 and b4 carry an event time 1 h before arrival (the helper's default)
    known = [1, 2, 3, 1 / 6, 1, 1]
    assert m.detect.measured == 6 and m.detect.unmeasured == 1
    assert m.detect.median_seconds == pytest.approx(statistics.median(known) * 3600)
    assert m.detect.p90_seconds == pytest.approx(of_values(known).p90 * 3600)  # type: ignore[operator]
    # acknowledge from the first alert's arrival: case 1 at T0+1h, resolved (its ack) at
    # T0+6h: 5 h; case 2 from T0+1h (b1) to the ack at T0+7h: 6 h
    assert (m.acknowledge.measured, m.acknowledge.median_seconds) == (2, 5.5 * 3600)
    assert m.acknowledge.p90_seconds == pytest.approx((5 + 0.9) * 3600)
    # resolve: case 1 only (5 h); case 2 is open
    assert (m.resolve.measured, m.resolve.unmeasured, m.resolve.median_seconds) == \
        (1, 1, 5 * 3600)


def test_volumes_conversion_backlog_and_handoffs(worked: CaseDesk) -> None:
    m = measure(worked)
    assert [(v.key, v.alerts, v.suppressed, v.in_cases) for v in m.volumes.rules] == \
        [(B, 4, 1, 2), (A, 3, 0, 3)]
    assert [(v.key, v.alerts) for v in m.volumes.sources] == \
        [("acme", 4), ("watchkeeper.detect", 3)]
    assert [(v.key, v.alerts) for v in m.volumes.teams] == [("(none)", 5), ("soc-eu", 2)]
    assert [(v.key, v.alerts) for v in m.volumes.regions] == [("(none)", 6), ("us", 1)]
    assert [(v.key, v.alerts) for v in m.volumes.severities] == [("medium", 7)]
    assert (m.conversion.alerts, m.conversion.in_cases, m.conversion.cases_from_alerts) == \
        (6, 5, 2)
    assert m.conversion.rate == pytest.approx(5 / 6)
    b = m.backlog   # case 2 open since T0+5h; b4 untriaged since T0+3h; at T0+20h
    assert (b.open_cases, b.case_oldest_age_seconds, b.untriaged_alerts,
            b.alert_oldest_age_seconds) == (1, 15 * 3600, 1, 17 * 3600)
    h = m.handoffs
    assert (h.handoffs, h.acknowledged, h.in_time, h.late, h.flagged, h.open) == \
        (2, 2, 1, 1, 1, 0)
    assert h.acknowledge.median_seconds == pytest.approx(40 * 60)


def test_team_scope_and_period(worked: CaseDesk) -> None:
    eu = measure(worked, team="soc-eu")
    assert (eu.alerts, eu.cases, eu.resolve.measured, eu.backlog.open_cases) == (2, 1, 1, 0)
    assert (eu.handoffs.handoffs, eu.backlog.untriaged_alerts) == (1, 0)
    no_us = measure(worked, scope=Scope(True, False, frozenset({"eu"}), True))
    assert no_us.alerts == 6 and no_us.cases == 1       # case 2 spans the US alert
    later = measure(worked, days=0)
    assert (later.alerts, later.cases, later.detect.median_seconds) == (0, 0, None)
    with pytest.raises(Exception, match="no team named 'nope'"):
        measure(worked, team="nope")


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 101])
def test_store_quantiles_match_the_definition(desk: CaseDesk, n: int) -> None:
    from sqlalchemy import select
    values = [float((k * 37) % 101) for k in range(n)]
    for k, v in enumerate(values):
        put_alert(desk.store, f"q{k}", rule=A, received=T0, event=T0 - v * MIN)
    with desk.store.session() as s:
        got = spread(s, select(Alert.severity * 0 + Alert.id).where(Alert.id < 0))
        assert got.count == 0 and got.median is None
        from watchkeeper.ops.quantiles import seconds
        d = seconds(s.get_bind().dialect.name, Alert.received_at, Alert.event_time)
        got = spread(s, select(d))
        from watchkeeper.ops.quantiles import ranked  # index probes: the same figures
        assert ranked(s, select(Alert.id).where(d >= 0), d) == got
        assert ranked(s, select(Alert.id).where(d >= 0), d, n) == got
        assert ranked(s, select(Alert.id).where(d < 0), d).count == 0
    want = of_values([v * 60 for v in values])
    assert got.count == n
    assert got.median == pytest.approx(want.median)
    assert got.p90 == pytest.approx(want.p90)
    import numpy as np
    assert want.p90 == pytest.approx(float(np.percentile([v * 60 for v in values], 90)))
    assert want.median == pytest.approx(statistics.median([v * 60 for v in values]))
