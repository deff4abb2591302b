"""The dashboard's pages: the server's time per page over a filled queue (SQLite and
PostgreSQL), and the overview drawn in a browser on the demo workspace.

    python benchmarks/bench_web.py [--alerts 1000000] [--calls 20]
        [--store sqlite|postgresql|both] [--users 1000 --days 30 --seed 7]
        [--browser demo-data/workspace] [--json]

Prepares the simulated enterprise (`bench_analyze.prepared_workspace`, reused when
present), bulk-loads `--alerts` alerts about its people (`queue_data`, as
`bench_queue.py`), signs in an analyst of a team seeing two regions, opens one case
from an alert, and then requests each page `--calls` times through the service's ASGI
app in this process (Starlette's test client: no network, so the figure is the
server's work: authentication, the facade's calls, the audit entries of reads, and
rendering): the overview, the queue (first page; high and critical alerts; the next
page by cursor), one alert, the case, a person, the rules and the sources pages, the
overview's service levels (the fragment it loads) and the hand-off page, the
workspace's clock set to the end of the simulated data (so "the last 30 days" hold
alerts and events). The queue is bulk-loaded past the intake, so the overview's rollup
is rebuilt from it (`watchkeeper db rollups --rebuild`, timed) before the pages are.
The enterprise is analysed once (its risk history feeds the overview's top people).
Wall time per request, p50 and p95 in milliseconds, the process's CPU time per request
(median), and the first request of each page apart (cold caches; it warms them).
`--browser WORKSPACE` (the demo's)
also times the overview in headless Chromium until every chart reports drawn
(`web_browser.py`). The load average is reported beside them; the machine is shared.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from typing import Any

import queue_data
from bench_analyze import enterprise_arguments, prepared_workspace
from bench_ingest import machine
from bench_queue import fill
from bench_state import own_workspace, p95, store_location
from watchkeeper.cases.rollups import rebuild
from watchkeeper.cases.service import CaseNew
from watchkeeper.ops.clock import FixedClock
from watchkeeper.workspace import Workspace

PASSWORD = "correct horse battery staple"


def sign_in(client: Any) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    done = client.post("/login", data={"csrf": token.group(1), "name": "ana",
                                       "password": PASSWORD}, follow_redirects=False)
    if done.status_code != 303:
        raise SystemExit(f"sign-in failed: {done.status_code}")


def pages(ws: Workspace, client: Any, q: queue_data.Queue) -> dict[str, str]:
    """The address of each page timed."""
    queue = client.get("/alerts?sort=-time&limit=50").text
    ids = re.findall(r'data-id="(\d+)"', queue)
    following = re.search(r'href="(/alerts\?[^"]*cursor=[^"]+)"', queue)
    viewer = ws.case_viewer("ana")
    case = ws.case_create(viewer, CaseNew("bench case", alerts=(int(ids[0]),)))
    person = next((p for p in q.people if p.region in ("EU", "US", None)), q.people[0])
    return {
        "overview (30 days)": "/",
        "queue, first page": "/alerts",
        "queue, high+critical": "/alerts?severity=4&severity=5&status=new",
        "queue, next page": following.group(1).replace("&amp;", "&") if following
        else "/alerts",
        "alert": f"/alerts/{ids[1]}",
        "case (24 h timeline)": f"/cases/{case.id}",
        "person": f"/people/{ws.pseudonymizer().pseudonym(person.user)}",
        "rules (30 days)": "/rules",
        "sources (30 days)": "/sources",
        "service levels (30 days)": "/overview/service",
        "hand-off": "/handoff",
    }


def timed(client: Any, path: str, calls: int) -> dict[str, float]:
    """Wall time per request (p50, p95, max) and the process's CPU time per request
    (median), which the shared machine's load sways less."""
    walls, cpus = [], []
    for _ in range(calls):
        started, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")
    return {"p50_ms": round(statistics.median(walls), 1), "p95_ms": round(p95(walls), 1),
            "max_ms": round(max(walls), 1), "cpu_ms": round(statistics.median(cpus), 1)}


def first(client: Any, path: str) -> float:
    """The first request of a page (cold: caches empty, statements compiled), in ms.
    (To profile a page, profile its facade calls in process: the test client serves
    the request on another thread, which cProfile does not see.)"""
    started = time.perf_counter()
    client.get(path)
    return round((time.perf_counter() - started) * 1000, 1)


