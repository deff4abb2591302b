"""The workspace's own detection findings and risk alerts enter the queue as alerts that
link their findings, events and risk explanation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from watchkeeper.cases.intake import DETECT, RISK, from_findings, from_risk_alerts
from watchkeeper.cases.model import Severity
from watchkeeper.detect.findings import finding_id, finding_rows
from watchkeeper.detect.packtypes import RuleMeta
from watchkeeper.detect.sql_rules import MATCH_SCHEMA
from watchkeeper.errors import IntakeError
from watchkeeper.risk.alerts import ALERTS_SCHEMA
from watchkeeper.risk.signals import EVENTS_SCHEMA

T0 = datetime(2025, 1, 15, 21, 2, tzinfo=UTC)
META = {"usb": RuleMeta(name="insider.usb_after_hours", title="USB use after hours",
                        level="high", tags=("exfiltration",))}


def findings() -> pa.Table:
    matches = pa.Table.from_pylist([
        {"rule_id": "usb", "time": T0, "user": "KMS9822", "host": "PC-6134",
         "event_refs": ["e2", "e1"], "window_start": datetime(2025, 1, 15, 20, tzinfo=UTC),
         "raw": None},
        {"rule_id": "usb", "time": T0, "user": "ACM2278", "host": None,
         "event_refs": ["e3"], "window_start": None, "raw": json.dumps({"x": 1})},
    ], schema=MATCH_SCHEMA)
    return finding_rows(matches, META)


def test_findings_become_detect_alerts_linking_finding_and_events() -> None:
    first, second = from_findings(findings())
    assert (first.source, first.source_ref) == (DETECT, finding_id("insider.usb_after_hours",
                                                                    ["e1", "e2"]))
    assert first.finding_ids == (first.source_ref,)
    assert (first.title, first.rule, first.rule_id) == ("USB use after hours",
                                                        "USB use after hours",
                                                        "insider.usb_after_hours")
    assert first.severity is Severity.HIGH
    assert (first.subjects, first.hosts) == (("KMS9822",), ("PC-6134",))
    assert (first.first_seen, first.event_time) == (datetime(2025, 1, 15, 20, tzinfo=UTC), T0)
    assert dict(first.extra)["event_refs"] == "e1 e2"
    assert json.loads(first.raw)["event_id"] == first.source_ref
    assert (second.hosts, second.first_seen) == ((), T0)


def test_other_vendors_findings_are_left_to_their_own_intake() -> None:
    table = findings()
    vendors = pa.array(["watchkeeper", "acme-dlp"])
    table = table.set_column(table.schema.get_field_index("vendor"), "vendor", vendors)
    assert len(from_findings(table)) == 1
    assert len(from_findings(table, vendor=None)) == 2


def test_a_table_without_the_finding_columns_is_refused() -> None:
    with pytest.raises(IntakeError, match=r"^findings: missing column"):
        from_findings(pa.table({"event_id": ["x"]}))


def risk_tables() -> tuple[pa.Table, pa.Table]:
    alerts = pa.Table.from_pylist([
        {"user": "KMS9822", "day": date(2025, 1, 15), "score": 1.35, "scenario": "usb_leak",
         "reasons": ["scenario usb_leak: USB leak", "2025-01-15 rule USB use after hours"]},
        {"user": "ACM2278", "day": date(2025, 1, 16), "score": 0.7, "scenario": None,
         "reasons": ["2025-01-16 anomaly"]},
    ], schema=ALERTS_SCHEMA)
    event = {"source": "rule", "signal_id": "s", "score": 0.75, "reason": "r", "kinds": []}
    events = pa.Table.from_pylist([
        {**event, "user": "KMS9822", "day": date(2024, 12, 31), "time": None,
         "refs": ["finding:wk:old"]},  # outside the 14 days before
        {**event, "user": "KMS9822", "day": date(2025, 1, 10),
         "time": datetime(2025, 1, 10, 9, tzinfo=UTC), "refs": ["finding:wk:a"]},
        {**event, "user": "KMS9822", "day": date(2025, 1, 15), "time": T0,
         "refs": ["finding:wk:b", "feature:usb_after_hours"]},
        {**event, "user": "KMS9822", "day": date(2025, 1, 16), "time": None,
         "refs": ["finding:wk:later"]},  # after the alert
    ], schema=EVENTS_SCHEMA)
    return alerts, events


def test_risk_alerts_become_risk_alerts_with_their_explanation_and_findings() -> None:
    alerts, events = risk_tables()
    first, second = from_risk_alerts(alerts, events)
    assert (first.source, first.source_ref) == (RISK, "KMS9822:2025-01-15")
    assert first.subjects == ("KMS9822",)
    assert first.description == ("scenario usb_leak: USB leak; 2025-01-15 rule USB use after "
                                 "hours")
    assert first.finding_ids == ("wk:a", "wk:b")
    assert (first.first_seen, first.event_time) == (datetime(2025, 1, 10, 9, tzinfo=UTC), T0)
    assert (first.severity, first.rule) == (Severity.HIGH, "usb_leak")
    assert dict(first.extra) == {"scenario": "usb_leak", "score": "1.35"}
    assert (second.source_ref, second.severity, second.finding_ids) == (
        "ACM2278:2025-01-16", Severity.MEDIUM, ())
    assert second.event_time == datetime(2025, 1, 16, tzinfo=UTC)
    assert json.loads(second.raw)["day"] == "2025-01-16"


def test_risk_alerts_without_events_still_enter_the_queue() -> None:
    alerts, _ = risk_tables()
    assert [a.finding_ids for a in from_risk_alerts(alerts)] == [(), ()]
    with pytest.raises(IntakeError, match=r"^risk_events: missing column"):
        from_risk_alerts(alerts, pa.table({"user": ["x"]}))
