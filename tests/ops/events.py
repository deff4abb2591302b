"""OCSF events for the scheduler's tests: one base event per class, fields overridden per
case (`web` visits a leak site, which the shipped rule insider.recon.leak_site_visit
matches)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.workspace import Workspace

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)

WEB: dict[str, Any] = {
    "class_uid": 4002, "activity_id": 3, "time": 0,
    "actor": {"user": {"name": "KMS9822"}},
    "src_endpoint": {"hostname": "PC-6134"},
    "http_request": {"http_method": "GET",
                     "url": {"scheme": "https", "hostname": "wikileaks.org", "path": "/"}},
    "metadata": {"uid": "web-0"},
}


def web(n: int, *, host: str = "wikileaks.org", minute: int | None = None,
        **fields: Any) -> dict[str, Any]:
    """Event `n`: a visit at T0 + n minutes (or `minute`) to `host`."""
    event = copy.deepcopy(WEB)
    event["time"] = int((T0 + timedelta(minutes=n if minute is None else minute))
                        .timestamp() * 1000)
    event["http_request"]["url"]["hostname"] = host
    event["metadata"]["uid"] = f"web-{n}"
    event.update(fields)
    return event


def new_workspace(path: Path, extra_config: str = "",
                  database_url: str | None = None) -> Workspace:
    path.mkdir(mode=0o700)
    (path / "watchkeeper.toml").write_text(DEFAULT_CONFIG + extra_config)
    ws = Workspace.open(path, create=False, database_url=database_url)
    if database_url is not None:
        ws.db_upgrade()
    return ws
