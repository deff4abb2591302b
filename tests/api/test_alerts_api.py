"""`/api/v1/alerts`: posting vendor payloads (whole batches or nothing, re-sends counted),
listing and reading the queue within the caller's regions, people as pseudonyms only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from cases.casework import HR_HEADER
from helpers.accounts import Seeded, bearer
from helpers.cert_files import write
from watchkeeper.api import create_app
from watchkeeper.api.routes.alerts import Sort, Status, intake_answer
from watchkeeper.api.schemas.alerts import IntakeResultPublic
from watchkeeper.cases import queue
from watchkeeper.cases.alerts import IntakeResult
from watchkeeper.cases.queue import SORTS, STATUSES
from watchkeeper.ingest import ingest
from watchkeeper.sources.base import SourceContext

FIXTURES = Path(__file__).parent.parent / "cases" / "fixtures"
VENDOR = ["ocsf_detection_finding.json", "ocsf_data_security_finding.json",
          "splunk_webhook_usb.json", "splunk_webhook_documented.json",
          "sentinel_incident_get.json", "sentinel_incidents_list.json",
          "sentinel_logicapp_incident.json", "elastic_alert.json",
          "elastic_search_response.json"]
# the person the payloads below are about, as the lake's people table knows them
REAL = ("KMS9822", "Kim Summers", "kim.summers@dtaa.com", "kim.summers")
T0 = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
URL = "/api/v1/alerts"


@pytest.fixture
def seeded(seeded: Seeded, tmp_path: Path) -> Seeded:
    """The accounts (tests/api/conftest.py), and a lake whose people table knows the
    person the payloads are about."""
    done = seeded
    hr = write(tmp_path / "hr.csv", HR_HEADER, [
        "KMS9822,Kim Summers,kim.summers@dtaa.com,Sales,T1,Salesman,,EU,DE,2009-06-01,,,,"
        "2009-06-01",
        "ABC1234,Ann Berg,ann.berg@dtaa.com,Sales,T1,Salesman,,US,US,2009-06-01,,,,"
        "2009-06-01"])
    ingest(done.workspace.lake, [hr], "hr", SourceContext())
    return done


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.workspace)) as c:
        yield c


def ocsf(uid: str, *, region: str | None = None, severity: int = 4, minute: int = 0,
         host: str = "PC-6134", user: str = "DTAA\\KMS9822") -> dict[str, Any]:
    """An OCSF Detection Finding about `user` naming them in its title and text."""
    ms = int((T0 + timedelta(minutes=minute)).timestamp() * 1000)
    device: dict[str, Any] = {"hostname": host}
    if region is not None:
        device["region"] = region
    return {"class_uid": 2004, "category_uid": 2, "severity_id": severity, "status_id": 1,
            "time": ms,
            "finding_info": {"uid": uid, "title": "USB copy by Kim Summers",
                             "desc": "kim.summers@dtaa.com copied 42 files",
                             "first_seen_time": ms,
                             "analytic": {"name": "usb_copy", "uid": "acme.usb"}},
            "device": device, "evidences": [{"actor": {"user": {"name": user}}}]}


def post(client: TestClient, token: str, doc: object, **params: str) -> Any:
    return client.post(URL, headers=bearer(token), params=params,
                       content=doc if isinstance(doc, bytes) else json.dumps(doc))


def listing(client: TestClient, token: str, **params: Any) -> dict[str, Any]:
    got = client.get(URL, headers=bearer(token), params=params)
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_query_choices_match_the_queue() -> None:
    assert get_args(Status) == STATUSES
    assert get_args(Sort) == tuple(SORTS)


@pytest.mark.parametrize("name", VENDOR)
def test_post_each_vendor_payload(seeded: Seeded, client: TestClient, name: str) -> None:
    done = post(client, seeded.service, (FIXTURES / name).read_bytes())
    assert done.status_code == 201, done.text
    result = done.json()
    assert result["new"] == result["received"] == len(result["alert_ids"]) >= 1
    assert (result["updated"], result["duplicates"]) == (0, 0)
    page = listing(client, seeded.admin)
    assert sorted(a["id"] for a in page["items"]) == sorted(result["alert_ids"])


def test_the_written_answer_is_the_documented_model(seeded: Seeded,
                                                   client: TestClient) -> None:
    """The route writes its JSON itself (`intake_answer`): it is exactly what
    `IntakeResultPublic` (the documented schema) makes of the same result."""
    done = post(client, seeded.service, [ocsf("m-1"), ocsf("m-2")])
    assert done.status_code == 201 and done.headers["content-type"] == "application/json"
    result = IntakeResult(3, 1, 1, 1, 0, 1, (7, 8, 9), ((7, None),))
    model = IntakeResultPublic.model_validate(result)
    assert json.loads(intake_answer(result)) == model.model_dump(mode="json")
    assert IntakeResultPublic.model_validate_json(done.content).model_dump() == done.json()
    assert set(done.json()) == set(IntakeResultPublic.model_fields)
    schema = client.get("/api/v1/openapi.json").json()
    answer = schema["paths"][URL]["post"]["responses"]["201"]["content"]
    assert answer["application/json"]["schema"]["$ref"].endswith("/IntakeResultPublic")


def test_forced_format_and_unknown_format(seeded: Seeded, client: TestClient) -> None:
    body = (FIXTURES / "elastic_alert.json").read_bytes()
    wrong = post(client, seeded.service, body, format="splunk")
    assert wrong.status_code == 422 and wrong.json()["error"]["type"] == "invalid"
    bad = post(client, seeded.service, body, format="qradar")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "query.format"
    assert post(client, seeded.service, body, format="elastic").status_code == 201


def test_same_payload_twice_counts_a_duplicate(seeded: Seeded, client: TestClient) -> None:
    batch = [ocsf("a-1"), ocsf("a-2")]
    first = post(client, seeded.service, batch).json()
    again = post(client, seeded.service, batch).json()
    assert (again["new"], again["duplicates"], again["updated"]) == (0, 2, 0)
    assert again["alert_ids"] == first["alert_ids"]
    changed = post(client, seeded.service, [ocsf("a-1", severity=5)]).json()
    assert (changed["new"], changed["updated"]) == (0, 1)
    assert listing(client, seeded.admin)["total"] == 2


@pytest.mark.parametrize("body,field", [
    ([ocsf("a-1"), {**ocsf("a-2"), "severity_id": "loud"}], "alerts[1].severity_id"),
    ([ocsf("a-1"), {"class_uid": 2004, "finding_info": {"title": "t"}}],
     "alerts[1].finding_info.uid"),
    ([ocsf("a-1"), {"hello": "world"}], "alerts[1]"),
    ([ocsf("a-1"), ocsf("a-\x002")], "alerts[1].finding_info.uid"),
    (b'[{"class_uid": 2004,', "(payload)"),
    (b"\xff\xfe", "(payload)"),
], ids=["bad-severity", "missing-uid", "unknown-format", "nul", "bad-json",
        "bad-utf8"])
def test_bad_payload_422_names_the_field_and_stores_nothing(
        seeded: Seeded, client: TestClient, body: object, field: str) -> None:
    done = post(client, seeded.service, body)
    assert done.status_code == 422
    error = done.json()["error"]
    assert (error["type"], error["field"]) == ("invalid", field)
    assert "\n" not in error["message"] and error["message"].startswith(field)
    assert listing(client, seeded.admin)["total"] == 0


def test_batch_refused_in_storage_stores_nothing(seeded: Seeded, client: TestClient) -> None:
    """The second alert's reference is longer than the store holds: found while storing,
    after the first alert was written in the same transaction."""
    post(client, seeded.service, [ocsf("kept")])
    done = post(client, seeded.service, [ocsf("a-1"), ocsf("x" * 600), ocsf("kept")])
    assert done.status_code == 422, done.text
    assert "source_ref" in done.json()["error"]["message"]
    page = listing(client, seeded.admin)
    assert page["total"] == 1 and page["items"][0]["duplicates"] == 0


def test_splunk_without_a_time_is_dated_on_arrival(seeded: Seeded,
                                                   client: TestClient) -> None:
    before = datetime.now(UTC)
    ids = post(client, seeded.service,
               (FIXTURES / "splunk_webhook_documented.json").read_bytes()).json()["alert_ids"]
    after = datetime.now(UTC)
    item = listing(client, seeded.admin)["items"][0]
    assert item["id"] == ids[0]
    assert before <= datetime.fromisoformat(item["event_time"]).replace(tzinfo=UTC) <= after


def seed_queue(client: TestClient, token: str) -> dict[str, int]:
    batch = [ocsf("eu-1", region="eu", severity=4, minute=1),
             ocsf("eu-2", region="EU", severity=5, minute=2, host="PC-2"),
             ocsf("none-3", severity=2, minute=3, user="DTAA\\ABC1234"),
             ocsf("us-4", region="us-east", severity=5, minute=4),
             ocsf("eu-5", region="eu", severity=1, minute=5, host="PC-2")]
    ids = post(client, token, batch).json()["alert_ids"]
    return {doc["finding_info"]["uid"]: i for doc, i in zip(batch, ids, strict=True)}


def test_list_filters(seeded: Seeded, client: TestClient) -> None:
    ids = seed_queue(client, seeded.service)

    def refs(**params: Any) -> list[str]:
        got = listing(client, seeded.admin, **params)
        return sorted(k for k, v in ids.items() if v in {a["id"] for a in got["items"]})

    assert refs(severity=[5]) == ["eu-2", "us-4"]
    assert refs(severity=[1, 2]) == ["eu-5", "none-3"]
    assert refs(host="pc-2") == ["eu-2", "eu-5"]
    assert refs(since=(T0 + timedelta(minutes=2)).isoformat(),
                until=(T0 + timedelta(minutes=4)).isoformat()) == ["eu-2", "none-3"]
    assert refs(status=["new"]) == sorted(ids) and refs(status=["resolved"]) == []
    assert refs(rule="acme.usb", source="ocsf") == sorted(ids)
    person = listing(client, seeded.admin, severity=[2])["items"][0]["subjects"][0]
    assert person != "ABC1234" and refs(person=person) == ["none-3"]
    by_severity = listing(client, seeded.admin, sort="-severity")["items"]
    assert [a["severity"] for a in by_severity] == [5, 5, 4, 2, 1]


def test_list_pages_by_cursor(seeded: Seeded, client: TestClient) -> None:
    ids = seed_queue(client, seeded.service)
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = listing(client, seeded.admin, **params)
        assert page["total"] == 5 and len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids.values())
    bad = client.get(URL, headers=bearer(seeded.admin), params={"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"
    for wrong, field in (({"limit": 0}, "query.limit"), ({"severity": 7}, "query.severity.0"),
                         ({"sort": "name"}, "query.sort"), ({"status": "open"}, "query.status.0")):
        bad = client.get(URL, headers=bearer(seeded.admin), params=wrong)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == field


def test_a_total_beyond_the_cap_says_so(seeded: Seeded, client: TestClient,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seed_queue(client, seeded.service)
    assert listing(client, seeded.admin)["total_exact"] is True
    monkeypatch.setattr(queue, "TOTAL_CAP", 3)
    page = listing(client, seeded.admin, limit=2)
    assert (page["total"], page["total_exact"], len(page["items"])) == (3, False, 2)


def test_analyst_sees_only_their_regions(seeded: Seeded, client: TestClient) -> None:
    ids = seed_queue(client, seeded.service)
    page = listing(client, seeded.analyst)
    assert page["total"] == 4
    assert ids["us-4"] not in {a["id"] for a in page["items"]}
    assert listing(client, seeded.analyst, severity=[5])["total"] == 1
    hidden = client.get(f"{URL}/{ids['us-4']}", headers=bearer(seeded.analyst))
    absent = client.get(f"{URL}/999999", headers=bearer(seeded.analyst))
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["error"]["message"] == f"alert {ids['us-4']}: no such alert " \
                                                "(see `alerts list`)"
    assert client.get(f"{URL}/{ids['eu-1']}", headers=bearer(seeded.analyst)).json()[
        "region"] == "eu"
    assert client.get(f"{URL}/{ids['us-4']}", headers=bearer(seeded.admin)).status_code == 200


def test_detail_read_is_audited(seeded: Seeded, client: TestClient) -> None:
    ids = seed_queue(client, seeded.service)
    detail = client.get(f"{URL}/{ids['eu-2']}", headers=bearer(seeded.analyst)).json()
    assert (detail["severity_name"], detail["hosts"], detail["rule_id"]) == (
        "critical", ["PC-2"], "acme.usb")
    reads = [e for e in seeded.workspace.audit_entries().items if e.action == "alert.read"]
    assert [(e.actor, e.object_type, e.object_id) for e in reads] == [
        ("bob", "alert", str(ids["eu-2"]))]
    client.get(f"{URL}/{ids['us-4']}", headers=bearer(seeded.analyst))
    assert len([e for e in seeded.workspace.audit_entries().items
                if e.action == "alert.read"]) == 1


@pytest.mark.parametrize("who,post_status,read_status", [
    ("service", 201, 403), ("auditor", 403, 403), ("analyst", 201, 200),
    ("admin", 201, 200)])
def test_roles(seeded: Seeded, client: TestClient, who: str, post_status: int,
               read_status: int) -> None:
    token = getattr(seeded, who)
    done = post(client, token, ocsf(f"by-{who}"))
    assert done.status_code == post_status, done.text
    for path in (URL, f"{URL}/1"):
        got = client.get(path, headers=bearer(token))
        assert got.status_code == read_status, got.text
        if read_status == 403:
            assert got.json()["error"]["type"] == "forbidden"
            assert "by-" not in got.text
    assert client.post(URL, content=b"{}").status_code == 401


def test_no_real_identity_in_any_answer(seeded: Seeded, client: TestClient) -> None:
    ids = seed_queue(client, seeded.service)
    for name in ("splunk_webhook_usb.json", "ocsf_detection_finding.json"):
        ids[name] = post(client, seeded.service,
                         (FIXTURES / name).read_bytes()).json()["alert_ids"][0]
    post(client, seeded.service, [ocsf("eu-1", region="eu", severity=6)])   # a change
    answers = [client.get(URL, headers=bearer(seeded.admin)).text]
    answers += [client.get(f"{URL}/{i}", headers=bearer(seeded.admin)).text
                for i in ids.values()]
    detail = json.loads(answers[1])
    assert detail["subjects"] and detail["subjects"][0] != "KMS9822"
    assert any(json.loads(a).get("changes") for a in answers[1:])
    for text in answers:
        for real in REAL:
            assert real.casefold() not in text.casefold(), (real, text[:300])
