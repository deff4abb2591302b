"""`watchkeeper scheduler jobs|run-once` as cron and a person run them, and `serve`
running the scheduler: an event posted over loopback becomes an alert in the queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers.accounts import bearer, seed
from helpers.cli import run_cli
from ops.events import new_workspace, web
from watchkeeper.ops.jobs import REGISTRY

OLD = 1_700_000_000   # a modification time long settled


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300)


def test_run_once_then_the_job_list(tmp_path: Path) -> None:
    ws = str(new_workspace(tmp_path / "ws").root)
    done = cli("-w", ws, "scheduler", "run-once", "--json")
    assert done.returncode == 0, done.stderr
    runs = {r["name"]: r for r in json.loads(done.stdout)["runs"]}
    assert set(runs) == set(REGISTRY) - {"drop-folders"}   # off: no folders configured
    assert runs["events"]["summary"] == "no events waiting"
    again = cli("-w", ws, "scheduler", "run-once")
    assert (again.returncode, again.stdout.strip()) == (0, "no job is due")
    listed = cli("-w", ws, "scheduler", "jobs")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if "│" in line]
    assert rows[0][:2] == ["events", "10s"] and rows[0][3] == "ok"
    assert "drop-folders: off: no [[scheduler.drop_folders]] configured" in listed.stdout
    doc = json.loads(cli("-w", ws, "scheduler", "jobs", "--json").stdout)
    assert [j["name"] for j in doc["jobs"]] == list(REGISTRY)


def test_a_failed_job_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.json").write_text("{}\n")
    os.utime(drop / "a.json", (OLD, OLD))
    ws = new_workspace(tmp_path / "ws", f'\n[[scheduler.drop_folders]]\npath = "{drop}"\n'
                                        'format = "mapped"\nmapping = "nope.yaml"\n')
    done = cli("-w", str(ws.root), "scheduler", "run-once", "--job", "drop-folders")
    assert done.returncode == 1
    assert done.stdout.startswith("drop-folders: failed: ")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: job drop-folders failed: ")
    assert "nope.yaml" in lines[0]
    listed = cli("-w", str(ws.root), "scheduler", "jobs").stdout
    assert "drop-folders: failed 1 time(s) in a row:" in " ".join(listed.split())
    unknown = cli("-w", str(ws.root), "scheduler", "run-once", "--job", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: job 'nope': no such job (known: analyze, ")


def test_serve_runs_the_scheduler_and_an_event_reaches_the_queue(tmp_path: Path) -> None:
    seeded = seed(tmp_path / "ws")
    ws = str(seeded.workspace.root)
    seeded.workspace.close_state()
    from socket import socket
    with socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "watchkeeper", "-w", ws, "serve",
                                   "--port", str(port)], stdout=sink,
                                  stderr=subprocess.STDOUT, text=True, env=env)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            _until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), server)
            posted = httpx.post(f"{base}/events", headers=bearer(seeded.service),
                                content=json.dumps(web(1)))
            assert posted.status_code == 202, posted.text

            def queued() -> bool:
                got = httpx.get(f"{base}/alerts", headers=bearer(seeded.admin))
                return bool(got.json()["items"])
            _until(queued, server)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    text = log.read_text()
    from watchkeeper.config import SchedulerSettings
    from watchkeeper.ops.jobs import configured, warm_imports
    warm_imports()   # every job module registered, as `serve` has them
    enabled = sum(j.enabled for j in configured(SchedulerSettings()))
    assert enabled >= 8   # events, detect, analyze, expiry, SLA, hand-offs, playbooks, ...
    assert (f"Scheduler: on, {enabled} jobs (watchkeeper scheduler jobs)."
            in " ".join(text.split()))
    assert "job events: ok: 1 event(s) from 1 post(s)" in text


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _until(condition: object, server: subprocess.Popen[str], limit: float = 240) -> None:
    """Poll a condition of the running server (it works in real time) up to `limit` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited with {server.returncode}"
        if condition():   # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("the server did not get there in time")
