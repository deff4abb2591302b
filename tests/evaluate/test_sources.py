"""Source families: the runs `--by-source` plans, metric changes, and the evidence
shares `sources value` gives (hand-computed values)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from watchkeeper.evaluate.render_sources import render_by_source, render_value
from watchkeeper.evaluate.sources import (
    BySourceReport,
    RunKind,
    RunResult,
    change,
    plan,
)
from watchkeeper.risk.sources import (
    BASE,
    SourcesValue,
    alert_evidence,
    deviating_features,
    feature_family,
    ref_families,
    source_value,
)

D0 = dt.date(2025, 3, 3)


def test_plan_leaves_each_out_and_adds_each_to_the_base() -> None:
    runs = plan({"logons", "directory", "email", "web"})
    assert [(r.kind.value, r.family) for r in runs] == [
        ("all", None),
        ("without", "logons"),
        ("without", "directory"),
        ("without", "email"),
        ("without", "web"),
        ("base", None),
        ("with", "email"),
        ("with", "web"),
    ]
    assert runs[0].families == ("logons", "directory", "email", "web")
    assert runs[3].families == ("logons", "directory", "web")
    assert runs[5].families == BASE == ("logons", "directory")
    assert runs[7].families == ("logons", "directory", "web")
    assert [r.label for r in runs[:2]] == ["all sources", "- logons"]
    assert runs[6].label == "base + email"


def test_plan_without_a_base_family_has_a_smaller_base() -> None:
    runs = plan({"logons", "email"})
    assert [r.families for r in runs if r.kind is RunKind.BASE] == [("logons",)]


def test_change_is_the_difference_per_metric() -> None:
    assert change({"a": 0.9, "b": None, "c": 2.0}, {"a": 0.8, "b": 1.0, "c": None}) == {
        "a": pytest.approx(0.1),
        "b": None,
        "c": None,
    }


def test_families_of_features_and_references() -> None:
    assert feature_family("logon_after_hours") == "logons"
    assert feature_family("session_minutes") == "logons"
    assert feature_family("ds_records_exported") == "datastore"
    assert feature_family("first_usb", "first_time") == "usb"
    assert feature_family("email_sent", "email") == "email"
    assert feature_family("something_new") == "unattributed"
    assert ref_families(["email:x", "finding:e1", "feature:web_uploads", "scenario:s"]) == [
        "email",
        "findings",
        "web",
    ]


def _events() -> pa.Table:
    rows = [
        ("A", 0, "anomaly:A:0", 1.0, ["email:x", "web:y"]),
        ("A", 1, "e1", 1.0, ["finding:e1"]),
        ("A", 3, "scenario:s:A:3", 5.0, ["scenario:s"]),
        ("A", 7, "indicator:usb:A:7", 2.0, ["feature:usb_connects"]),
        ("A", 9, "sustained:A:9", 1.0, []),
        ("B", 0, "anomaly:B:0", 3.0, ["email:z"]),
    ]
    return pa.Table.from_pylist(
        [
            {"user": u, "day": D0 + dt.timedelta(days=d), "signal_id": s, "score": v, "refs": r}
            for u, d, s, v, r in rows
        ]
    )


def test_alert_evidence_decays_and_shares_out() -> None:
    alerts = pa.Table.from_pylist([{"user": "A", "day": D0 + dt.timedelta(days=7)}])
    got = alert_evidence(_events(), alerts, half_life_days=7.0)
    # day 0: 1.0 * 0.5 split over email and web; day 1: 0.5 ** (6/7) to findings;
    # day 7: 2.0 to usb; the scenario restates, the day-9 event comes after the alert
    assert got == pytest.approx(
        {"email": 0.25, "web": 0.25, "findings": 0.5 ** (6 / 7), "usb": 2.0}
    )


def _top(feature: str, z: float, family: str) -> dict[str, object]:
    return {
        "feature": feature,
        "value": 1.0,
        "self_baseline": 0.0,
        "peer_baseline": 0.0,
        "z": z,
        "family": family,
    }


def test_deviating_features_count_per_family() -> None:
    anomalies = pa.Table.from_pylist(
        [
            {
                "top_features": [
                    _top("email_sent", 3.0, "email"),
                    _top("logon_count", -2.5, "logon"),
                ]
            },
            {"top_features": [_top("email_bcc", 1.0, "email"), _top("usb_connects", 2.0, "usb")]},
            {"top_features": None},
        ]
    )
    assert deviating_features(anomalies, 2.0) == {"email": 1, "logons": 1, "usb": 1}


def test_source_value_shares_and_text() -> None:
    rows = source_value(
        {"email": 3.0, "usb": 1.0},
        {"email": 1, "logons": 3},
        {"logons": 100, "email": 50, "directory": 10, "web": 0},
    )
    assert [(v.family, v.alert_share, v.deviation_share) for v in rows] == [
        ("email", 0.75, 0.25),
        ("usb", 0.25, 0.0),
        ("logons", 0.0, 0.75),
        ("directory", 0.0, 0.0),
    ]
    text = render_value(SourcesValue(rows, 4, 4))
    assert "email" in text and max(map(len, text.splitlines())) <= 80


def test_by_source_table_fits_80_columns() -> None:
    metrics = {
        "person_auc": 0.91,
        "average_precision": 0.5,
        "leavers_auc": 0.8,
        "alerted_within_3d": 0.75,
        "alerted_within_7d": 1.0,
        "false_alerts_per_day_per_1000": 12.345,
        "warned_1d": 0.1,
        "false_warnings_per_day_per_1000": 1.0,
    }
    worse = {k: -v for k, v in metrics.items()}
    report = BySourceReport(
        BASE,
        [
            RunResult("all sources", RunKind.ALL, None, ("logons",), metrics, {}, 1.0),
            RunResult(
                "- rule findings/alerts", RunKind.WITHOUT, "findings", (), metrics, worse, 1.0
            ),
        ],
    )
    lines = render_by_source(report).splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[2].split()[:3] == ["all", "sources", "0.910"]
    assert "-0.910" in lines[3] and "-75%" in lines[3] and "-12.3" in lines[3]
