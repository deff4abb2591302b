"""A 2xx is sent only after the commit: `watchkeeper serve` killed with SIGKILL while
clients post single alerts and batches loses no acknowledged alert, leaves no batch
half-stored, and starts again on the same store, which still takes alerts (SQLite's
file passes its integrity check; the audit chain verifies). On both stores."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from helpers.accounts import bearer, new_workspace
from helpers.serve import cli, free_port, start_server, wait_until_up
from watchkeeper.store.models import Alert
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow

CLIENTS = 6
BATCH = 25
ACKED_BEFORE_KILL = 400   # alerts acknowledged before the kill: it lands mid-stream


def alert(ref: str) -> dict[str, Any]:
    return {"class_uid": 2004, "severity_id": 3, "status_id": 1, "time": 1736931600000,
            "finding_info": {"uid": ref, "title": "USB copy",
                             "analytic": {"name": "usb_copy", "uid": "acme.usb"}},
            "device": {"hostname": "PC-6134"}}


@dataclass
class Sent:
    """What the clients sent: each request's references, and those acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[tuple[str, ...]] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)   # answers neither 201 nor 503
    enough: threading.Event = field(default_factory=threading.Event)

    def record(self, refs: tuple[str, ...], answer: httpx.Response | None) -> None:
        acknowledged = answer is not None and answer.status_code == 201
        with self.lock:
            self.requests.append(refs)
            if answer is not None and answer.status_code not in (201, 503):
                self.unexpected.append(f"{answer.status_code} {answer.text[:200]}")
            if acknowledged:
                self.acked.update(refs)
                if len(self.acked) >= ACKED_BEFORE_KILL:
                    self.enough.set()


def post_until_refused(base: str, token: str, client_no: int, sent: Sent) -> None:
    """Post alerts one by one and in batches, in turn, until the server is gone."""
    with httpx.Client(base_url=base, headers=bearer(token), timeout=30) as client:
        for n in range(100_000):
            refs = ((f"c{client_no}-{n}",) if n % 2 == 0
                    else tuple(f"c{client_no}-{n}-{i}" for i in range(BATCH)))
            body = alert(refs[0]) if len(refs) == 1 else [alert(r) for r in refs]
            try:
                answer = client.post("/api/v1/alerts", content=json.dumps(body))
            except httpx.TransportError:   # killed: this one is not acknowledged
                sent.record(refs, None)
                return
            sent.record(refs, answer)


def stored_refs(workspace: Path) -> set[str]:
    ws = Workspace.open(workspace, create=False)
    try:
        with ws.state.session() as session:
            return set(session.scalars(select(Alert.source_ref)))
    finally:
        ws.close_state()


def sqlite_intact(workspace: Path) -> bool:
    ws = Workspace.open(workspace, create=False)
    try:
        with ws.state.engine.connect() as conn:
            return conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        ws.close_state()


def service_token(workspace: Path, database_url: str | None) -> str:
    ws = new_workspace(workspace, database_url)
    ws.accounts().users.add("splunk", "service")
    token = ws.accounts().tokens.create("splunk", "sender").token
    ws.close_state()
    return token


def test_kill_9_during_intake_loses_no_acknowledged_alert(
        tmp_path: Path, database_url: str | None) -> None:
    workspace = tmp_path / "ws"
    token = service_token(workspace, database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sent = Sent()
    with (tmp_path / "serve.log").open("w") as log:
        server = start_server(workspace, port, log)
        try:
            wait_until_up(base, server)
            clients = [threading.Thread(target=post_until_refused, args=(base, token, i, sent))
                       for i in range(CLIENTS)]
            for client in clients:
                client.start()
            assert sent.enough.wait(timeout=300), "the clients could not post"
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            for client in clients:
                client.join(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    assert server.returncode == -signal.SIGKILL

    assert not sent.unexpected, sent.unexpected[:5]
    stored = stored_refs(workspace)
    assert sent.acked and sent.acked <= stored, sorted(sent.acked - stored)[:10]
    for refs in sent.requests:
        kept = [r in stored for r in refs]
        assert all(kept) or not any(kept), f"batch {refs[0]}: {sum(kept)} of {len(refs)}"
    assert database_url is not None or sqlite_intact(workspace)
    with (tmp_path / "serve-again.log").open("w") as log:
        server = start_server(workspace, port, log)
        try:
            wait_until_up(base, server)
            again = httpx.post(f"{base}/api/v1/alerts", headers=bearer(token),
                               content=json.dumps(alert("after-restart")))
            assert again.status_code == 201, again.text
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    assert stored_refs(workspace) == stored | {"after-restart"}
    verified = cli("-w", str(workspace), "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
