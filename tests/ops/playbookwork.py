"""What the playbook tests share: playbook files written into a workspace, alerts sent
through the intake, and a real HTTP server on 127.0.0.1 whose answers a test sets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from ops.conftest import World
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.config import PlaybookSettings
from watchkeeper.store.models import CaseEvent


@dataclass
class Hook:
    """The server's state: the bodies posted, and the status codes to answer with
    (one taken per request; 200 once they run out)."""

    url: str
    answers: list[int] = field(default_factory=list)
    posted: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def hook_server() -> Iterator[Hook]:
    """A real HTTP server on 127.0.0.1, port 0 (the system picks one)."""
    state = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length", "0"))
            state.posted.append(json.loads(self.rfile.read(size) or b"{}"))
            state.headers.append(dict(self.headers.items()))
            code = state.answers.pop(0) if state.answers else 200
            body = b'{"ok": true}' if code < 300 else b"broken on purpose"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/soc/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def write_playbook(world: World, name: str, text: str) -> None:
    folder = world.ws.root / "playbooks"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yml").write_text(text)


def allow(world: World, *urls: str, **more: Any) -> None:
    world.ws.settings = world.ws.settings.model_copy(update={
        "playbooks": PlaybookSettings(webhook_allow=list(urls), **more)})


def send_alert(world: World, ref: str, *, severity: int = 4, region: str = "eu",
               rule: str = "insider.exfil.archive_to_removable",
               subjects: tuple[str, ...] = ("ACM2278",)) -> int:
    now = world.clock.now()
    result = world.ws.alerts_ingest([AlertIn(
        source="ocsf", source_ref=ref, title=f"Archive copied ({ref})",
        severity=Severity(severity), event_time=now, raw="{}", rule=rule, rule_id=rule,
        subjects=subjects, hosts=("PC-6377",), region=region)], received_at=now)
    return result.alert_ids[0]


def case_events(world: World, case_id: int, prefix: str = "playbook.") -> list[CaseEvent]:
    with world.ws.state.session() as s:
        return list(s.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.action.startswith(prefix))
            .order_by(CaseEvent.id)))


def at(world: World) -> datetime:
    return world.clock.now()
