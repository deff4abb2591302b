"""Analyst feedback in risk scoring: false-positive verdicts mute a rule for a person for
a period, watchlists (HR's or an analyst's, one notion) multiply risk; `explain` says
both (exact values on hand-made findings and people)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from risk.test_score import _leak, anomaly, behaviour, day, people, person, scores
from watchkeeper.risk import RiskConfig, explain, score_risk
from watchkeeper.risk.feedback import (
    AnalystFeedback,
    FalsePositive,
    Watch,
    hr_watches,
    tag_factor,
)

RAW = RiskConfig(anomaly_scale="raw")
RULE = "insider.exfil.file_to_removable"


def finding(user: str, n: int, rule: str = RULE, severity: str = "high") -> dict[str, Any]:
    return {"event_id": f"f-{user}-{rule}-{n}",
            "time": dt.datetime.combine(day(n), dt.time(12), dt.UTC), "user": user,
            "rule_id": rule, "title": "Copy to USB", "severity": severity, "tags": [],
            "vendor": "watchkeeper", "raw": "{}"}


def fp(user: str, first: int, last: int, rule: str = RULE, case: int = 7) -> FalsePositive:
    return FalsePositive(user, rule, day(first), day(last), case, day(last + 30), "lee")


FINDINGS = pa.Table.from_pylist([finding("P", 2), finding("P", 5), finding("P", 12),
                                 finding("P", 5, "other.rule"), finding("Q", 5)])


def _run(feedback: AnalystFeedback | None = None, **kw: Any) -> Any:
    b = behaviour([anomaly("P", 0, 0.1)], last=20)
    return score_risk(b, FINDINGS, people(person("P"), person("Q")), None,
                      kw.get("config", RAW), feedback)


def test_a_false_positive_stops_the_rule_stacking_on_that_person_in_its_period() -> None:
    before = _run()
    after = _run(AnalystFeedback(false_positives=(fp("P", 2, 8),)))
    h0 = {r["day"]: r for r in before.history.to_pylist() if r["user"] == "P"}
    h1 = {r["day"]: r for r in after.history.to_pylist() if r["user"] == "P"}
    rate = 0.5 ** (1 / 7)
    high, other = 0.75, 0.75    # the severity score of a high finding, habit-discounted below
    # days 2 and 5 of RULE are muted; the other rule on day 5 and RULE on day 12 still count
    assert h0[day(2)]["rule"] == pytest.approx(high)
    assert h1[day(2)]["rule"] == 0.0 and h1[day(4)]["rule"] == 0.0
    assert h1[day(5)]["rule"] == pytest.approx(other)
    assert h1[day(12)]["rule"] == pytest.approx(other * rate ** 7 + high / 3)
    assert h0[day(12)]["rule"] > h1[day(12)]["rule"]
    assert [(m["day"], m["rule"], m["case_id"]) for m in after.muted.to_pylist()] == \
        [(day(2), RULE, 7), (day(5), RULE, 7)]
    # the same rule on another person, and another rule on this one, are untouched
    assert scores(after, "Q") == scores(before, "Q")


def test_explain_says_which_rule_a_verdict_muted_and_why() -> None:
    r = _run(AnalystFeedback(false_positives=(fp("P", 2, 8),)))
    e = explain(r, None, "P", day(6))
    assert len(e.muted) == 1
    m = e.muted[0]
    assert (m.rule, m.case_id, m.judged_by, m.first_day, m.last_day, m.events) == \
        (RULE, 7, "lee", day(2), day(8), 2)
    rate = 0.5 ** (1 / 7)
    assert m.weight == pytest.approx(0.75 * rate ** 4 + 0.75 / 2 * rate)
    assert all(RULE not in ev.reason for ev in e.events)
    assert explain(r, None, "P", day(1)).muted == ()      # before the judged alert
    assert explain(r, None, "Q", day(6)).muted == ()
    doc = e.to_dict()
    assert doc["muted"][0]["rule"] == RULE and doc["muted"][0]["case_id"] == 7


def test_watchlists_of_hr_and_analysts_are_one_modifier_with_their_origin() -> None:
    analyst = Watch("Q", "insider-watch", "analyst", day(3), day(9), "lee", "case 4")
    b = behaviour([anomaly("P", n, 0.5) for n in range(12)]
                  + [anomaly("Q", n, 0.5) for n in range(12)])
    hist = people(person("P", watchlists=["performance-improvement-plan"]), person("Q"))
    r = score_risk(b, None, hist, None, RAW, AnalystFeedback(watches=(analyst,)))
    base = score_risk(b, None, hist, None, RAW)
    q, q0 = scores(r, "Q"), scores(base, "Q")
    assert q[2] == q0[2] and q[10] == q0[10]
    assert q[3] == pytest.approx(q0[3] * 1.2) and q[9] == pytest.approx(q0[9] * 1.2)
    assert scores(r, "P")[5] == pytest.approx(scores(base, "P")[5])   # HR's, both runs
    e = explain(r, None, "Q", day(5))
    assert e.modifiers.watchlist == 1.2 and e.modifiers.factor == pytest.approx(1.2)
    assert [(w.watchlist, w.origin, w.added_by, w.reason, w.applies) for w in e.watchlists] \
        == [("insider-watch", "analyst", "lee", "case 4", True)]
    after = explain(r, None, "Q", day(11))
    assert after.modifiers.watchlist == 1.0 and not after.watchlists[0].applies
    hr = explain(r, None, "P", day(5))
    assert [(w.watchlist, w.origin, w.factor) for w in hr.watchlists] == \
        [("performance-improvement-plan", "hr", 1.3)]
    assert hr.modifiers.watchlist == 1.3


def test_a_person_on_two_lists_gets_the_larger_factor() -> None:
    b = behaviour([anomaly("P", 0, 0.5)])
    hist = people(person("P", watchlists=["departing"]))
    extra = Watch("P", "performance-improvement-plan", "analyst", day(0), None, "lee", "x")
    r = score_risk(b, None, hist, None, RAW, AnalystFeedback(watches=(extra,)))
    assert scores(r, "P")[0] == pytest.approx(0.5 * 1.3)
    assert tag_factor("departing", RAW) == 1.0 and tag_factor("anything", RAW) == 1.2


def test_hr_watches_join_consecutive_history_rows() -> None:
    rows = [person("P", valid_from=day(0), valid_to=day(5), watchlists=["pip"]),
            person("P", valid_from=day(5), valid_to=day(9), watchlists=["pip", "x"]),
            person("P", valid_from=day(9), valid_to=None, watchlists=[]),
            person("R", valid_from=day(0), valid_to=None, watchlists=["pip"])]
    found = {(w.user, w.watchlist): (w.since, w.until, w.origin) for w in hr_watches(
        people(*rows))}
    assert found == {("P", "pip"): (day(0), day(8), "hr"), ("P", "x"): (day(5), day(8), "hr"),
                     ("R", "pip"): (day(0), None, "hr")}


def test_a_false_positive_on_a_scenario_alert_mutes_the_template() -> None:
    leak = _leak("first_after_hours_logon", "web_cloud_uploads")
    hist = people(person("U1"))
    plain = score_risk(leak, None, hist, None, RAW)
    assert plain.history.to_pylist()[2]["scenario"] == "data-leak"
    verdict = FalsePositive("U1", "risk.data-leak", day(0), day(10), 3, day(11), "lee")
    r = score_risk(leak, None, hist, None, RAW, AnalystFeedback(false_positives=(verdict,)))
    h = r.history.to_pylist()[2]
    assert h["scenario"] is None and h["boost"] == 1.0
    assert h["score"] == pytest.approx(0.6)
    assert r.muted["rule"].to_pylist() == ["risk.data-leak"]
    assert explain(r, None, "U1", day(2)).muted[0].case_id == 3
