"""Alert intake over loopback: 16 clients post OCSF alerts to `watchkeeper serve`, half of
them one alert per request and half batches of 100; SQLite and PostgreSQL side by side.

    python benchmarks/bench_intake.py [--seconds 60] [--clients 16] [--batch 100]
        [--rate 1000] [--workers 1] [--store sqlite|postgresql|both] [--pg-url URL]
        [--json]
    python benchmarks/bench_intake.py --sequential 2000 [--store ...]

For each store: a fresh workspace in a temporary folder (PostgreSQL: a fresh schema in
the `--pg-url` database, migrated, dropped afterwards), a service account and its token
made through the facade, then `watchkeeper serve` on 127.0.0.1 (a free port) in a child
process and the clients in another (asyncio, one keep-alive HTTP/1.1 connection each).
Every alert carries a unique ``finding_info.uid``.

`--rate R` offers R alerts/s for `--seconds`, half of them posted one by one (each
single client an even share) and half in batches (the issue's load: 1,000/s is 500
requests/s of one alert and 5 of 100); a client that falls behind its schedule posts at
once and the lag is reported, and what it has not posted when the window ends is
counted as unsent (the run ends on time). `--rate 0` has every client post back to back
(what the service can take; then the batches carry nearly all the alerts).

The clients count the answers and the alerts each 2xx acknowledged; after the run the
benchmark counts the alerts stored: stored must equal acknowledged, and every request
must have had a 2xx (then stored equals sent). Reports alerts/s stored (over the
sending window), p50/p95/p99 per request kind, and the CPU time of the server and of
the clients with the load average, since other jobs may share the machine.

`--sequential N` measures what one request costs instead: one client posts N single
alerts, then N/10 batches, each after the previous answer, and the server's CPU time
per request of each kind is reported (comparable across runs on a loaded machine,
where the paced rates and latencies are not).

Goal (issue 14): for 60 s from 16 clients, at least 1,000 alerts/s stored, none lost,
p99 <= 50 ms per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from bench_ingest import machine

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TOKEN_ENV = "WK_BENCH_TOKEN"
GOAL_RATE, GOAL_P99_MS = 1000.0, 50.0
T0_MS = 1736935200000   # 2025-01-15 10:00 UTC


# -- the clients (run in their own process: `--drive URL`) --------------------------------

def alert_json(uid: str, n: int) -> str:
    """One OCSF Detection Finding (2004), about one of 50 people on one of 50 hosts."""
    ms = T0_MS + n * 1000
    return json.dumps({
        "class_uid": 2004, "category_uid": 2, "activity_id": 1, "type_uid": 200401,
        "severity_id": 1 + n % 5, "status_id": 1, "time": ms,
        "metadata": {"version": "1.4.0", "product": {"name": "Bench EDR", "vendor_name": "B"}},
        "finding_info": {"uid": uid, "title": "USB bulk copy after hours",
                         "desc": f"{n % 97} files labelled Confidential copied to USB",
                         "first_seen_time": ms - 60000, "last_seen_time": ms,
                         "analytic": {"name": "USB bulk copy", "uid": "bench.usb",
                                      "type_id": 1}},
        "device": {"hostname": f"PC-{n % 50:04d}", "region": "eu"},
        "evidences": [{"actor": {"user": {"name": f"DTAA\\USR{n % 50:04d}"}}}],
        "observables": [{"name": "file.name", "type": "File Name", "type_id": 7,
                         "value": f"report-{n % 13}.xlsx"}]}, separators=(",", ":"))


class Tally:
    """What one kind of client (single or batch) saw."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.sent = self.acknowledged = self.requests = 0
        self.behind = 0.0   # the longest a request left after its scheduled time
        self.unsent = 0     # alerts a client behind its schedule had not posted at the end
        self.failures: Counter[str] = Counter()