def ensure_analysed(workspace: Any) -> None:
    """Risk scores for the overview's top people (analysed once, reused)."""
    import subprocess
    if (workspace / "analytics" / "current.json").exists():
        return
    print("analyze (once) …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "watchkeeper", "-w", str(workspace), "analyze"],
                   check=True, stdout=subprocess.DEVNULL)


def one_store(kind: str, workspace: Any, q: queue_data.Queue, end: Any,
              calls: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from watchkeeper.api import create_app
    with store_location(kind) as location:
        print(f"{kind}: loading {q.alerts:,} alerts …", file=sys.stderr)
        loaded = fill(location, q)
        with own_workspace(workspace, location) as ws:
            started = time.perf_counter()
            with ws.state.writing() as session:
                counted = rebuild(session)
            rebuilt = round(time.perf_counter() - started, 1)
            ws.clock = FixedClock(end)   # "the last 30 days" are the data's last 30 days
            accounts = ws.accounts()
            accounts.teams.add("soc-eu-us", ["EU", "US"])
            accounts.users.add("ana", "analyst", teams=["soc-eu-us"], password=PASSWORD)
            with TestClient(create_app(ws)) as client:
                sign_in(client)
                addresses = pages(ws, client, q)
                figures = {}
                for name, path in addresses.items():
                    print(f"{kind}: {name} …", file=sys.stderr)
                    cold = first(client, path)   # warms caches, compiles
                    figures[name] = {**timed(client, path, calls), "first_ms": cold}
    return {**loaded, "rollup_rebuild_s": rebuilt, "rollup_rows": counted.rows,
            "pages": figures}


def main() -> None:
    parser = enterprise_arguments(__doc__ or "")
    parser.set_defaults(users=1000, days=30)
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--browser", default=None,
                        help="a workspace (the demo's) to time the drawn overview on")
    args = parser.parse_args()
    workspace = prepared_workspace(args)
    ensure_analysed(workspace)
    shared = Workspace.open(workspace, create=False)
    start, end = queue_data.span_of(shared.lake)
    q = queue_data.plan(args.alerts, queue_data.people_of(shared.lake),
                        queue_data.detections(), start, end, args.seed)
    shared.lake.close()
    load_before = [round(x, 2) for x in os.getloadavg()]
    kinds = ("sqlite", "postgresql") if args.store == "both" else (args.store,)
    stores = {kind: one_store(kind, workspace, q, end, args.calls) for kind in kinds}
    drawn = None
    if args.browser:
        from pathlib import Path

        from web_browser import overview_drawn
        demo = Path(__file__).resolve().parents[1] / args.browser
        if demo.exists():
            drawn = overview_drawn(demo, calls=10)
        else:
            print(f"{demo}: no such workspace (make demo); the browser is not timed",
                  file=sys.stderr)
    result = {"benchmark": "web", "machine": machine(), "alerts": args.alerts,
              "enterprise": f"{args.users} users x {args.days} days, seed {args.seed}",
              "calls": args.calls, "stores": stores, "browser_overview": drawn,
              "load_before": load_before,
              "load_after": [round(x, 2) for x in os.getloadavg()]}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.alerts:,} alerts, {result['enterprise']}, {args.calls} requests per "
          f"page (load {load_before} -> {result['load_after']}); first: the first request")
    for kind, done in stores.items():
        print(f"{kind}: rollup rebuilt in {done['rollup_rebuild_s']} s "
              f"({done['rollup_rows']:,} rows)")
    names = list(next(iter(stores.values()))["pages"])
    print("| page | " + " | ".join(f"{k} p50 / p95 ms | {k} CPU ms | {k} first ms"
                                   for k in stores) + " |")
    print("|---|" + "---|---|---|" * len(stores))
    for name in names:
        cells = " | ".join(f"{stores[k]['pages'][name]['p50_ms']} / "
                           f"{stores[k]['pages'][name]['p95_ms']} | "
                           f"{stores[k]['pages'][name]['cpu_ms']} | "
                           f"{stores[k]['pages'][name]['first_ms']}" for k in stores)
        print(f"| {name} | {cells} |")
    if drawn:
        print(f"browser, overview drawn: p50 {drawn['p50_ms']} ms, p95 {drawn['p95_ms']} ms")


if __name__ == "__main__":
    main()
