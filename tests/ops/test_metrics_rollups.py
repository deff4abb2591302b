"""The metrics read from rollups and stored clock states, on SQLite and PostgreSQL,
against the long way: the rollups as the writers keep them equal a rebuild from the
alerts; every team's volumes and counts equal a brute-force count of the alerts, its
detection median and 90th percentile lie within the histogram's documented error of
the exact ones; SLA compliance from the stored clock states equals the per-case
recomputation as of a tick, and past due times count as breached after it."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ops.conftest import FRI, World
from ops.feedbackwork import T0, clock, desk, hr_lake, judge
from watchkeeper.cases import metricsrollup
from watchkeeper.cases.alerts import ingest_alerts
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.repository import CaseChange
from watchkeeper.cases.service import CaseDesk
from watchkeeper.cases.suppression import add_suppression, mark_alerts
from watchkeeper.ops import compliance
from watchkeeper.ops.metrics import Metrics, Window, metrics
from watchkeeper.ops.quantiles import of_values
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.store.models import Alert, DetectRollup, MetricsRollup

__all__ = ["clock", "desk", "hr_lake"]   # fixtures

DAY = timedelta(days=1)
MIDNIGHT = datetime.combine(T0.date(), datetime.min.time(), UTC) + DAY
SOURCES = ("watchkeeper.detect", "splunk", "sentinel")
REGIONS = (None, "eu", "EU", "us", "")
EU = Scope(True, False, frozenset({"eu"}), True)


def _alert(rng: random.Random, k: int, received: datetime) -> AlertIn:
    source = rng.choice(SOURCES)
    event = received - timedelta(seconds=rng.lognormvariate(7, 1.5))
    if rng.random() < 0.05:
        event = received + timedelta(minutes=5)   # unknown detection time
    rule = rng.choice(("a.rule", "b.rule", None))
    return AlertIn(source=source, source_ref=f"r{k}", title=f"alert {k}",
                   severity=Severity(rng.randint(1, 5)), event_time=event, raw="{}",
                   rule=rule, rule_id=rng.choice((rule, "x.id", None)),
                   first_seen=event - timedelta(minutes=3) if rng.random() < 0.3 else None,
                   region=rng.choice(REGIONS))


def fill(desk: CaseDesk, seed: int) -> list[int]:
    """About 160 alerts received over three and a half days from noon before
    `MIDNIGHT`, through the intake; one sent again with other content, a few marked
    suppressed, some put in cases. The ids."""
    rng = random.Random(seed)
    ids: list[int] = []
    sent: list[AlertIn] = []
    with desk.store.session() as s:
        for k in range(160):
            at = MIDNIGHT - DAY / 2 + timedelta(seconds=rng.randrange(int(3.5 * 86400)))
            sent.append(_alert(rng, k, at))
            ids += ingest_alerts(s, sent[-1:], at).alert_ids
        ingest_alerts(s, [replace(sent[7], severity=Severity(6), region="us",
                                  first_seen=None, rule="c.rule", rule_id=None)],
                      MIDNIGHT + DAY)   # sent again, changed: counted as it is now
        hush = add_suppression(s, {"rule": "b.rule"}, reason="noisy", owner="t",
                               expires_at=MIDNIGHT + 30 * DAY, now=MIDNIGHT)
        mark_alerts(s, hush.id, rng.sample(ids, 12))
    judge(desk, ids[:6], None, team="soc-eu", who="ada")
    judge(desk, ids[10:14], "true_positive", who="ada")
    return ids


def stored_rollups(session: Session) -> tuple[dict[Any, Any], dict[Any, Any]]:
    facets = {(str(r.day)[:10], r.region, r.facet, r.key):
              (r.alerts, r.suppressed, r.in_cases, r.timed)
              for r in session.scalars(select(MetricsRollup)) if r.alerts}
    buckets = {(str(r.day)[:10], r.region, r.bucket): r.alerts
               for r in session.scalars(select(DetectRollup)) if r.alerts}
    return facets, buckets


def test_the_writers_keep_the_rollups_as_a_rebuild_makes_them(desk: CaseDesk) -> None:
    fill(desk, 1)
    with desk.store.session() as s:
        kept = stored_rollups(s)
        assert metricsrollup.rebuild(s) == s.query(Alert).count()
        assert stored_rollups(s) == kept
        assert sum(v[2] for k, v in kept[0].items() if k[2] == "source") == 10  # in cases


def brute_force(session: Session, w: Window) -> dict[str, Any]:
    """Volumes, totals and detection times counted from every alert in Python."""
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(
        lambda: [0, 0, 0]))
    took: list[float] = []
    total = 0
    for a in session.scalars(select(Alert)):
        region = a.region.lower() if a.region is not None else None
        seen = w.scope.all_regions or (region in w.scope.regions if region is not None
                                       else w.scope.unregioned)
        if not (w.start <= a.received_at < w.end) or not seen:
            continue
        total += 1
        counts = (1, int(a.suppressed_by is not None), int(a.case_id is not None))
        for facet, key in (("rule", (a.rule if a.rule_id is None else a.rule_id)
                            or "(no rule)"), ("source", a.source),
                           ("severity", Severity(a.severity).name.lower()),
                           ("region", (a.region or "").strip().lower() or "(none)")):
            for i in range(3):
                groups[facet][key][i] += counts[i]
        origin = a.first_seen or a.event_time
        if a.received_at > origin:
            took.append((a.received_at - origin).total_seconds())
    return {"total": total, "groups": groups, "took": took}


def volumes(m: Metrics) -> dict[str, dict[str, list[int]]]:
    v = m.volumes
    return {facet: {x.key: [x.alerts, x.suppressed, x.in_cases] for x in rows}
            for facet, rows in (("rule", v.rules), ("source", v.sources),
                                ("severity", v.severities), ("region", v.regions))}


def close(got: float | None, exact: float | None) -> bool:
    """Within the histogram's error (`cases.metricsrollup`): 2.2%, or 1 s under 1 s."""
    assert got is not None and exact is not None
    return abs(got - exact) <= max(1.0, exact * (2 ** (1 / 32) - 1))


