"""score_risk end to end on hand-made anomalies, findings and people (exact values)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.errors import NotFoundError
from watchkeeper.risk import RiskConfig, RiskResult, explain, score_risk, top
from watchkeeper.risk.signals import day_percentile, surprise
from watchkeeper.schema import PEOPLE

D0 = dt.date(2025, 1, 6)
TOP = pa.struct([("feature", pa.string()), ("value", pa.float64()),
                 ("self_baseline", pa.float64()), ("peer_baseline", pa.float64()),
                 ("z", pa.float64()), ("family", pa.string())])
ANOMALIES = pa.schema([("user", pa.string()), ("day", pa.date32()), ("score", pa.float64()),
                       ("robust", pa.float64()), ("model", pa.float64()),
                       ("top_features", pa.list_(TOP)),
                       ("evidence", pa.list_(pa.struct([("class", pa.string()),
                                                        ("filter", pa.string())])))])


@dataclass(frozen=True)
class Behaviour:
    """A stand-in for watchkeeper.ueba.BehaviourResult."""

    features: pa.Table
    anomalies: pa.Table


RAW = RiskConfig(anomaly_scale="raw")  # most tests use raw scores; day ranks are tested below


def _score(*args: Any, **kw: Any) -> RiskResult:
    kw.setdefault("config", RAW)
    return score_risk(*args, **kw)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def anomaly(user: str, n: int, risk: float, feature: str = "usb_connects") -> dict[str, Any]:
    """An anomaly whose score turns into exactly `risk` (surprise above the default floor)."""
    score = 1.0 - (1.0 - RiskConfig().anomaly_floor) / 10**risk
    return {"user": user, "day": day(n), "score": score, "robust": score, "model": score,
            "top_features": [{"feature": feature, "value": 5.0, "self_baseline": 0.0,
                              "peer_baseline": 0.1, "z": 6.0, "family": "device"}],
            "evidence": [{"class": "peripheral", "filter": f"user = '{user}'"}]}


def behaviour(rows: list[dict[str, Any]], features: list[dict[str, Any]] | None = None,
              last: int = 20) -> Behaviour:
    feats = features or []
    users = sorted({r["user"] for r in rows + feats} or {"AAA0001"})
    base = [{"user": u, "day": day(n)} for u in users for n in range(last + 1)]
    extra: dict[tuple[str, dt.date], dict[str, Any]] = {(f["user"], f["day"]): f for f in feats}
    names = sorted({k for f in feats for k in f} - {"user", "day"})
    table = pa.Table.from_pylist([{**b, **{k: float(extra.get((b["user"], b["day"]), {})
                                                   .get(k, 0.0)) for k in names}}
                                  for b in base])
    return Behaviour(table, pa.Table.from_pylist(rows, schema=ANOMALIES))


def person(user: str, **kw: Any) -> dict[str, Any]:
    row = {"user": user, "role": "Analyst", "valid_from": day(-400), "valid_to": None,
           "watchlists": []}
    row.update(kw)
    return row


def people(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=PEOPLE.schema)


def scores(result: Any, user: str) -> list[float]:
    h = result.history.filter(pa.compute.equal(result.history["user"], user))
    return [round(x, 6) for x in h["score"].to_pylist()]


def test_decayed_score_of_one_anomaly() -> None:
    r = _score(behaviour([anomaly("U1", 0, 0.8)]), people=people(person("U1")))
    s = scores(r, "U1")
    assert s[0] == pytest.approx(0.8) and s[7] == pytest.approx(0.4)
    assert s[14] == pytest.approx(0.2)
    assert r.events.num_rows == 1 and r.events["source"][0].as_py() == "anomaly"
    assert "usb_connects=5 (self 0, peers 0.1, z 6)" in r.events["reason"][0].as_py()


def test_anomaly_risk_is_surprise_above_the_floor() -> None:
    assert surprise(0.95, 0.95) == 0.0 and surprise(0.995, 0.95) == pytest.approx(1.0)
    assert surprise(0.9995, 0.95) == pytest.approx(2.0)
    assert surprise(1.0, 0.95) == pytest.approx(math.log10(0.05 / 1e-4))  # capped rarity
    r = _score(behaviour([anomaly("U1", 0, 0.0)]), people=people(person("U1")))
    assert r.events.num_rows == 0 and max(scores(r, "U1")) == 0.0


def test_per_source_cap_and_sources_add() -> None:
    rows = [anomaly("U1", n, 0.9) for n in range(10)]
    finding = {"event_id": "f1", "time": dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC),
               "user": "U1", "rule_id": "r.usb", "title": "USB", "severity": "high",
               "tags": [], "vendor": "watchkeeper", "raw": "{}"}
    cfg = RiskConfig(threshold=100.0, anomaly_scale="raw")
    r = _score(behaviour(rows), pa.Table.from_pylist([finding]), people(person("U1")),
                   config=cfg)
    h = r.history.to_pylist()
    assert max(x["anomaly"] for x in h) == pytest.approx(2.0)
    assert h[9]["rule"] == 0.75 and h[9]["score"] == pytest.approx(2.75)
    external = {**finding, "event_id": "f2", "vendor": "acme-dlp", "severity": "critical"}
    r2 = _score(behaviour([]), pa.Table.from_pylist([external]), people(person("U1")))
    assert r2.events["source"].to_pylist() == ["external"]
    assert max(x["external"] for x in r2.history.to_pylist()) == 0.8


def test_notice_counts_only_from_the_day_hr_knew_it() -> None:
    rows = [anomaly("U1", 5, 0.6, "logons"), anomaly("U1", 12, 0.6, "logons")]
    # a (bad) row that already shows a notice dated day 10: ignored before day 10
    hist = people(person("U1", notice_date=day(10), valid_from=day(-400)))
    h = _score(behaviour(rows), people=hist).history.to_pylist()
    assert [x["leaving"] for x in h[9:11]] == [False, True]
    assert h[5]["score"] == pytest.approx(0.6) and h[5]["modifier"] == 1.0
    assert h[12]["modifier"] == 1.5
    assert h[12]["score"] == pytest.approx((0.6 * 0.5 ** 1 + 0.6) * 1.5)


def test_departing_theft_scenario_needs_notice_before_exfiltration() -> None:
    hist = people(person("U1", notice_date=day(10), valid_from=day(10), valid_to=None),
                  person("U1", valid_to=day(10)))
    mail = "email_personal_recipients"
    before = _score(behaviour([anomaly("U1", 8, 0.6, mail)]), people=hist)
    assert {x["scenario"] for x in before.history.to_pylist()} == {None}
    after = _score(behaviour([anomaly("U1", 12, 0.6, mail)]), people=hist)
    h = after.history.to_pylist()
    assert h[12]["scenario"] == "departing-data-theft" and h[12]["rule"] == 1.0
    # (anomaly 0.6 + scenario rule 1.0) x leaving 1.5 x boost 1.5
    assert h[12]["score"] == pytest.approx(1.6 * 1.5 * 1.5)
    assert "scenario:departing-data-theft:U1:2025-01-18" in after.events["signal_id"].to_pylist()


def test_day_percentile_ranks_within_the_day() -> None:
    rows = [{**anomaly(u, 0, 0.0), "score": s} for u, s in (("A", 0.1), ("B", 0.1),
                                                             ("C", 0.3), ("D", 0.9))]
    rows.append({**anomaly("A", 1, 0.0), "score": 0.05})
    table = pa.Table.from_pylist(rows, schema=ANOMALIES)
    assert day_percentile(table).tolist() == [0.25, 0.25, 0.625, 0.875, 0.5]
    cfg = RiskConfig(anomaly_floor=0.8)
    r = score_risk(Behaviour(table.select(["user", "day"]), table), config=cfg)
    assert r.events["signal_id"].to_pylist() == ["anomaly:D:2025-01-06"]
    assert r.events["score"][0].as_py() == pytest.approx(math.log10(0.2 / 0.125))


def test_rare_indicator_is_a_rule_event() -> None:
    feats = [{"user": "U1", "day": day(3), "web_job": 2.0}]
    r = _score(behaviour([], feats), people=people(person("U1")))
    assert r.events["signal_id"].to_pylist() == ["indicator:job_search:U1:2025-01-09"]
    assert scores(r, "U1")[3] == pytest.approx(0.5)


def test_sustained_moderate_anomalies_become_an_event() -> None:
    rows = [{**anomaly("U1", n, 0.0), "score": 0.85} for n in range(12)]
    r = _score(behaviour(rows), people=people(person("U1")))
    ids = r.events["signal_id"].to_pylist()
    # the 10th day at or above 0.8 within 14 days is the first sustained day
    assert ids == ["sustained:U1:2025-01-15", "sustained:U1:2025-01-16",
                   "sustained:U1:2025-01-17"]
    assert scores(r, "U1")[9] == pytest.approx(0.15)


def test_leaving_soon_needs_the_end_date_known() -> None:
    hist = people(person("U1", valid_to=day(3)),
                  person("U1", valid_from=day(3), end_date=day(40)))
    h = _score(behaviour([anomaly("U1", 2, 0.6)]), people=hist).history.to_pylist()
    assert [x["leaving"] for x in h[:5]] == [False, False, False, False, False]
    assert h[10]["leaving"] is True  # 30 days before day 40


def test_privileged_watchlist_and_sensitivity_modifiers() -> None:
    rows = [anomaly("A", 0, 0.8), anomaly("W", 0, 0.8),
            anomaly("S", 0, 0.8, feature="ds_records_exported")]
    hist = people(person("A", role="SystemAdministrator"),
                  person("W", watchlists=["performance-improvement-plan"]),
                  person("S", role="SupportAgent"))
    touched = pa.table({"user": ["S"], "day": pa.array([day(0)], pa.date32()),
                        "sensitivity": ["restricted"]})
    r = _score(behaviour(rows), people=hist, touched=touched)
    assert scores(r, "A")[0] == pytest.approx(0.8 * 1.1)
    assert scores(r, "W")[0] == pytest.approx(0.8 * 1.3)
    assert scores(r, "S")[0] == pytest.approx(0.8 * 1.4)


def _leak(first: str, second: str) -> Behaviour:
    feats = [{"user": "U1", "day": day(1), first: 1.0}, {"user": "U1", "day": day(2), second: 1.0}]
    return behaviour([anomaly("U1", 2, 0.6, "logons")], feats)


def test_scenario_boosts_only_in_order() -> None:
    in_order = _score(_leak("first_after_hours_logon", "web_cloud_uploads"),
                          people=people(person("U1")))
    h = in_order.history.to_pylist()
    assert h[2]["scenario"] == "data-leak" and h[2]["boost"] == 1.5
    assert h[2]["score"] == pytest.approx((0.6 + 1.0) * 1.5) and h[1]["scenario"] is None
    reversed_ = _score(_leak("web_cloud_uploads", "first_after_hours_logon"),
                           people=people(person("U1")))
    assert {x["scenario"] for x in reversed_.history.to_pylist()} == {None}
    assert scores(reversed_, "U1")[2] == pytest.approx(0.6)


def test_alert_carries_scenario_and_reasons_and_rearms() -> None:
    rows = [anomaly("U1", 2, 0.8), anomaly("U1", 3, 0.8), anomaly("U1", 30, 0.8),
            anomaly("U1", 31, 0.8)]
    r = _score(behaviour(rows, last=35), people=people(person("U1")))
    # 0.8 >= threshold 0.6 opens the episode on day 2; day 3 (1.49) is the same episode;
    # by day 30 risk fell below the re-arm level 0.2, so day 30 opens a new one
    assert r.alerts["day"].to_pylist() == [day(2), day(30)]
    first = r.alerts["reasons"][0].as_py()[0]
    assert first.startswith("2025-01-08 anomaly 1.00 (day percentile 0.99")
    assert r.history["alert"].to_pylist().count(True) == 2


def test_top_and_explain() -> None:
    b = behaviour([anomaly("U1", 0, 0.9), anomaly("U2", 0, 0.6)])
    r = _score(b, people=people(person("U1"), person("U2")))
    ranked = top(r, day(0), limit=5)
    assert [(x.user, x.rank) for x in ranked] == [("U1", 1), ("U2", 2)]
    e = explain(r, b, "U1", day(1))
    assert e.by_source["anomaly"] == pytest.approx(0.9 * 0.5 ** (1 / 7))
    assert e.anomalies[0].top_features[0].feature == "usb_connects"
    assert e.score == pytest.approx(sum(e.by_source.values()) * e.modifiers.factor
                                    * e.scenario_boost)
    assert e.events[0].weight == pytest.approx(e.events[0].score * 0.5 ** (1 / 7))


def test_explain_refuses_unknown_people_and_days() -> None:
    b = behaviour([anomaly("U1", 0, 0.9)])
    r = _score(b, people=people(person("U1")))
    with pytest.raises(NotFoundError, match=r"no person 'U11'.*did you mean U1"):
        explain(r, b, "U11", day(1))
    with pytest.raises(NotFoundError, match="outside the analysed days"):
        explain(r, b, "U1", day(400))
    with pytest.raises(NotFoundError, match="outside the analysed days"):
        top(r, day(-1))


def test_everything_works_without_findings_or_people() -> None:
    r = _score(behaviour([anomaly("U1", 0, 0.5)]))
    assert r.history.num_rows == 21 and r.alerts.num_rows == 0


def test_a_rule_that_flags_many_people_counts_for_less() -> None:
    from watchkeeper.risk.signals import finding_events

    def f(i: int, rule: str, user: str, d: int) -> dict[str, object]:
        return {"event_id": f"{rule}{i}", "time": dt.datetime(2025, 1, d, 9, tzinfo=dt.UTC),
                "user": user, "rule_id": rule, "title": rule, "severity": "high",
                "tags": [], "vendor": "watchkeeper", "raw": "{}"}

    noisy = [f(i, "noisy", f"U{i:03d}", 10) for i in range(50)]  # half of 100 people
    rare = [f(0, "rare", "U001", 10)]
    later = [f(i, "early", f"U{i:03d}", 20) for i in range(50)]  # after the early one
    early = [f(0, "early", "U000", 5)]
    rows = pa.Table.from_pylist([*noisy, *noisy[:3], *rare, *early, *later])
    events = finding_events(rows, RiskConfig(), population=100)
    by = {(e["reason"].split()[1], e["user"], e["day"].day): e["score"] for e in events}
    assert by[("rare", "U001", 10)] == pytest.approx(0.75)
    assert by[("noisy", "U001", 10)] == pytest.approx(0.75 * 0.02 / 0.5)
    assert len([e for e in events if "noisy" in e["reason"]]) == 50  # one per user and day
    assert by[("early", "U000", 5)] == pytest.approx(0.75)  # later findings change nothing


def test_a_rule_that_flags_the_same_person_again_and_again_counts_for_less() -> None:
    from watchkeeper.risk.signals import finding_events

    def f(user: str, d: dt.date, rule: str = "mass_mail") -> dict[str, object]:
        return {"event_id": f"{rule}-{user}-{d}", "user": user, "rule_id": rule,
                "time": dt.datetime.combine(d, dt.time(9), tzinfo=dt.UTC), "title": rule,
                "severity": "high", "tags": [], "vendor": "watchkeeper", "raw": "{}"}

    # HR mails everyone every two weeks; the sysadmin's one mass mail is a first
    start = dt.date(2025, 1, 1)
    hr = [f("HR1", start + dt.timedelta(days=14 * k)) for k in range(8)]
    rows = [*hr, f("HR1", start + dt.timedelta(days=14 * 7), "other"), f("ADM", day(40))]
    events = finding_events(pa.Table.from_pylist(rows), RiskConfig(), population=100)
    hr_scores = [e["score"] for e in events if e["user"] == "HR1" and "mass_mail" in e["reason"]]
    # earlier days of the same rule within 90 days: 0, 1, ... 6, then 6 (day 0 fell out)
    assert hr_scores == pytest.approx([0.75 / (1 + n) for n in (0, 1, 2, 3, 4, 5, 6, 6)])
    assert "6 earlier days in 90" in [e for e in events if e["user"] == "HR1"][-2]["reason"]
    assert [e["score"] for e in events if e["user"] == "ADM"] == [pytest.approx(0.75)]
    other = [e for e in events if "other" in e["reason"]]
    assert other[0]["score"] == pytest.approx(0.75)   # another rule is news again
    off = finding_events(pa.Table.from_pylist(rows), RiskConfig(rule_self_window_days=0),
                         population=100)
    assert [e["score"] for e in off] == pytest.approx([0.75] * len(rows))


def test_personal_mail_from_a_colleagues_pc_alerts_on_its_own() -> None:
    feats = [{"user": "U1", "day": day(3), "email_personal_other_users_pc": 1.0,
              "email_personal_recipients": 1.0}]
    r = _score(behaviour([], feats), people=people(person("U1", role="SystemAdministrator")))
    assert "indicator:foreign_pc_mail:U1:2025-01-09" in r.events["signal_id"].to_pylist()
    assert r.alerts["day"].to_pylist() == [day(3)]   # 0.6 x1.1 for a privileged role


def test_escalation_inside_an_episode_raises_a_new_alert() -> None:
    """A person whose risk stays over the re-arm level (a noisy administrator) alerts again
    when risk doubles over its recent maximum, not when it merely stays high."""
    steady = [anomaly("U1", n, 0.1) for n in range(0, 36)]    # levels off near 1.06
    findings = pa.Table.from_pylist([
        {"event_id": f"f{k}", "time": dt.datetime(2025, 2, 5, 9, tzinfo=dt.UTC), "user": "U1",
         "rule_id": f"r{k}", "title": "t", "severity": "critical", "tags": [],
         "vendor": "watchkeeper", "raw": "{}"} for k in range(3)])           # day 30
    r = _score(behaviour(steady, last=35), findings, people=people(person("U1")))
    assert r.alerts["day"].to_pylist() == [day(8), day(30)]
    strict = _score(behaviour(steady, last=35), findings, people=people(person("U1")),
                    config=RiskConfig(anomaly_scale="raw", escalation_factor=0.0,
                                      realert_on_new_scenario=False,
                                      realert_on_fresh_evidence=False))
    assert strict.alerts["day"].to_pylist() == [day(8)]
    assert min(scores(strict, "U1")[8:]) > 0.2     # never re-armed


def test_escalation_waits_after_the_last_alert() -> None:
    from watchkeeper.risk.entity import alert_days

    score = pa.array([0.7, 1.5, 3.1, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.9]).to_numpy()[None, :]
    fired = alert_days(score, 0.6, 0.2, escalation_factor=2.0, escalation_window_days=14,
                       escalation_min_gap_days=7)
    # day 1 and 2 double the day before but come too soon after day 0's alert; day 10
    # is not an escalation (below twice the recent maximum) and the person is not re-armed
    assert fired[0].tolist() == [True] + [False] * 10
    fired = alert_days(score, 0.6, 0.2, escalation_factor=2.0, escalation_window_days=14,
                       escalation_min_gap_days=1)
    assert fired[0].tolist() == [True, True, True] + [False] * 8


def test_fresh_evidence_inside_an_old_episode_alerts_again() -> None:
    """Risk left over from an old alert (above re-arm) does not hide a new day whose own
    evidence would open an episode and outweighs what is left."""
    import numpy as np

    from watchkeeper.risk.entity import alert_days

    score = np.array([[0.7, 0.63, 0.57, 0.51, 0.46, 0.42, 0.38, 0.34, 0.31, 0.9, 0.5]])
    fresh = np.array([[0.7, 0, 0, 0, 0, 0, 0, 0, 0, 0.62, 0]])
    fired = alert_days(score, 0.6, 0.2, escalation_factor=2.0, fresh=fresh)
    assert fired[0].tolist() == [True] + [False] * 8 + [True, False]
    # too soon after the last alert, or less than half of the day's risk: no new alert
    assert not alert_days(score, 0.6, 0.2, escalation_min_gap_days=10, fresh=fresh)[0, 9]
    assert not alert_days(score * 1.5, 0.6, 0.2, fresh=fresh)[0, 9]


def test_a_scenario_completing_inside_an_episode_alerts_again() -> None:
    rows = [anomaly("U1", n, 0.5) for n in range(0, 6)]
    feats = [{"user": "U1", "day": day(4), "first_after_hours_logon": 1.0},
             {"user": "U1", "day": day(5), "web_cloud_uploads": 1.0}]
    r = _score(behaviour(rows, feats, last=8), people=people(person("U1")))
    alerts = r.alerts.to_pylist()
    assert [(a["day"], a["scenario"]) for a in alerts] == [(day(1), None),
                                                          (day(5), "data-leak")]
    off = _score(behaviour(rows, feats, last=8), people=people(person("U1")),
                 config=RiskConfig(anomaly_scale="raw", realert_on_new_scenario=False,
                                   escalation_factor=0.0, realert_on_fresh_evidence=False))
    assert off.alerts["day"].to_pylist() == [day(1)]


def test_data_access_without_a_declared_purpose_is_an_indicator() -> None:
    feats = [{"user": "U1", "day": day(3), "ds_sensitive_no_purpose_reads": 2.0}]
    touched = pa.table({"user": ["U1"], "day": pa.array([day(3)], pa.date32()),
                        "sensitivity": ["restricted"]})
    r = _score(behaviour([], feats), people=people(person("U1", role="DataEngineer")),
               touched=touched)
    assert r.events["signal_id"].to_pylist() == ["indicator:no_purpose:U1:2025-01-09"]
    assert sorted(r.events["kinds"][0].as_py()) == ["data_access", "no_purpose"]
    # 0.5, x1.4 for restricted data, x1.1 for a privileged role: an alert on the first day
    assert scores(r, "U1")[3] == pytest.approx(0.5 * 1.4 * 1.1)
    assert r.alerts["day"].to_pylist() == [day(3)]


def test_a_habit_of_reading_without_a_purpose_counts_for_less() -> None:
    from watchkeeper.risk.signals import indicator_events

    # a single read without ticket and purpose is below the minimum (more than one)
    feats = pa.Table.from_pylist(
        [{"user": "U1", "day": day(n), "ds_sensitive_no_purpose_reads": 3.0}
         for n in (1, 2, 4, 70)] + [{"user": "U2", "day": day(2),
                                     "ds_sensitive_no_purpose_reads": 1.0}])
    events = indicator_events(feats, RiskConfig(), population=100)
    assert [e["user"] for e in events] == ["U1"] * 4
    # the person's own earlier days in the 56 before: 0, 1, 2, then none (day 70)
    assert [e["score"] for e in events] == pytest.approx([0.5, 0.25, 0.5 / 3, 0.5])
    assert "2 earlier days in 56" in events[2]["reason"]
    plain = indicator_events(feats, RiskConfig(indicator_self_kinds=()), population=100)
    assert [e["score"] for e in plain] == pytest.approx([0.5] * 4)


def test_an_indicator_many_people_show_counts_for_less() -> None:
    from watchkeeper.risk.signals import indicator_events

    feats = pa.Table.from_pylist(
        [{"user": f"U{i:03d}", "day": day(1), "web_job": 1.0 if i < 20 else 0.0}
         for i in range(100)])
    events = indicator_events(feats, RiskConfig(), population=100)
    assert len(events) == 20 and "flags 20.0% of people" in events[0]["reason"]
    assert events[0]["score"] == pytest.approx(0.5 * 0.05 / 0.2)
    rare = indicator_events(feats.slice(15), RiskConfig(), population=100)   # 5 of 100
    assert [e["score"] for e in rare] == [pytest.approx(0.5)] * 5
