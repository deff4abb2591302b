"""A 2xx leaves only after the commit: `watchkeeper serve` killed with SIGKILL in the
middle of intake loses no acknowledged alert, and every batch is stored whole or not at
all; on both stores (SQLite: WAL with synchronous=NORMAL, docs/state.md says why a
killed process loses no commit)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from helpers.accounts import bearer, seed
from watchkeeper.store.models import Alert
from watchkeeper.workspace import Workspace

BATCH = 10
SENDERS = 4


def ocsf(uid: str) -> str:
    return json.dumps({"class_uid": 2004, "category_uid": 2, "severity_id": 3,
                       "status_id": 1, "time": 1736935200000,
                       "finding_info": {"uid": uid, "title": "USB copy"},
                       "device": {"hostname": "PC-1"}})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(root: Path, url: str | None, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}
    command = [sys.executable, "-m", "watchkeeper", "-w", str(root)]
    if url is not None:
        command += ["--database-url", url]
    server = subprocess.Popen([*command, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("serve did not answer /readyz")


def sender(base: str, token: str, name: str, acked: list[str],
           done: Callable[[], bool]) -> None:
    """Post batches until the server is gone (or 30 s); keep the uids of each 2xx."""
    with httpx.Client(base_url=base, headers=bearer(token), timeout=10) as client:
        for n in range(100_000):
            if done():
                return
            uids = [f"{name}-{n}-{i}" for i in range(BATCH)]
            try:
                answer = client.post("/api/v1/alerts",
                                     content="[" + ",".join(map(ocsf, uids)) + "]")
            except httpx.TransportError:
                return
            if answer.status_code == 201:
                acked.extend(uids)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_schemas")()
    return url


def test_kill_9_during_intake_loses_no_acknowledged_alert(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None) -> None:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    seeded = seed(tmp_path / "ws") if database_url is None else None
    if database_url is not None:
        ws = Workspace.open(tmp_path / "ws", create=True, database_url=database_url)
        ws.db_upgrade()
        ws.accounts().users.add("splunk", "service")
        token = ws.accounts().tokens.create("splunk").token
        ws.close_state()
    else:
        assert seeded is not None
        token = seeded.service
        seeded.workspace.close_state()
    port = free_port()
    server = start(tmp_path / "ws", database_url, port)
    acked: list[str] = []
    stop = time.monotonic() + 30
    threads = [threading.Thread(target=sender, args=(
        f"http://127.0.0.1:{port}", token, f"s{i}", acked, lambda: time.monotonic() > stop))
        for i in range(SENDERS)]
    try:
        for t in threads:
            t.start()
        while len(acked) < 40 * BATCH and time.monotonic() < stop:
            time.sleep(0.01)
        server.kill()                               # SIGKILL, in the middle of intake
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        for t in threads:
            t.join(timeout=60)
    assert len(acked) >= 40 * BATCH
    ws = Workspace.open(tmp_path / "ws", create=False, database_url=database_url)
    with ws.state.session() as s:
        stored = set(s.scalars(select(Alert.source_ref)))
    ws.close_state()
    assert set(acked) <= stored                     # nothing acknowledged was lost
    batches: dict[str, int] = {}
    for ref in stored:
        key = ref.rsplit("-", 1)[0]
        batches[key] = batches.get(key, 0) + 1
    assert set(batches.values()) == {BATCH}         # every batch whole or absent
