"""Timelines and summaries of real simulated insiders around the alerts they raised."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cases.simlake import KeyEvent, SimCase
from watchkeeper.analysis import AnalysisStore, Explaining
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.person import person_context
from watchkeeper.cases.summary import summarize_case
from watchkeeper.cases.timeline import (
    alert_event_ids,
    alert_times,
    build_timeline,
    window_around,
)
from watchkeeper.errors import NotFoundError


def to_alert(finding: dict[str, Any]) -> AlertIn:
    """A workspace finding as the alert intake would normalize it."""
    return AlertIn(source="watchkeeper.detect", source_ref=finding["event_id"],
                   title=finding["title"], severity=Severity.from_name(finding["severity"]),
                   event_time=finding["time"], raw="{}", rule=finding["rule_id"],
                   subjects=(finding["user"],), hosts=(finding["host"],),
                   finding_ids=(finding["event_id"],))


def insider_alerts(case: SimCase) -> dict[str, tuple[list[KeyEvent], dict[str, Any]]]:
    """Per insider: their answer-key events, and the first finding raised on any of them."""
    table = case.ws.lake.table("finding")
    findings = sorted(table.to_pyarrow().to_pylist(), key=lambda f: (f["time"], f["event_id"]))
    out = {}
    for user in sorted({k.user for k in case.key}):
        key = [k for k in case.key if k.user == user]
        ids = {k.event_id for k in key}
        hit = [f for f in findings if f["user"] == user and ids & set(f["event_refs"] or ())]
        if hit:
            out[user] = (key, hit[0])
    return out


def test_insider_timeline_holds_the_scenario_events_marked(sim_case: SimCase) -> None:
    lake = sim_case.ws.lake
    cases = insider_alerts(sim_case)
    assert len(cases) >= 5  # most scenarios raise a finding on their own events
    for user, (key, finding) in cases.items():
        alerts = [to_alert(finding)]
        window = window_around(alert_times(alerts))
        marked = alert_event_ids(lake, alerts, window)
        assert finding["event_id"] in marked and set(finding["event_refs"]) <= marked
        tl = build_timeline(lake, [user], [finding["host"]], window.start, window.end,
                            marked)
        got = {e.event_id: e for e in tl.events}
        inside = [k for k in key if window.start <= k.time <= window.end]
        assert inside, user
        # every scenario event of the window is on the timeline, by person and time
        assert {k.event_id for k in inside} <= set(got), user
        assert all(got[k.event_id].user == k.actor for k in inside)
        # the events behind the alert are marked, and they are scenario events
        flagged = {e.event_id for e in tl.events if e.marked}
        assert flagged == (marked & set(got)) and flagged & {k.event_id for k in inside}
        assert got[finding["event_id"]].cls == "finding"
        assert not tl.truncated and tl.total == len(tl.events)
        assert all(window.start <= e.time <= window.end for e in tl.events)
        assert [e.time for e in tl.events] == sorted(e.time for e in tl.events)


def test_insider_summary_names_the_alert_the_person_and_the_marked_events(
        sim_case: SimCase) -> None:
    lake = sim_case.ws.lake
    for user, (_, finding) in insider_alerts(sim_case).items():
        alerts = [to_alert(finding)]
        window = window_around(alert_times(alerts))
        tl = build_timeline(lake, [user], [finding["host"]], window.start, window.end,
                            alert_event_ids(lake, alerts, window))
        day: dt.date = finding["time"].date()
        try:
            explanation = sim_case.ws.risk_explain(user, day)
        except NotFoundError:
            explanation = None
        person = person_context(lake, user, day)
        assert person is not None and person.user == user
        text = summarize_case(alerts, explanation, tl, person)
        assert text == summarize_case(alerts, explanation, tl, person)
        assert f"`{finding['rule_id']}`" in text and f"about {user} on " in text
        assert f"On {day.isoformat()} {user}" in text
        if person.end_date is not None:
            assert f"Last working day {person.end_date.isoformat()}." in text
        if explanation is not None:
            assert f"Risk score {explanation.score:.2f} for {user}" in text
        assert "behind the alerts" in text and f"{tl.total:,} event" in text


def test_case_summaries_explain_as_risk_explain_does_reading_the_analysis_once_per_run(
        sim_case: SimCase, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = sim_case.ws
    reads: list[str] = []
    explaining = AnalysisStore.explaining

    def counted(store: AnalysisStore) -> Explaining:
        found = explaining(store)
        reads.append(found.run)
        return found

    monkeypatch.setattr(AnalysisStore, "explaining", counted)
    monkeypatch.setattr(ws, "_explaining", None)
    asked = [(user, finding["time"].date())
             for user, (_, finding) in insider_alerts(sim_case).items()]
    for user, day in asked:
        try:
            expected = ws.risk_explain(user, day)
        except NotFoundError:
            with pytest.raises(NotFoundError):
                ws._case_explain(user, day)
            continue
        assert ws._case_explain(user, day) == expected
    assert len(reads) == 1
    meta = ws.analysis.meta() or {}
    newer = ws.analysis.root / "run-newer"   # a later run (the same tables) is read again
    newer.symlink_to(ws.analysis.root / meta["run"])
    try:
        monkeypatch.setattr(AnalysisStore, "meta", lambda _: {**meta, "run": newer.name})
        ws._case_explain(*asked[0])
    finally:
        newer.unlink()
    assert reads == [meta["run"], newer.name]
