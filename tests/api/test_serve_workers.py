"""`watchkeeper serve --workers 2`: two processes answer on one port, each with the
workspace opened for itself; writers of both take turns on SQLite's write lock, so
concurrent intake through both stores every alert; SIGTERM stops them all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from helpers.accounts import bearer, seed
from watchkeeper.workspace import Workspace

WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alert(uid: str) -> str:
    return json.dumps({"class_uid": 2004, "category_uid": 2, "severity_id": 3,
                       "status_id": 1, "time": 1736935200000,
                       "finding_info": {"uid": uid, "title": "USB copy"}})


def test_two_workers_answer_and_store_every_alert(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    seeded = seed(tmp_path / "ws")
    seeded.workspace.close_state()
    port, log = free_port(), tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "watchkeeper", "-w", str(tmp_path / "ws"), "serve",
             "--port", str(port), "--workers", str(WORKERS)],
            stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(1200):
            assert server.poll() is None, log.read_text()
            if log.read_text().count("Application startup complete") >= WORKERS:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the workers did not start")
        failures: list[str] = []

        def send(n: int) -> None:
            for k in range(10):   # a fresh connection each time: the kernel spreads them
                uids = [f"w{n}-{k}-{i}" for i in range(5)]
                answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/alerts",
                                    headers=bearer(seeded.service), timeout=60,
                                    content="[" + ",".join(map(alert, uids)) + "]")
                if answer.status_code != 201:
                    failures.append(answer.text)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode in (0, -signal.SIGTERM)
    text = log.read_text()
    answered_by = {line.split("[")[1].split("]")[0] for line in text.splitlines()
                   if "Started server process" in line}
    assert len(answered_by) == WORKERS
    ws = Workspace.open(tmp_path / "ws", create=False)
    assert ws.state.counts()["alerts"] == 6 * 10 * 5
    ws.close_state()