async def client(http: Connection, kind: str, size: int, index: int, run: str, start: float,
                 seconds: float, every: float, phase: float, tally: Tally) -> None:
    """Post `size` alerts a request until `seconds` after `start`: back to back (`every`
    0), or one request each `every` seconds, the first `phase` seconds after `start`. A
    client behind its schedule posts at once; what it has not posted by the end of the
    window it never posts (counted as unsent): the run ends on time."""
    n = k = 0
    end = start + seconds
    due_count = math.ceil((seconds - phase) / every) if every else 0
    while True:
        now = time.perf_counter()
        if every:
            if k == due_count:
                return
            due = start + phase + every * k
            if max(due, now) >= end:
                tally.unsent += (due_count - k) * size
                return
            k += 1
            if due > now:
                await asyncio.sleep(due - now)
            else:
                tally.behind = max(tally.behind, now - due)
        elif now >= end:
            return
        alerts = [alert_json(f"{run}-{kind}-{index}-{n + i}", n + i) for i in range(size)]
        body = alerts[0] if size == 1 else "[" + ",".join(alerts) + "]"
        n += size
        started = time.perf_counter()
        try:
            status, answer = await http.post(body.encode())
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:  # counted
            tally.failures[type(exc).__name__] += 1
            tally.sent += size
            await http.reconnect()
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.requests += 1
        tally.sent += size
        if 200 <= status < 300:
            doc = json.loads(answer)
            tally.acknowledged += int(doc["new"]) + int(doc["updated"]) + int(doc["duplicates"])
            if doc["new"] != size:
                tally.failures["not new"] += 1
        else:
            tally.failures[str(status)] += 1


class Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON to /api/v1/alerts and reads
    the answer by its Content-Length. Hand-written over asyncio streams: httpx spent a
    whole core at 500 requests/s on this 2-core machine, CPU the server then lacked."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.head = (f"POST /api/v1/alerts HTTP/1.1\r\nHost: {base.removeprefix('http://')}"
                     f"\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: ").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def reconnect(self) -> None:
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.reconnect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status = int((await self.reader.readuntil(b"\r\n")).split()[1])
        length = 0
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