@pytest.mark.parametrize("seed", [1, 2])
def test_every_team_counts_as_the_alerts_do(desk: CaseDesk, seed: int) -> None:
    fill(desk, seed)
    windows = [(MIDNIGHT, MIDNIGHT + 2 * DAY, EVERYWHERE),          # whole days only
               (MIDNIGHT - DAY / 3, MIDNIGHT + 2.5 * DAY, EVERYWHERE),  # and edges
               (MIDNIGHT - DAY, MIDNIGHT + 4 * DAY, EU),             # seen from eu
               (MIDNIGHT + DAY / 4, MIDNIGHT + DAY / 2, EVERYWHERE)]  # no whole day
    for start, end, scope in windows:
        w = Window("t", start, end, MIDNIGHT + 4 * DAY, scope)
        with desk.store.session() as s:
            m, want = metrics(s, w), brute_force(s, w)
        assert m.alerts == want["total"] > 0
        assert volumes(m) == {k: dict(v) for k, v in want["groups"].items()}
        assert m.detect.measured == len(want["took"])
        assert m.detect.unmeasured == want["total"] - len(want["took"])
        exact = of_values(want["took"])
        assert close(m.detect.median_seconds, exact.median)
        assert close(m.detect.p90_seconds, exact.p90)
        assert sum(t.alerts for t in m.volumes.teams) == m.alerts
        assert m.conversion.in_cases == sum(v[2] for v in want["groups"]["source"].values())


def test_a_histogram_quantile_lies_within_its_buckets() -> None:
    rng = random.Random(5)
    for values in ([rng.expovariate(1 / 600) for _ in range(2000)],
                   [rng.lognormvariate(9, 2) for _ in range(501)],
                   [0.2, 0.4, 3600.0], [86400.0] * 7):
        histogram: dict[int, int] = defaultdict(int)
        for v in values:
            histogram[metricsrollup.bucket(v)] += 1
        exact = of_values(values)
        for q, want in ((0.5, exact.median), (0.9, exact.p90)):
            assert close(metricsrollup.quantile(histogram, q), want)
        assert metricsrollup.quantile(histogram, 0.5) == pytest.approx(
            statistics.median(values), rel=0.022, abs=1.0)
    for k in (0, 1, 31, 32, 400):
        low, high = metricsrollup.bounds(k)
        assert metricsrollup.bucket(low * 1.000001 + 1e-9) == k
        assert metricsrollup.bucket(high * 0.999999) == k
        assert metricsrollup.bucket(high * 1.000001) == k + 1


def test_sla_compliance_from_stored_clocks_equals_the_recomputation(world: World) -> None:
    world.ws.sla_policy_set("high", "30m", "4h", "wall")
    world.ws.sla_policy_set("medium", "1h", "8h", "business")
    minute = timedelta(minutes=1)
    cases = [world.case("eu"), world.case("us", severity=3), world.case(None)]
    world.clock.advance(20 * minute)
    world.ws.case_acknowledge(world.viewer("ada"), cases[0].id)
    world.clock.advance(50 * minute)
    world.ws.case_resolve(world.viewer("ada"), cases[0].id, "true_positive")
    late = world.case("eu")
    world.clock.advance(40 * minute)   # the case without a region moves to soc-apac
    world.ws.case_update(world.viewer("ada"), cases[2].id, CaseChange(team="soc-apac"))
    world.clock.advance(140 * minute)
    tick = world.clock.now()
    world.ws.sla_tick()
    since, until = FRI - DAY, FRI + DAY

    def both(now: datetime, scope: Scope = EVERYWHERE) -> tuple[Any, Any]:
        with world.ws.state.session() as s:
            return (compliance.stored(s, since, until, now, scope=scope),
                    compliance.report(s, since, until, now, scope=scope).overall)

    got, at_tick = both(tick)
    assert got == at_tick and (got.ack_met, got.ack_breached) == (1, 3)
    later = tick + 2 * DAY   # `late`'s resolve clock falls due after the tick
    got, want = both(later)
    assert got == want and got.resolve_breached > both(tick)[0].resolve_breached
    assert both(later, EU)[0] == both(later, EU)[1]
    assert both(FRI)[0] is None   # asked before the states stored were known
    world.clock.set(tick + 30 * minute)   # resolved in time, no tick since: recomputed
    world.ws.case_resolve(world.viewer("ada"), late.id, "true_positive")
    settled, want = both(later)
    assert settled == want and settled.resolve_breached == got.resolve_breached - 1
    with world.ws.state.session() as s:
        m = metrics(s, Window("t", since, until, tick, EVERYWHERE))
        rows = compliance.report(s, since, until, later).by_team
        assert {r.group for r in rows} >= {"soc-apac", "soc-eu"}
        for r in rows:   # one team's row from the cases it may have owned
            assert compliance.team_row(s, since, until, later, r.group) == r
        assert compliance.team_row(s, since, until, later, "soc-us").cases == 0 \
            or "soc-us" in {r.group for r in rows}
    assert (m.sla, m.sla_cases) == (at_tick, at_tick.cases) and late.id
