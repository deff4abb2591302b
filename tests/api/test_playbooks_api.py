"""The playbook routes on SQLite with the clock fixed: the workspace's playbooks (files
in error named, with file and line), and a case's runs with their steps, shown only to
whoever may open the case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cases.casework import add_alert
from helpers.accounts import Seeded, bearer, seed
from watchkeeper.api import create_app
from watchkeeper.ops.clock import FixedClock
from watchkeeper.store.models import Alert
from watchkeeper.workspace import Workspace

API = "/api/v1"
FRI = datetime(2025, 3, 7, 15, 30, tzinfo=UTC)
RAISE = """\
id: raise-eu
title: Raise EU cases
trigger: {on: case, severity_at_least: high}
conditions:
  - {field: region, in: [eu]}
steps:
  - set: {priority: high}
  - task: {title: Check the person's HR record}
"""


@dataclass(frozen=True)
class World:
    client: TestClient
    ws: Workspace
    seeded: Seeded
    outsider: str        # ulf: an analyst of soc-us, who may not see eu cases

    def call(self, path: str, token: str) -> Response:
        return self.client.get(API + path, headers=bearer(token))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        seeded = seed(tmp_path_factory.mktemp("pbapi") / "ws")
        ws = seeded.workspace
        ws.clock = FixedClock(FRI)
        (ws.root / "playbooks").mkdir()
        (ws.root / "playbooks" / "raise.yml").write_text(RAISE)
        (ws.root / "playbooks" / "broken.yml").write_text(
            "id: broken\ntitle: t\ntrigger: {on: sometimes}\nsteps: [{enrich: {}}]\n")
        accounts = ws.accounts()
        accounts.teams.add("soc-us", ["us"])
        accounts.users.add("ulf", "analyst", ["soc-us"])
        outsider = accounts.tokens.create("ulf", "test").token
        with TestClient(create_app(ws)) as client:
            yield World(client, ws, seeded, outsider)


def test_playbooks_list_names_files_in_error(world: World) -> None:
    found = world.call("/playbooks", world.seeded.analyst)
    assert found.status_code == 200, found.text
    body = found.json()
    assert [p["id"] for p in body["playbooks"]] == ["raise-eu"]
    assert body["playbooks"][0]["steps"] == ["set", "task"]
    [problem] = body["errors"]
    assert "broken.yml:3 trigger.on:" in problem
    assert world.call("/playbooks", world.seeded.service).status_code == 403
    assert world.client.get(API + "/playbooks").status_code == 401


def test_a_cases_runs_are_shown_to_whoever_may_open_the_case(world: World) -> None:
    with world.ws.state.session() as s:
        alert = add_alert(s, "pb-api-1", ["ACM2278"], at=FRI)
        s.get_one(Alert, alert).region = "eu"
    made = world.client.post(API + "/cases", headers=bearer(world.seeded.analyst),
                             json={"title": "USB copies", "alerts": [alert]})
    assert made.status_code == 201, made.text
    case = made.json()["id"]
    assert world.ws.playbooks_run_due().succeeded == 2
    runs = world.call(f"/cases/{case}/playbook-runs", world.seeded.analyst)
    assert runs.status_code == 200, runs.text
    [run] = runs.json()
    assert (run["playbook"], run["status"], run["case_id"]) == ("raise-eu", "succeeded", case)
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    assert run["steps"][0]["output"] == {"severity": 4, "priority": "high"}
    hidden = world.call(f"/cases/{case}/playbook-runs", world.outsider)
    assert hidden.status_code in (403, 404)
    assert world.call("/cases/999999/playbook-runs", world.seeded.analyst).status_code == 404
