"""What any payload gets: the raw text kept exactly, batches whole or refused,
duplicates resolved, people ids as the lake knows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cases.intake import load_alert_mapping, parse_payload
from watchkeeper.cases.intake.node import person, status_word
from watchkeeper.errors import IntakeError

FIXTURES = Path(__file__).parents[1] / "fixtures"


def doc(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_each_alert_of_an_array_keeps_its_exact_text() -> None:
    texts = [(FIXTURES / n).read_text(encoding="utf-8").strip()
             for n in ("ocsf_detection_finding.json", "sentinel_incident_get.json")]
    payload = "\ufeff[ " + " ,\n\t".join(texts) + "\n]\n"
    alerts = parse_payload(payload.encode("utf-8"))
    assert [a.raw for a in alerts] == texts


def test_a_parsed_payload_keeps_compact_json() -> None:
    alert = parse_payload(doc("elastic_alert.json"))[0]
    assert json.loads(alert.raw) == doc("elastic_alert.json")
    assert ", " not in alert.raw.split('"kibana.alert.reason"')[0]


def test_a_batch_is_refused_whole_naming_the_alert_at_fault() -> None:
    good = doc("ocsf_detection_finding.json")
    bad = {**good, "finding_info": {**good["finding_info"], "uid": "other"},
           "severity_id": -1}
    with pytest.raises(IntakeError) as info:
        parse_payload([good, good, bad])
    assert info.value.field == "alerts[2].severity_id"


def test_identical_duplicates_in_a_batch_count_once_and_conflicts_are_refused() -> None:
    good = doc("ocsf_detection_finding.json")
    assert len(parse_payload([good, good])) == 1
    changed = {**good, "status_id": 4}
    with pytest.raises(IntakeError) as info:
        parse_payload([good, changed])
    assert str(info.value) == "alerts[1]: same source reference as alerts[0], different content"


def test_an_empty_batch_is_no_alerts() -> None:
    assert parse_payload("[]") == []
    assert parse_payload({"value": []}) == []


@pytest.mark.parametrize(("payload", "message"), [
    ("{", "(payload): invalid JSON at line 1 column 2: Expecting property name enclosed in "
          "double quotes"),
    ('{"class_uid": NaN}', "(payload): invalid JSON: NaN is not JSON"),
    (b"\xff{}", "(payload): invalid UTF-8 at byte 0"),
    ('"\\ud800"', "(payload): not a JSON value: lone surrogate escape"),
    ({"x": {1, 2}}, "(payload): not a JSON value: Object of type set is not JSON "
                    "serializable"),
    ("42", "(payload): unknown alert format (known: ocsf, splunk, sentinel, elastic; or "
           "give a mapping)"),
])
def test_what_is_not_an_alert_is_one_clear_line(payload: Any, message: str) -> None:
    with pytest.raises(IntakeError) as info:
        parse_payload(payload)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_a_forced_format_and_a_mapping_do_not_mix() -> None:
    mapping = load_alert_mapping(FIXTURES / "acme_alerts.yaml")
    with pytest.raises(IntakeError, match=r"^format: 'ocsf' cannot be combined with a mapping"):
        parse_payload({}, fmt="ocsf", mapping=mapping)


@pytest.mark.parametrize(("given", "expected"), [
    ("KMS9822", "KMS9822"), ("DTAA\\KMS9822", "KMS9822"), ("kms9822@dtaa.com", "kms9822"),
    (" ACM2278 ", "ACM2278"), ("CORP\\", None), ("@corp", None), (None, None),
])
def test_people_ids_keep_their_case_and_lose_their_domain(given: str | None,
                                                          expected: str | None) -> None:
    assert person(given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("Open", "new"), ("in progress", "in_progress"), ("Acknowledged", "in_progress"),
    ("false-positive", "suppressed"), ("Closed", "resolved"), ("weird", "other"),
    (None, "new"),
])
def test_statuses_become_ocsf_words(given: str | None, expected: str) -> None:
    assert status_word(given) == expected
