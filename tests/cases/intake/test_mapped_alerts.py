"""Any JSON through an alert mapping, in the language of `ingest mapped`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cases.intake import AlertMapping, load_alert_mapping, parse_payload
from watchkeeper.cases.model import Observable, Severity
from watchkeeper.errors import IntakeError, MappingError

FIXTURES = Path(__file__).parents[1] / "fixtures"
BASE = (FIXTURES / "acme_alerts.yaml").read_text(encoding="utf-8")


@pytest.fixture
def mapping() -> AlertMapping:
    return load_alert_mapping(FIXTURES / "acme_alerts.yaml")


def records() -> list[dict[str, Any]]:
    lines = (FIXTURES / "acme_alerts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_mapped_alert(mapping: AlertMapping) -> None:
    first, second = parse_payload(records(), mapping=mapping)
    assert (first.source, first.source_ref, first.class_uid) == ("acme_insider", "AI-1", 2006)
    assert first.title == "Mass download of design files"
    assert (first.severity, first.status) == (Severity.HIGH, "in_progress")  # P2, triaging
    assert first.event_time == datetime(2025, 1, 15, 21, 2, tzinfo=UTC)  # Berlin → UTC
    assert first.last_seen == datetime(2025, 1, 15, 21, 9, 40, tzinfo=UTC)
    assert first.subjects == ("KMS9822", "acm2278")
    assert (first.hosts, first.region) == (("PC-6134",), "EU")
    assert (first.rule, first.rule_id) == ("Bulk download", "pol-3")
    assert first.description == "exported from Acme Insider"
    assert first.observables == (Observable("ip", "10.1.4.22"),
                                 Observable("file_name", "a.dwg"),
                                 Observable("file_name", "b.dwg"))
    assert (second.severity, second.status) == (Severity.INFORMATIONAL, "new")  # defaults
    assert second.hosts == ("PC-2001",)


@pytest.mark.parametrize(("change", "message"), [
    ({"alert": {"headline": "x"}}, "alerts[1].alert.id: missing"),
    ({"alert": {"id": "AI-9"}}, "alerts[1].alert.headline: missing"),
    ({"detected": "2025-01-15"}, "alerts[1].detected: cannot parse '2025-01-15' as "
                                 "'%d/%m/%Y %H:%M'"),
    ({"people": {"a": 1}}, "alerts[1].people: expected a list, got object"),
    ({"people": ["KMS9822", "x\x00"]}, "alerts[1].people: contains a NUL character "
                                        "(\\u0000), which the store cannot hold"),
])
def test_a_mapped_field_at_fault_is_named(mapping: AlertMapping, change: dict[str, Any],
                                          message: str) -> None:
    first, second = records()
    with pytest.raises(IntakeError) as info:
        parse_payload([first, {**second, **change}], mapping=mapping)
    assert str(info.value) == message


def test_an_unmapped_severity_without_default_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "strict.yaml"
    path.write_text(BASE.replace("  default: informational\n", ""), encoding="utf-8")
    first, second = records()
    second["alert"]["level"] = "urgent!"
    with pytest.raises(IntakeError) as info:
        parse_payload([first, second], mapping=load_alert_mapping(path))
    assert str(info.value) == ("alerts[1].alert.level: unknown severity 'urgent!' (map it to "
                               "informational, low, medium, high, critical or fatal)")
    del second["alert"]["level"]
    with pytest.raises(IntakeError, match=r"^alerts\[1\]\.alert\.level: missing$"):
        parse_payload([first, second], mapping=load_alert_mapping(path))


@pytest.mark.parametrize(("edit", "field"), [
    (("id: alert.id", "id: alert..id"), "id"),
    (("name: acme_insider", "name: Acme"), "name"),
    (("class_uid: 2006", "class_uid: 2001"), "class_uid"),
    (("  rule: policy.name", "  colour: policy.name"), "fields.colour"),
    (("  ip: client.ip", "  IP: client.ip"), "observables"),
    (("time: {field: detected,", "time: {field: detected, zone: x,"), "time.zone"),
])
def test_a_bad_mapping_names_its_file_and_field(tmp_path: Path, edit: tuple[str, str],
                                                field: str) -> None:
    path = tmp_path / "bad.yaml"
    assert edit[0] in BASE
    path.write_text(BASE.replace(edit[0], edit[1]), encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_alert_mapping(path)
    assert str(info.value).startswith(f"{path}: field '{field}")
    assert "\n" not in str(info.value)


def test_a_mapping_that_is_not_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ntitle: [\n", encoding="utf-8")
    with pytest.raises(MappingError, match=rf"^{path}:3:1: field '-': not valid YAML"):
        load_alert_mapping(path)
