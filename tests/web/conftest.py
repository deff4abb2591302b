"""The dashboard's tests run on both state stores, as the API's (PostgreSQL marked
``postgres``: skipped when unreachable, failed under CI=true)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.postgres import fresh_schemas
from watchkeeper.api import create_app
from watchkeeper.workspace import Workspace
from web.world import Alerts, build_world

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass(frozen=True)
class Site:
    client: TestClient
    workspace: Workspace
    alerts: Alerts


@pytest.fixture(params=STORES)
def site(request: pytest.FixtureRequest, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    with ExitStack() as stack:
        url = None if request.param == "sqlite" else stack.enter_context(fresh_schemas())()
        ws, alerts = build_world(tmp_path / "ws", url)
        with TestClient(create_app(ws), base_url="http://testserver") as client:
            yield Site(client, ws, alerts)
        ws.close_state()
