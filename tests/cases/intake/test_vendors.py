"""Vendor payloads (fixtures follow the vendors' documented samples, see
tests/cases/fixtures/README.md) normalize to the one alert model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cases.intake import FORMATS, parse_payload, recognize
from watchkeeper.cases.model import AlertIn, Observable, Severity
from watchkeeper.errors import IntakeError, WatchkeeperError

FIXTURES = Path(__file__).parents[1] / "fixtures"


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def doc(name: str) -> Any:
    return json.loads(text(name))


def one(payload: Any, **kwargs: Any) -> AlertIn:
    alerts = parse_payload(payload, **kwargs)
    assert len(alerts) == 1
    return alerts[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ---------------------------------------------------------------------------- recognizing


@pytest.mark.parametrize(("name", "fmt"), [
    ("ocsf_detection_finding.json", "ocsf"), ("ocsf_data_security_finding.json", "ocsf"),
    ("splunk_webhook_documented.json", "splunk"), ("splunk_webhook_usb.json", "splunk"),
    ("sentinel_incident_get.json", "sentinel"), ("sentinel_incidents_list.json", "sentinel"),
    ("sentinel_logicapp_incident.json", "sentinel"), ("elastic_alert.json", "elastic"),
    ("elastic_search_response.json", "elastic"),
])
def test_each_fixture_is_recognized(name: str, fmt: str) -> None:
    assert recognize(text(name)) == fmt
    assert recognize(doc(name)) == fmt
    if not name.endswith(("list.json", "response.json")):  # a vendor list is not an alert
        assert recognize([doc(name)]) == fmt


def test_an_unknown_payload_names_the_known_formats() -> None:
    with pytest.raises(IntakeError) as info:
        recognize({"alert": "x"})
    assert str(info.value) == ("(payload): unknown alert format (known: ocsf, splunk, "
                               "sentinel, elastic; or give a mapping)")
    assert isinstance(info.value, WatchkeeperError)
    with pytest.raises(IntakeError, match=r"^alerts\[1\]: unknown alert format"):
        parse_payload([doc("elastic_alert.json"), {"alert": "x"}])


def test_an_unknown_forced_format_is_refused() -> None:
    with pytest.raises(IntakeError, match=r"^format: unknown format 'qradar' \(known: ocsf"):
        parse_payload(doc("elastic_alert.json"), fmt="qradar")
    assert set(FORMATS) == {"ocsf", "splunk", "sentinel", "elastic"}


# ---------------------------------------------------------------------------- OCSF


def test_ocsf_detection_finding() -> None:
    alert = one(text("ocsf_detection_finding.json"))
    assert (alert.source, alert.source_ref, alert.class_uid) == ("ocsf", "acme-edr-7731", 2004)
    assert alert.title == "Bulk copy to removable media after hours"
    assert (alert.severity, alert.status) == (Severity.HIGH, "new")
    assert (alert.rule, alert.rule_id) == ("USB bulk copy after hours",
                                           "acme.usb.bulk_after_hours")
    assert alert.subjects == ("KMS9822",)  # DTAA\KMS9822 as the lake knows it
    assert alert.hosts == ("PC-6134",)
    assert Observable("ip", "10.1.4.22") in alert.observables
    assert Observable("file_name", "Q4-payroll.xlsx") in alert.observables
    assert alert.event_time == utc(2025, 1, 15, 21, 2, 11, 500000) == alert.first_seen
    assert alert.last_seen == utc(2025, 1, 15, 21, 9, 40)
    assert alert.region == "us-east"
    assert dict(alert.extra)["related_events"] == "evt-5501, evt-5502"
    assert alert.raw == text("ocsf_detection_finding.json")


def test_ocsf_data_security_finding() -> None:
    alert = one(doc("ocsf_data_security_finding.json"))
    assert (alert.class_uid, alert.severity, alert.status) == (2006, Severity.MEDIUM,
                                                               "in_progress")
    assert alert.subjects == ("acm2278",)  # acm2278@dtaa.com, case kept as given
    assert alert.hosts == ("PC-1010",)
    assert alert.region == "eu-central-1"
    assert alert.event_time == utc(2025, 1, 16, 8, 20)  # first_seen_time, epoch ms
    extra = dict(alert.extra)
    assert (extra["policy"], extra["database"], extra["table"]) == ("PII export", "crm",
                                                                    "customers")


@pytest.mark.parametrize(("change", "message"), [
    ({"severity_id": 7}, "alerts[1].severity_id: must be an integer 0-6 or 99"),
    ({"severity_id": "high"}, "alerts[1].severity_id: must be an integer 0-6 or 99"),
    ({"status_id": True}, "alerts[1].status_id: must be an integer 0-6 or 99"),
    ({"class_uid": 2001}, "alerts[1].class_uid: must be an integer 2004 or 2006"),
    ({"time": "yesterday"}, "alerts[1].time: cannot parse 'yesterday' as ISO-8601"),
    ({"time": None}, "alerts[1].time: missing"),
    ({"finding_info": {"title": "x"}}, "alerts[1].finding_info.uid: missing"),
    ({"finding_info": []}, "alerts[1].finding_info: expected an object, got array"),
    ({"evidences": [{"actor": {"user": ["x"]}}]},
     "alerts[1].evidences[0].actor.user: expected an object, got array"),
])
def test_a_malformed_ocsf_field_is_named_and_the_batch_refused(change: dict[str, Any],
                                                               message: str) -> None:
    bad = {**doc("ocsf_detection_finding.json"), **change}
    with pytest.raises(IntakeError) as info:
        parse_payload([doc("ocsf_data_security_finding.json"), bad])
    assert str(info.value) == message


# ---------------------------------------------------------------------------- Splunk


def test_splunk_webhook_with_a_result_row() -> None:
    alert = one(text("splunk_webhook_usb.json"))
    assert alert.source == "splunk"
    assert alert.source_ref.startswith("scheduler__admin__search__RMD5e3b0c44298fc1c14_at_")
    assert (alert.title, alert.rule) == ("Bulk copy to removable media after hours",) * 2
    assert (alert.severity, alert.status) == (Severity.HIGH, "new")
    assert alert.event_time == utc(2025, 1, 15, 9, 2, 2)  # result._time, epoch seconds
    assert (alert.subjects, alert.hosts) == (("KMS9822",), ("PC-6134",))
    assert dict(alert.extra)["owner"] == "admin"


def test_the_documented_splunk_sample_needs_a_time() -> None:
    """The documented sample has no _time and its sid no schedule time: refused unless
    the receiver says when it arrived."""
    with pytest.raises(IntakeError, match=r"^result\._time: missing"):
        parse_payload(text("splunk_webhook_documented.json"))
    received = utc(2025, 2, 1, 12)
    alert = one(text("splunk_webhook_documented.json"), received=received)
    assert alert.event_time == received
    assert alert.title == "Splunk search scheduler_admin_search_W2_at_14232356_132"
    assert alert.severity is Severity.UNKNOWN


def test_each_result_row_of_one_splunk_search_is_its_own_alert() -> None:
    first = doc("splunk_webhook_usb.json")
    second = {**first, "result": {**first["result"], "dest": "PC-7000"}}
    a, b = parse_payload([first, second])
    assert a.source_ref != b.source_ref
    assert a.source_ref.split(":")[0] == b.source_ref.split(":")[0] == first["sid"]
    assert parse_payload(first)[0].source_ref == a.source_ref  # a re-sent post: same ref


# ---------------------------------------------------------------------------- Sentinel


def test_sentinel_incident_from_the_rest_api() -> None:
    alert = one(text("sentinel_incident_get.json"))
    assert alert.source == "sentinel"
    assert alert.source_ref == "73e01a99-5cd7-4139-a149-9f2736ff2ab5"
    assert dict(alert.extra)["arm_id"].endswith("/incidents/" + alert.source_ref)
    assert (alert.title, alert.description) == ("My incident", "This is a demo incident")
    assert alert.severity is Severity.HIGH
    assert alert.status == "suppressed"  # Closed as FalsePositive
    assert (alert.event_time, alert.last_seen) == (utc(2019, 1, 1, 13, 0, 30),
                                                   utc(2019, 1, 1, 13, 5, 30))
    assert alert.rule_id is not None and alert.rule_id.endswith("fab3d2d4-747f-46a7-8ef0-"
                                                                 "9c0be8112bf7")
    assert dict(alert.extra)["tactics"] == "InitialAccess, Persistence"


def test_sentinel_list_is_a_batch_and_statuses_map_to_ocsf_words() -> None:
    closed, active = parse_payload(text("sentinel_incidents_list.json"))
    assert (closed.status, active.status) == ("suppressed", "in_progress")
    assert active.event_time == utc(2025, 1, 15, 7, 57, 10)  # +01:00 to UTC
    assert json.loads(active.raw)["name"] == "0b5a4c91-3f7e-4d22-9a10-6c2f1e8d7b33"
    incident = doc("sentinel_incident_get.json")
    incident["properties"]["classification"] = "TruePositive"
    assert one(incident).status == "resolved"


def test_sentinel_logic_apps_trigger_body_carries_entities() -> None:
    alert = one(text("sentinel_logicapp_incident.json"))
    assert (alert.subjects, alert.hosts) == (("KMS9822",), ("PC-6134",))
    assert alert.observables == (Observable("ip", "10.1.4.22"),)
    assert alert.rule == "USB copy of labelled files after hours"
    assert alert.status == "new"


def test_one_incident_by_rest_or_by_logic_apps_is_one_alert() -> None:
    incident = doc("sentinel_incident_get.json")
    body = {"object": {**incident, "id": incident["id"].replace("/incidents/", "/Incidents/"),
                       "type": "Microsoft.SecurityInsights/Incidents"},
            "workspaceInfo": {"SubscriptionId": "d0cfe6b2-9ac0-4464-9919-dccaee2e48c0"}}
    assert one(body).source_ref == one(incident).source_ref


def test_a_sentinel_list_error_names_the_incident() -> None:
    listing = doc("sentinel_incidents_list.json")
    listing["value"][1]["properties"]["title"] = {"text": "x"}
    with pytest.raises(IntakeError) as info:
        parse_payload(listing)
    assert str(info.value) == "value[1].properties.title: expected a string, got object"


# ---------------------------------------------------------------------------- Elastic


def test_elastic_alert_document() -> None:
    alert = one(text("elastic_alert.json"))
    assert alert.source == "elastic"
    assert alert.source_ref.startswith("6f1b2c0d9e8a")
    assert alert.title == alert.rule == "Confidential file written to removable media"
    assert alert.rule_id == "0c5a0b4e-7d2f-4b1e-9c3a-8f6e5d4c3b2a"
    assert (alert.severity, alert.status) == (Severity.HIGH, "in_progress")  # acknowledged
    assert alert.event_time == utc(2025, 1, 15, 21, 2, 11, 500000)  # original_time
    assert (alert.subjects, alert.hosts) == (("kms9822",), ("PC-6134",))
    assert Observable("ip", "10.1.4.22") in alert.observables  # host.ip is an array


def test_elastic_nested_and_flat_documents_are_the_same_alert() -> None:
    flat = doc("elastic_alert.json")
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".") if key != "@timestamp" else [key]
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    assert one(nested).fingerprint() == one(flat).fingerprint()


def test_elastic_search_response_is_a_batch() -> None:
    first, second = parse_payload(text("elastic_search_response.json"))
    assert (first.status, second.status) == ("in_progress", "new")
    assert second.subjects == ("ACM2278",)
    assert second.severity is Severity.MEDIUM


def test_elastic_severity_falls_back_on_the_risk_score() -> None:
    alert = doc("elastic_alert.json")
    del alert["kibana.alert.severity"]
    for score, severity in ((10, Severity.LOW), (47, Severity.MEDIUM), (73, Severity.HIGH),
                            (99, Severity.CRITICAL)):
        assert one({**alert, "kibana.alert.risk_score": score}).severity is severity
