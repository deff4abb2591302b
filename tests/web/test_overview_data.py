"""What the dashboard's overview and sources pages count, through the facade's parts:
alerts per day and severity and the open backlog in a scope (both stores), and events,
freshness and quarantine per source in the lake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cases.casework import build_lake
from helpers.cert_files import HEADERS, logon_row, write
from helpers.state import T0, alert
from watchkeeper.cases.overview import last_fired, queue_overview
from watchkeeper.cases.rollups import rebuild
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.lake.activity import coverage_of, source_coverage, sources_overview
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.sources.base import SourceContext
from watchkeeper.store import StateStore

EU = Scope(True, False, frozenset({"eu"}), False)


def test_alerts_per_day_and_the_open_backlog_keep_to_the_scope(
        state_store: StateStore) -> None:
    with state_store.session() as s:
        s.add_all([alert(0, region="eu", severity=4),                       # day 1, 09:30
                   alert(1, region="eu", severity=4),                       # day 1, 10:30
                   alert(30, region="eu", severity=2, status="resolved"),   # day 2
                   alert(2, region="us", severity=5)])
    with state_store.session() as s:   # rows added past the intake: counted again
        rebuild(s)
    with state_store.session() as s:
        seen = queue_overview(s, EU, T0.date())
        everything = queue_overview(s, EVERYWHERE, T0.date())
        later = queue_overview(s, EVERYWHERE, T0.date() + dt.timedelta(days=2))
    day1, day2 = T0.date(), T0.date() + dt.timedelta(days=1)
    assert [(d.day, d.severity_name, d.alerts) for d in seen.per_day] == [
        (day1, "high", 2), (day2, "low", 1)]
    assert [(b.severity_name, b.alerts) for b in seen.backlog] == [("high", 2)]
    assert seen.backlog[0].oldest is not None
    assert seen.backlog[0].oldest == T0.date()
    assert seen.open_alerts == 2 and everything.open_alerts == 3
    assert later.per_day == () and later.open_alerts == 3   # the backlog has no period
    with state_store.session() as s:
        newest = last_fired(s, EU)
    assert {rule: t.replace(tzinfo=dt.UTC) for rule, t in newest.items()} == {
        "after_hours_logon": T0 + dt.timedelta(hours=30)}


def test_sources_count_events_per_day_freshness_and_quarantine(tmp_path: Path) -> None:
    logons = write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
                   [logon_row(i, "ACM2278", "PC-6377", 4) for i in range(3)]
                   + [logon_row(9, "ACM2278", "PC-6377", 5)]
                   + ["{X1},not a date,ACM2278,PC-6377,Logon"])
    lake = Lake(tmp_path / "lake")
    ingest(lake, [logons], "cert", SourceContext())
    found = sources_overview(lake, dt.date(2010, 1, 1))
    by_day = {(d.day.day, d.event_class): d.events for d in found.per_day}
    assert sum(by_day.values()) == 4 and len(by_day) == 2
    (source,) = [s for s in found.sources if s.events]
    assert source.events == 4 and source.newest is not None
    assert sum(s.quarantined for s in found.sources) == 1
    assert found.last_commit is not None
    assert sources_overview(lake, dt.date(2011, 1, 1)).per_day == ()


def test_coverage_names_a_source_that_stopped_and_the_people_it_misses() -> None:
    at = dt.datetime(2010, 1, 20, 9, tzinfo=dt.UTC)
    found = coverage_of({"fresh": at, "old": at - dt.timedelta(days=9, hours=1)},
                        {"fresh": {"A", "B"}, "old": {"A"}}, {"A", "B", "C"})
    by_source = {s.source: s for s in found.sources}
    assert [s.source for s in found.stopped] == ["old"]
    assert by_source["old"].behind_days == 9 and by_source["fresh"].behind_days == 0
    assert [(s.people_seen, s.people_missing) for s in found.sources] == [(2, 1), (1, 2)]


def test_coverage_of_a_lake_counts_people_without_events_of_a_source(
        tmp_path: Path) -> None:
    found = source_coverage(build_lake(tmp_path))
    (cert,) = [s for s in found.sources if s.people_seen]
    assert cert.people_seen == 2 and not cert.stopped
    assert cert.people_missing == found.people - 2 and found.people > 2


def test_top_people_by_risk_keep_to_the_viewers_regions_with_their_trend(
        tmp_path: Path) -> None:
    import pyarrow as pa

    from web.world import build_world
    ws, alerts = build_world(tmp_path / "ws", None)
    days = [dt.date(2010, 1, d) for d in (3, 4, 5)]
    rows = [("ACM2278", d, 10.0 * (i + 1)) for i, d in enumerate(days)] + \
           [("REP", d, 1.0) for d in days] + [("PEER", days[-1], 0.0)]
    ws.analysis.save({"risk_history": pa.table({
        "user": [r[0] for r in rows], "day": [r[1] for r in rows],
        "score": [r[2] for r in rows], "alert": [False] * len(rows),
        "scenario": [None] * len(rows)})}, {"last_day": "2010-01-05"})
    lee = ws.case_viewer("lee")
    found = ws.top_people(lee, limit=5, days=30)
    assert [(p.pseudonym, p.rank, p.score, p.trend) for p in found][:1] == [
        (alerts.subject, 1, 30.0, (10.0, 20.0, 30.0))]
    assert all(p.score > 0 for p in found)                  # PEER scored 0: not ranked
    assert "ACM2278" not in repr(found)                      # pseudonyms only
    assert ws.top_people(ws.case_viewer("audrey")) == ()     # no case content
    assert alerts.subject in [p.pseudonym for p in ws.top_people(ws.case_viewer("bob"))]
    ws.set_account_person("bob", "PEER")                     # ACM2278 reports to PEER
    assert alerts.subject not in [p.pseudonym for p in ws.top_people(ws.case_viewer("bob"))]
    ws.set_account_person("bob", "ACM2278")                  # themselves
    assert alerts.subject not in [p.pseudonym for p in ws.top_people(ws.case_viewer("bob"))]
    assert [p.pseudonym for p in ws.top_people(lee)][:1] == [alerts.subject]   # lee is not
    ws.close_state()


def test_the_sources_overview_is_kept_until_the_lakes_next_commit(tmp_path: Path) -> None:
    from web.world import build_world
    ws, _ = build_world(tmp_path / "ws", None)
    since = dt.date(2010, 1, 1)
    first = ws.sources_overview(since)
    assert ws.sources_overview(since) is first                   # no commit: kept
    logons = write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
                   [logon_row(900 + i, "ACM2278", "PC-6377", 6) for i in range(3)])
    ingest(ws.lake, [logons], "cert", SourceContext())
    after = ws.sources_overview(since)
    assert after is not first
    assert sum(d.events for d in after.per_day) == sum(d.events for d in first.per_day) + 3
    assert after == sources_overview(ws.lake, since)             # what the lake says
    ws.close_state()
