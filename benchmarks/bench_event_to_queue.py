"""Event to queue: an event posted to /api/v1/events that a rule matches is an alert in
the queue within 60 s (p95 over 100 events, default schedule).

    python benchmarks/bench_event_to_queue.py [--events 100] [--every 2.0]
        [--background 20000] [--poll 0.5] [--json]

Makes a workspace under bench-data/ (the default watchkeeper.toml: default schedule), an
admin and a service account, ingests `--background` ordinary web events of the last day
(so `detect` has a lake to scan), then runs `watchkeeper serve` on 127.0.0.1 (the
scheduler in it) and posts `--events` events one at a time, one every `--every` seconds,
each a visit to a leak site from its own host, which the shipped rule
insider.recon.leak_site_visit matches. Meanwhile it lists the queue every `--poll`
seconds; an event's latency is from its post to the first listing that shows the alert
for its host (so it is late by up to one poll). Reports p50, p95 and max latency, how
many arrived, the server's CPU time and the load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench_ingest import ROOT, machine
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.workspace import Workspace

GOAL_P95 = 60.0


def event(uid: str, host: str, domain: str, when: datetime) -> dict[str, Any]:
    return {"class_uid": 4002, "activity_id": 3, "time": int(when.timestamp() * 1000),
            "actor": {"user": {"name": f"U{host[-3:]}"}},
            "src_endpoint": {"hostname": host},
            "http_request": {"http_method": "GET",
                             "url": {"scheme": "https", "hostname": domain, "path": "/"}},
            "metadata": {"uid": uid}}


def prepare(folder: Path, background: int) -> tuple[Workspace, str, str]:
    """A fresh workspace with accounts (their tokens) and `background` ordinary events."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    (folder / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    ws = Workspace.open(folder, create=False)
    accounts = ws.accounts()
    accounts.users.add("admin", "admin", password="benchmark admin password")
    accounts.users.add("sender", "service")
    admin = accounts.tokens.create("admin", "bench").token
    sender = accounts.tokens.create("sender", "bench").token
    if background:
        rng = random.Random(7)
        now = datetime.now(UTC)
        sites = ["intranet.corp.example", "news.example.org", "docs.example.com"]
        lines = [json.dumps(event(f"bg-{n}", f"PC-{rng.randrange(400):03d}",
                                  rng.choice(sites),
                                  now - timedelta(seconds=rng.randrange(86_400))))
                 for n in range(background)]
        source = folder.parent / f"{folder.name}-background.jsonl"
        source.write_text("\n".join(lines) + "\n")
        ws.ingest([source], "ocsf")
        source.unlink()
        ws.detect()   # as a running server would have done by now
    ws.close_state()
    return ws, admin, sender


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_up(base: str, server: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("serve did not come up")


def measure(base: str, admin: str, sender: str, args: argparse.Namespace
            ) -> tuple[dict[str, float], list[float]]:
    """Post the events on their schedule and poll the queue; latency per host."""
    posted: dict[str, float] = {}
    seen: dict[str, float] = {}
    client = httpx.Client(base_url=f"{base}/api/v1", timeout=30)
    start = time.monotonic()
    deadline = start + args.events * args.every + args.patience
    n = 0
    while time.monotonic() < deadline and len(seen) < args.events:
        now = time.monotonic()
        if n < args.events and now >= start + n * args.every:
            host = f"BENCH-{n:03d}"
            got = client.post("/events", headers={"Authorization": f"Bearer {sender}"},
                              content=json.dumps(event(f"bench-{n}", host, "wikileaks.org",
                                                       datetime.now(UTC))))
            if got.status_code != 202:
                raise SystemExit(f"POST /events: {got.status_code} {got.text}")
            posted[host] = time.monotonic()
            n += 1
        page = client.get("/alerts", headers={"Authorization": f"Bearer {admin}"},
                          params={"sort": "-received", "limit": 1000}).json()
        found = time.monotonic()
        for alert in page["items"]:
            for host in alert["hosts"]:
                if host in posted and host not in seen:
                    seen[host] = found
        time.sleep(args.poll)
    return posted, [seen[h] - posted[h] for h in posted if h in seen]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between posts")
    parser.add_argument("--background", type=int, default=20_000)
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument("--patience", type=float, default=300.0,
                        help="seconds to wait after the last post")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = ROOT / "bench-data" / "ws-event-to-queue"
    _, admin, sender = prepare(folder, args.background)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    log = folder.parent / "ws-event-to-queue-serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "watchkeeper", "-w", str(folder),
                                   "serve", "--port", str(port)], stdout=sink,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            wait_up(base, server)
            cpu_start = cpu_seconds(server.pid)
            wall_start = time.monotonic()
            posted, latencies = measure(base, admin, sender, args)
            wall = time.monotonic() - wall_start
            cpu = cpu_seconds(server.pid) - cpu_start
        finally:
            server.terminate()
            server.wait(timeout=60)
    result = {
        "benchmark": "event_to_queue", "events": len(posted), "arrived": len(latencies),
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "goal_p95_s": GOAL_P95, "every_s": args.every, "poll_s": args.poll,
        "background_events": args.background, "server_cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"event to queue: {result['arrived']}/{result['events']} arrived, p50 "
              f"{result['p50_s']} s, p95 {result['p95_s']} s, max {result['max_s']} s "
              f"(goal p95 <= {GOAL_P95:.0f} s); server CPU {result['server_cpu_s']} s in "
              f"{result['wall_s']} s; load {result['load_average_before']} -> "
              f"{result['load_average_after']}\n{result['machine']}")


if __name__ == "__main__":
    main()
