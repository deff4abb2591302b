"""`GET /api/v1/metrics` over the tiny HR lake: the metrics of a period in the shared
grammar, of what the caller's regions see; analysts, leads and admins only (403
otherwise); a bad period is a 422 naming the field, an unknown team a 404."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cases.casework import build_lake
from helpers.accounts import Seeded, bearer, seed
from ops.feedbackwork import T0, put_alert
from watchkeeper.api import create_app
from watchkeeper.workspace import Workspace

RULE = "insider.exfil.file_to_removable"


@dataclass(frozen=True)
class World:
    client: TestClient
    workspace: Workspace
    seeded: Seeded

    def call(self, path: str, who: str) -> Response:
        return self.client.get(f"/api/v1{path}", headers=bearer(getattr(self.seeded, who)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        root = tmp_path_factory.mktemp("metricsapi") / "ws"
        seeded = seed(root)
        seeded.workspace.close_state()
        build_lake(root)
        ws = Workspace.open(root, create=False)
        for ref, region in (("a1", "eu"), ("a2", "eu"), ("a3", "us")):
            put_alert(ws.state, ref, rule=RULE, region=region)
        with TestClient(create_app(ws)) as client:
            yield World(client, ws, seeded)


def error(response: Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    found: dict[str, str] = response.json()["error"]
    return found


def test_metrics_of_a_period_in_the_caller_s_regions(world: World) -> None:
    month = f"{T0:%Y-%m}"
    admin = world.call(f"/metrics?period={month}", "admin")
    assert admin.status_code == 200, admin.text
    doc = admin.json()
    assert (doc["period"], doc["alerts"], doc["detect"]["measured"]) == (month, 3, 3)
    # event 1 h before arrival; a whole month: from the rollups' histogram (< 2.2% off)
    assert doc["detect"]["median_seconds"] == pytest.approx(3600.0, rel=2 ** (1 / 32) - 1)
    assert [v["key"] for v in doc["volumes"]["regions"]] == ["eu", "us"]
    assert doc["conversion"]["alerts"] == 3 and doc["conversion"]["in_cases"] == 0
    analyst = world.call(f"/metrics?period={T0:%Y}-01-01..{T0:%Y}-12-31", "analyst").json()
    assert analyst["alerts"] <= 3
    assert world.call("/metrics?period=1999-Q2", "admin").json()["alerts"] == 0
    assert world.call("/metrics", "admin").status_code == 200        # the last 30 days


def test_roles_bad_period_and_unknown_team(world: World) -> None:
    assert error(world.call("/metrics", "auditor"), 403)["type"] == "forbidden"
    bad = error(world.call("/metrics?period=2025-13", "admin"), 422)
    assert bad["field"] == "period" and "'2025-13'" in bad["message"]
    assert error(world.call("/metrics?period=" + "9" * 65, "admin"), 422)["field"] == \
        "query.period"
    assert "no team named 'ghosts'" in error(world.call("/metrics?team=ghosts", "admin"),
                                             404)["message"]


def test_report_routes_share_the_grammar(world: World) -> None:
    stats = world.call(f"/rules/stats?period={T0:%Y-%m}", "admin")
    assert stats.status_code == 200 and stats.json()["total"]["alerts"] == 3
    assert error(world.call("/rules/stats?period=May", "admin"), 422)["field"] == "period"
    assert world.call("/sla/report?period=2025-Q1", "admin").status_code == 200
    both = error(world.call("/sla/report?period=2025-Q1&since=2025-01-01", "admin"), 422)
    assert both["field"] == "period"