async def drive(base: str, token: str, clients: int, batch: int, seconds: float,
                rate: float) -> dict[str, Any]:
    """Half the clients post single alerts, half batches. `rate` > 0: alerts/s offered,
    half of them single (each client at an even share, phases spread); 0: as fast as
    each client's answers come back."""
    run = uuid.uuid4().hex[:8]
    tallies = {"single": Tally(), "batch": Tally()}
    kinds = {"single": (1, clients // 2), "batch": (batch, clients - clients // 2)}
    connections = [Connection(base, token) for _ in range(clients)]
    for c in connections:
        await c.reconnect()
    started = time.perf_counter()
    jobs = []
    for kind, (size, count) in kinds.items():
        every = count * size / (rate / 2) if rate else 0.0
        jobs += [client(connections.pop(), kind, size, i, run, started, seconds, every,
                        every * i / count, tallies[kind]) for i in range(count)]
    await asyncio.gather(*jobs)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"elapsed_s": elapsed,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "kinds": {kind: {"sent": t.sent, "acknowledged": t.acknowledged,
                             "requests": t.requests, "failures": dict(t.failures),
                             "behind_max_ms": round(t.behind * 1000, 1),
                             "unsent": t.unsent,
                             "latencies": t.latencies} for kind, t in tallies.items()}}


# -- the run: workspace, server, clients, count ------------------------------------------

@contextmanager
def database(store: str, pg_url: str) -> Iterator[str | None]:
    """None for SQLite (the workspace's own); a URL of a fresh PostgreSQL schema."""
    if store == "sqlite":
        yield None
        return
    from sqlalchemy import create_engine, text
    admin = create_engine(pg_url)
    schema = f"wk_bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(root: Path, url: str | None) -> str:
    """A workspace whose store is migrated and holds a service account; its new token."""
    from watchkeeper.workspace import Workspace
    ws = Workspace.open(root, create=True, database_url=url)
    if url is not None:
        ws.db_upgrade()
    accounts = ws.accounts()
    accounts.users.add("sender", "service")
    token = accounts.tokens.create("sender", "bench").token
    ws.close_state()
    return token


def stored_alerts(root: Path, url: str | None) -> int:
    from watchkeeper.workspace import Workspace
    ws = Workspace.open(root, create=False, database_url=url)
    try:
        return ws.state.counts()["alerts"]
    finally:
        ws.close_state()


def start_server(root: Path, url: str | None, log: Path,
                 serve_args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """`watchkeeper serve --port 0` in a child process, and its base URL once it answers."""
    import httpx
    command = [sys.executable, "-m", "watchkeeper", "-w", str(root)]
    if url is not None:
        command += ["--database-url", url]
    env = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_DATABASE_URL"}
    with log.open("wb") as sink:
        server = subprocess.Popen([*command, "serve", "--port", "0", *serve_args],
                                  stdout=sink, stderr=subprocess.STDOUT, env=env)
    workers = int(serve_args[serve_args.index("--workers") + 1]) \
        if "--workers" in serve_args else 1
    for _ in range(1200):
        if server.poll() is not None:
            raise SystemExit(f"serve exited with {server.returncode}: {log.read_text()}")
        text = log.read_text(errors="replace")
        found = [w for w in text.split()
                 if w.startswith("http://127.0.0.1:") and w.endswith("/api/v1")]
        if found and text.count("Application startup complete") >= workers:
            base = found[0].removesuffix("/api/v1")
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    return server, base
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("serve did not answer /readyz within 120 s")


def cpu_seconds(pid: int) -> float:
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with_cpu = p.cpu_times()
        total += with_cpu.user + with_cpu.system
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def summary(kind: dict[str, Any]) -> dict[str, Any]:
    lat = [x * 1000 for x in kind.pop("latencies")]
    return {**kind, "p50_ms": round(percentile(lat, 0.50), 1),
            "p95_ms": round(percentile(lat, 0.95), 1),
            "p99_ms": round(percentile(lat, 0.99), 1),
            "max_ms": round(max(lat, default=0.0), 1),
            "mean_ms": round(statistics.fmean(lat), 1) if lat else 0.0}


def sequential(base: str, token: str, pid: int, singles: int, batches: int,
               size: int) -> dict[str, float]:
    """One client posting one request at a time: `singles` single alerts, then
    `batches` batches of `size`; the server's CPU (its process tree) per request of
    each kind. Load-independent where a paced run is not: what one request costs."""
    import socket
    host, port = base.removeprefix("http://").rsplit(":", 1)
    head = (f"POST /api/v1/alerts HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: "
            f"Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: ").encode()
    run = uuid.uuid4().hex[:8]
    with socket.create_connection((host, int(port))) as sock, sock.makefile("rb") as answers:
        def post(body: str) -> None:
            data = body.encode()
            sock.sendall(head + str(len(data)).encode() + b"\r\n\r\n" + data)
            status = int(answers.readline().split()[1])
            length = 0
            while (line := answers.readline()) != b"\r\n":
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answers.read(length)
            if status != 201:
                raise SystemExit(f"sequential post answered {status}")

        for n in range(50):   # warm up: imports, statement caches, the caller
            post(alert_json(f"{run}-warm-{n}", n))
        cpu = cpu_seconds(pid)
        for n in range(singles):
            post(alert_json(f"{run}-one-{n}", n))
        one = cpu_seconds(pid)
        for b in range(batches):
            post("[" + ",".join(alert_json(f"{run}-many-{b}-{n}", n)
                                for n in range(size)) + "]")
        done = cpu_seconds(pid)
    return {"single_cpu_ms": round((one - cpu) / max(singles, 1) * 1000, 3),
            "batch_cpu_ms": round((done - one) / max(batches, 1) * 1000, 2)}


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wk-bench-intake-") as tmp, \
            database(store, args.pg_url) as url:
        root = Path(tmp) / "ws"
        token = prepare(root, url)
        server, base = start_server(root, url, Path(tmp) / "serve.log",
                                    ["--workers", str(args.workers), *args.serve_arg])
        if args.sequential:
            try:
                load = os.getloadavg()
                found = sequential(base, token, server.pid, args.sequential,
                                   args.sequential // 10, args.batch)
                return {"store": store, "sequential": args.sequential, **found,
                        "load_before": [round(x, 2) for x in load],
                        "load_after": [round(x, 2) for x in os.getloadavg()]}
            finally:
                server.terminate()
                server.wait(timeout=60)
        try:
            load_before = os.getloadavg()
            server_cpu = cpu_seconds(server.pid)
            done = subprocess.run(
                [sys.executable, __file__, "--drive", base, "--clients", str(args.clients),
                 "--batch", str(args.batch), "--seconds", str(args.seconds),
                 "--rate", str(args.rate)],
                capture_output=True, text=True, check=False,
                env={**os.environ, TOKEN_ENV: token}, timeout=args.seconds + 300)
            server_cpu = cpu_seconds(server.pid) - server_cpu
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=60)
        if done.returncode != 0:
            raise SystemExit(f"clients failed: {done.stderr.strip()}")
        driven = json.loads(done.stdout)
        stored = stored_alerts(root, url)
    kinds = {k: summary(v) for k, v in driven["kinds"].items()}
    acknowledged = sum(k["acknowledged"] for k in kinds.values())
    sent = sum(k["sent"] for k in kinds.values())
    failures = sum(sum(k["failures"].values()) for k in kinds.values())
    elapsed = driven["elapsed_s"]
    every = [k["p99_ms"] for k in kinds.values()]
    rate = stored / args.seconds   # every alert was sent within the window
    return {"store": store, "workers": args.workers,
            "offered_per_s": args.rate or "as fast as answered",
            "elapsed_s": round(elapsed, 1), "sent": sent,
            "acknowledged": acknowledged, "stored": stored, "lost": acknowledged - stored,
            "failed_requests": failures, "alerts_per_s": round(rate),
            "requests_per_s": round(sum(k["requests"] for k in kinds.values())
                                    / args.seconds),
            "unsent": sum(k["unsent"] for k in kinds.values()),
            "p99_ms": max(every), "kinds": kinds,
            "server_cpu_s": round(server_cpu, 1), "client_cpu_s": round(driven["cpu_s"], 1),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "goal_met": bool(rate >= GOAL_RATE and stored == acknowledged == sent
                             and failures == 0 and max(every) <= GOAL_P99_MS)}


def show(result: dict[str, Any]) -> None:
    print(f"intake on {result['store']} ({result['workers']} worker(s)): offered "
          f"{result['offered_per_s']} alerts/s, "
          f"{result['elapsed_s']} s, load {result['load_before']} -> {result['load_after']}")
    unsent = f" ({result['unsent']:,} offered but never sent: the clients fell behind)" \
        if result["unsent"] else ""
    print(f"  stored {result['stored']:,} of {result['sent']:,} sent{unsent}, "
          f"{result['acknowledged']:,} acknowledged, {result['failed_requests']} failed "
          f"requests: {result['alerts_per_s']:,} alerts/s, "
          f"{result['requests_per_s']:,} requests/s")
    for kind, k in result["kinds"].items():
        print(f"  {kind:6}  {k['requests']:7,} requests  p50 {k['p50_ms']:6.1f}  "
              f"p95 {k['p95_ms']:6.1f}  p99 {k['p99_ms']:6.1f}  max {k['max_ms']:6.1f} ms"
              f"  {k['acknowledged']:,} alerts"
              + (f"  behind schedule <= {k['behind_max_ms']:,.0f} ms"
                 if result["offered_per_s"] != "as fast as answered" else "") +
              (f"  failures {k['failures']}" if k["failures"] else ""))
    print(f"  cpu     server {result['server_cpu_s']} s, clients {result['client_cpu_s']} s"
          f"  goal (>= {GOAL_RATE:,.0f}/s, none lost, p99 <= {GOAL_P99_MS:.0f} ms): "
          f"{'met' if result['goal_met'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="Alerts/s offered, half posted one by one and half in "
                             "batches (0: every client posts as fast as answered).")
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("WATCHKEEPER_TEST_POSTGRES", PG_URL))
    parser.add_argument("--workers", type=int, default=1,
                        help="`watchkeeper serve --workers`: processes answering.")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="An argument passed on to `watchkeeper serve` (repeatable).")
    parser.add_argument("--sequential", type=int, default=0, metavar="N",
                        help="Instead of the paced run: one client posts N single alerts, "
                             "then N/10 batches, one at a time; server CPU per request.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--drive", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(asyncio.run(drive(args.drive, os.environ[TOKEN_ENV], args.clients,
                                           args.batch, args.seconds, args.rate))))
        return
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    results = {store: run_store(store, args) for store in stores}
    if args.sequential:
        for r in results.values():
            print(json.dumps(r) if args.json else
                  f"intake on {r['store']}, one request at a time: server CPU "
                  f"{r['single_cpu_ms']} ms per single alert, {r['batch_cpu_ms']} ms per "
                  f"batch of {args.batch} (load {r['load_before']} -> {r['load_after']})")
        return
    doc: dict[str, Any] = {"benchmark": "intake", "seconds": args.seconds,
                           "clients": args.clients, "batch": args.batch, "rate": args.rate}
    for store, r in results.items():
        doc |= {f"{store}_alerts_per_s": r["alerts_per_s"], f"{store}_p99_ms": r["p99_ms"],
                f"{store}_lost": r["lost"], f"{store}_goal_met": r["goal_met"]}
    doc |= {"stores": results, "machine": machine()}
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    for r in results.values():
        show(r)
    print(f"machine: {doc['machine']}")


if __name__ == "__main__":
    main()
