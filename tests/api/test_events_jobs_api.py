"""`POST /api/v1/events` (service accounts and admins; a bad event refuses the post with
422 naming its field, nothing spooled) and `GET /api/v1/jobs` (leads and admins)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.accounts import Seeded, bearer, seed
from ops.events import T0, web
from watchkeeper.api import create_app
from watchkeeper.ops.clock import FixedClock
from watchkeeper.ops.events_intake import waiting
from watchkeeper.ops.jobs import REGISTRY

EVENTS, JOBS = "/api/v1/events", "/api/v1/jobs"


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    return seed(tmp_path / "ws")


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.workspace)) as c:
        yield c


def post(client: TestClient, token: str, doc: object) -> Any:
    return client.post(EVENTS, headers=bearer(token), content=json.dumps(doc))


def test_a_service_account_posts_events_that_reach_the_queue(
        client: TestClient, seeded: Seeded) -> None:
    got = post(client, seeded.service, [web(1), web(2, host="example.org")])
    assert got.status_code == 202, got.text
    body = got.json()
    assert (body["accepted"], body["classes"]) == (2, {"web": 2})
    assert [p.name for p in waiting(seeded.workspace.root)] == [body["batch"]]
    ws = seeded.workspace
    clock = FixedClock(T0)
    ws.scheduler_run_once(["events"], clock)
    ws.scheduler_run_once(["detect"], clock)
    alerts = client.get("/api/v1/alerts", headers=bearer(seeded.admin)).json()["items"]
    assert [a["title"] for a in alerts] == ["Visit to a leak site"]


def test_a_bad_event_refuses_the_whole_post(client: TestClient, seeded: Seeded) -> None:
    got = post(client, seeded.admin, [web(1), {**web(2), "time": None}])
    assert got.status_code == 422
    assert got.json() == {"error": {"type": "invalid", "field": "events[1].time",
                                    "message": "events[1].time: missing"}}
    assert waiting(seeded.workspace.root) == []
    bad = client.post(EVENTS, headers=bearer(seeded.service), content=b"{oops")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "(payload)"


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_only_senders_and_admins_post_events(client: TestClient, seeded: Seeded,
                                            who: str) -> None:
    got = post(client, getattr(seeded, who), web(1))
    assert got.status_code == 403
    assert got.json()["error"]["message"].endswith("may not submit events")
    assert client.post(EVENTS, content=json.dumps(web(1))).status_code == 401
    assert waiting(seeded.workspace.root) == []


def test_leads_and_admins_see_the_jobs(client: TestClient, seeded: Seeded) -> None:
    accounts = seeded.workspace.accounts()
    accounts.users.add("lena", "lead", ["soc-eu"])
    lead = accounts.tokens.create("lena", "test").token
    for token in (seeded.admin, lead):
        got = client.get(JOBS, headers=bearer(token))
        assert got.status_code == 200, got.text
        assert [j["name"] for j in got.json()] == list(REGISTRY)
    seeded.workspace.scheduler_run_once(["expiry"], FixedClock(T0))
    one = client.get(f"{JOBS}/expiry", headers=bearer(lead)).json()
    assert (one["outcome"], one["runs"], one["running"]) == ("ok", 1, False)
    assert one["next_run"] == "2025-03-03T10:05:00Z"
    assert client.get(f"{JOBS}/nope", headers=bearer(lead)).status_code == 404
    for token in (seeded.analyst, seeded.service, seeded.auditor):
        assert client.get(JOBS, headers=bearer(token)).status_code == 403
