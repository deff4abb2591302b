"""Authorization: decisions per second in-process (batches, decision log included) and
the latency of one decision over HTTP on loopback.

    python benchmarks/bench_authorize.py [--people 2000] [--assets 200] [--grants 40]
        [--decisions 200000] [--batch 1000] [--requests 3000] [--store sqlite|postgresql]
        [--pg-url URL] [--json]

A fresh workspace in a temporary folder: an HR feed of `--people` employees over three
regions and six roles (a few leavers), a data-asset catalogue of `--assets` stores (one
in ten VIP), and `--grants` grants made through the facade (request, then approvals).
In-process, `Workspace.authorize_batch` answers `--decisions` random questions (who,
read/export/delete, which asset, which purpose) `--batch` at a time; each batch is one
Cedar call and one insert into the decision log; the rate counts both. Over HTTP,
`watchkeeper serve --no-scheduler` runs on 127.0.0.1 in a child process (as
bench_intake.py starts it) and
one keep-alive client posts `--requests` single questions to ``/api/v1/authorize`` with
a service account's token, one after another; p50/p95/p99 are per request, as the
client sees them.

Goal (access-governance issue): >= 20,000 decisions/s in-process, p99 <= 5 ms over HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ingest import machine
from bench_intake import PG_URL, cpu_seconds, database, percentile, start_server

GOAL_RATE, GOAL_P99_MS = 20_000.0, 5.0
REGIONS = ("EU", "US", "APAC")
ROLES = ("SupportAgent", "FraudAnalyst", "Analyst", "DataEngineer", "Accountant",
         "Manager")
PURPOSES = ("customer-support", "investigation", "fraud-review", "")


def people_csv(path: Path, n: int) -> list[str]:
    header = ("id,name,email,department,team,role,manager,region,country,hire_date,"
              "notice_date,end_date,watchlists\n")
    users = [f"U{i:05d}" for i in range(n)]
    with path.open("w") as fh:
        fh.write(header)
        for i, user in enumerate(users):
            region, role = REGIONS[i % 3], ROLES[i % len(ROLES)]
            left = ",2020-06-01,2020-06-30" if i % 97 == 0 else ",,"
            fh.write(f"{user},{user},{user}@corp.example,Ops,T{region},{role},,{region},"
                     f"XX,2019-01-01{left},\n")
    return users


def assets_csv(path: Path, n: int) -> list[str]:
    names = [f"store-{i:04d}" for i in range(n)]
    with path.open("w") as fh:
        fh.write("id,name,region,sensitivity,vip\n")
        for i, name in enumerate(names):
            fh.write(f"{name},{name},{REGIONS[i % 3]},high,{str(i % 10 == 0).lower()}\n")
    return names


def prepare(root: Path, url: str | None, args: argparse.Namespace
            ) -> tuple[list[str], list[str], str]:
    from watchkeeper.access.requests import RequestNew, parse_duration
    from watchkeeper.workspace import Workspace
    ws = Workspace.open(root, create=True, database_url=url)
    if url is not None:
        ws.db_upgrade()
    users = people_csv(root.parent / "hr.csv", args.people)
    assets = assets_csv(root.parent / "assets.csv", args.assets)
    ws.ingest([root.parent / "hr.csv"], "hr")
    ws.ingest([root.parent / "assets.csv"], "assets")
    rng = random.Random(7)
    approvers = [u for i, u in enumerate(users) if i % 97 and ROLES[i % 6] == "Manager"]
    for _ in range(args.grants):
        who = rng.choice([u for i, u in enumerate(users[:300]) if i % 97])
        made = ws.access_request(RequestNew(
            who, rng.choice(("read", "export")), rng.choice(assets), "investigation",
            "benchmark", parse_duration("7d")), requester=who, actor="bench")
        for approver in approvers[:made.approvals_needed]:
            ws.access_approve(made.id, approver=approver, actor="bench")
    accounts = ws.accounts()
    accounts.users.add("platform", "service")
    token = accounts.tokens.create("platform", "bench").token
    ws.close_state()
    ws.lake.close()
    return users, assets, token


def questions(users: list[str], assets: list[str], n: int, seed: int) -> list[Any]:
    from watchkeeper.access.decide import Query
    rng = random.Random(seed)
    actions = ("read",) * 8 + ("export", "delete")
    return [Query(rng.choice(users), rng.choice(actions), rng.choice(assets),
                  rng.choice(PURPOSES), f"T-{rng.randrange(1000)}") for _ in range(n)]


def in_process(root: Path, url: str | None, users: list[str], assets: list[str],
               args: argparse.Namespace) -> dict[str, Any]:
    from watchkeeper.workspace import Workspace
    ws = Workspace.open(root, create=False, database_url=url)
    asked = questions(users, assets, args.decisions, 11)
    ws.authorize_batch(asked[:args.batch], caller="warm-up")   # policies, directory
    allowed = 0
    started, cpu0 = time.perf_counter(), time.process_time()
    for i in range(0, len(asked), args.batch):
        answers = ws.authorize_batch(asked[i:i + args.batch], caller="bench")
        allowed += sum(a.allowed for a in answers)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    logged = len(ws.access_decisions(limit=0))
    ws.close_state()
    ws.lake.close()
    return {"decisions": len(asked), "batch": args.batch, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2), "decisions_per_s": round(len(asked) / seconds),
            "decisions_per_cpu_s": round(len(asked) / cpu),
            "allowed_share": round(allowed / len(asked), 3),
            "logged": logged, "logged_all": logged == len(asked) + args.batch}


def over_http(root: Path, url: str | None, users: list[str], assets: list[str],
              token: str, args: argparse.Namespace) -> dict[str, Any]:
    import httpx
    # without the scheduler: its first analyze of the 2,000 people would share the
    # process (and the GIL) with the requests measured
    server, base = start_server(root, url, root.parent / "serve.log", ["--no-scheduler"])
    try:
        asked = questions(users, assets, args.requests + 200, 13)
        bodies = [json.dumps({"principal": q.principal, "action": q.action,
                              "resource": q.resource, "purpose": q.purpose,
                              "ticket": q.ticket}).encode() for q in asked]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        latencies, statuses = [], []
        server_cpu = 0.0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for k, body in enumerate(bodies):
                if k == 200:   # the first 200 warm up the server
                    server_cpu = cpu_seconds(server.pid)
                t = time.perf_counter()
                response = client.post("/api/v1/authorize", content=body)
                if k >= 200:
                    latencies.append((time.perf_counter() - t) * 1000)
                    statuses.append(response.status_code)
            server_cpu = cpu_seconds(server.pid) - server_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"requests": len(latencies), "ok": statuses.count(200),
            "p50_ms": round(percentile(latencies, 0.50), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "max_ms": round(max(latencies), 2),
            "mean_ms": round(statistics.fmean(latencies), 2),
            "server_cpu_ms_per_request": round(server_cpu * 1000 / len(latencies), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--grants", type=int, default=40)
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wk-bench-authz-") as tmp, \
            database(args.store, args.pg_url) as url:
        root = Path(tmp) / "ws"
        users, assets, token = prepare(root, url, args)
        batch = in_process(root, url, users, assets, args)
        http = over_http(root, url, users, assets, token, args)
    result = {"benchmark": "authorize", "store": args.store, "machine": machine(),
              "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in os.getloadavg()],
              "people": args.people, "assets": args.assets, "grants": args.grants,
              "in_process": batch, "http": http,
              "goals": {"decisions_per_s": GOAL_RATE, "p99_ms": GOAL_P99_MS},
              "met": batch["decisions_per_s"] >= GOAL_RATE and http["p99_ms"] <= GOAL_P99_MS}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine: {result['machine']}; load {result['load_before']} -> "
          f"{result['load_after']}")
    print(f"in-process: {batch['decisions']:,} decisions in {batch['seconds']} s = "
          f"{batch['decisions_per_s']:,}/s (batches of {batch['batch']}, logged: "
          f"{batch['logged_all']}; {batch['decisions_per_cpu_s']:,} per CPU second; "
          f"goal {GOAL_RATE:,.0f}/s)")
    print(f"HTTP: {http['requests']:,} requests, p50 {http['p50_ms']} ms, p95 "
          f"{http['p95_ms']} ms, p99 {http['p99_ms']} ms (goal <= {GOAL_P99_MS} ms); "
          f"server CPU {http['server_cpu_ms_per_request']} ms per request")
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
