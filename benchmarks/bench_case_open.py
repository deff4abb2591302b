"""Opening a case with its timeline, through the facade, on SQLite and PostgreSQL.

    python benchmarks/bench_case_open.py [--users 1000 --days 365 --seed 7] [--cases 60]
        [--store sqlite|postgresql|both] [--pg URL] [--json]

The seed-7 enterprise (1,000 people x 365 days, simulated and ingested once, shared with
bench_analyze.py and bench_timeline.py; analysed here first if it has not been, so that
a case's summary has its subject's risk explanation). For each store kind: a fresh store
(SQLite in bench-data/, PostgreSQL in a schema of its own, dropped afterwards) in a
workspace of its own over that lake (its keys and audit head are its own), a lead whose
account names a person of the lake (so recusal is checked against the people history),
and `--cases` cases, each with two alerts about one person and their machine on a day
drawn at random (`bench_timeline.pairs`). Then `Workspace.case_show` (what GET
/api/v1/cases/{id} calls: access and recusal, the record, the lake timeline 24 h either
side, HR context, the risk explanation, the summary draft, pseudonymization, the audited
read) opens each case once: the first is cold, p50 / p95 of the others. Goal: p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_analyze import enterprise_arguments, enterprise_name, prepared_workspace
from bench_ingest import machine
from bench_state import KINDS, PG_SERVER, own_workspace, p95, store_location
from bench_timeline import pairs
from watchkeeper.cases.model import AlertIn, Observable, Severity
from watchkeeper.cases.service import CaseNew
from watchkeeper.errors import AccessError
from watchkeeper.workspace import Workspace

GOAL_S = 1.0
LEAD = "lead-1"


def analysed(workspace: Path) -> bool:
    """Analyse the shared workspace once (risk explanations for the summaries)."""
    if (workspace / "analytics").exists():
        return False
    print("analysing the enterprise once (risk explanations) …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "watchkeeper", "-w", str(workspace), "analyze",
                    "--full", "--json"], check=True, capture_output=True)
    return True


def open_cases(ws: Workspace, args: argparse.Namespace) -> list[int]:
    """`args.cases` cases, two alerts each, about people the lead may investigate."""
    accounts = ws.accounts()
    accounts.teams.add("soc-all", ["*"])
    accounts.users.add(LEAD, "lead", teams=["soc-all"])
    people = sorted(p["user"] for p in ws.lake.table("people").select("user")
                    .to_pyarrow().to_pylist())
    ws.set_account_person(LEAD, people[0])
    viewer = ws.case_viewer(LEAD)
    made: list[int] = []
    for n, (user, host, when) in enumerate(pairs(ws.lake, args.days, args.cases * 2,
                                                 args.seed)):
        if len(made) == args.cases:
            break
        alerts = [alert(f"{n}-{k}", user, host, when + dt.timedelta(hours=2 * k))
                  for k in range(2)]
        ids = ws.alerts_ingest(alerts).alert_ids
        try:
            view = ws.case_create(viewer, CaseNew(title=f"Data movement by {user}",
                                                  alerts=tuple(ids)))
        except AccessError:   # the lead is recused (their chain, or a report)
            continue
        made.append(view.id)
    return made


def alert(ref: str, user: str, host: str, when: dt.datetime) -> AlertIn:
    raw = json.dumps({"id": ref, "user": user, "host": host, "time": when.isoformat()})
    return AlertIn(source="bench.dlp", source_ref=ref, title=f"Archive copied to USB by {user}",
                   severity=Severity.HIGH, event_time=when, raw=raw,
                   rule="Large archive copied to removable media", rule_id="dlp-usb-archive",
                   subjects=(user,), hosts=(host,),
                   observables=(Observable("file_name", "q4-forecast.zip"),))


def time_opens(ws: Workspace, cases: list[int]) -> dict[str, Any]:
    viewer = ws.case_viewer(LEAD)
    wall, cpu, events = [], [], []
    for case_id in cases:
        w0, c0 = time.perf_counter(), time.process_time()
        detail = ws.case_show(viewer, case_id)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        events.append(detail.timeline.total)
    rest, rest_cpu = wall[1:], cpu[1:]
    return {"cases": len(cases), "first_s": round(wall[0], 3),
            "p50_s": round(statistics.median(rest), 3), "p95_s": round(p95(rest), 3),
            "max_s": round(max(rest), 3), "cpu_p50_s": round(statistics.median(rest_cpu), 3),
            "cpu_p95_s": round(p95(rest_cpu), 3), "events_median": statistics.median(events),
            "events_max": max(events)}


def main() -> None:
    parser = enterprise_arguments(__doc__ or "")
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_SERVER)
    args = parser.parse_args()
    shared = prepared_workspace(args)
    ran_analyze = analysed(shared)
    load_before = [round(x, 2) for x in os.getloadavg()]
    stores: dict[str, Any] = {}
    for kind in KINDS if args.store == "both" else (args.store,):
        with store_location(kind, args.pg) as location, \
                own_workspace(shared, location) as ws:
            print(f"{kind}: opening {args.cases} cases …", file=sys.stderr)
            cases = open_cases(ws, args)
            print(f"{kind}: timing case_show …", file=sys.stderr)
            stores[kind] = time_opens(ws, cases)
    result = {"benchmark": "case_open", "users": args.users, "days": args.days,
              **{f"{k}_p95_s": v["p95_s"] for k, v in stores.items()},
              "goal_met": all(v["p95_s"] <= GOAL_S for v in stores.values()),
              "analysed_first": ran_analyze, "stores": stores, "load_before": load_before,
              "load_after": [round(x, 2) for x in os.getloadavg()], "machine": machine()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"case open {enterprise_name(args)}: {args.cases} cases per store; "
          f"{result['machine']}; load {load_before} -> {result['load_after']}")
    for kind, s in stores.items():
        print(f"  {kind:10} first {s['first_s']:.3f} s, p50 {s['p50_s']:.3f} s, p95 "
              f"{s['p95_s']:.3f} s (cpu p95 {s['cpu_p95_s']:.3f} s), events median "
              f"{s['events_median']}, max {s['events_max']}")
    print(f"  goal p95 <= {GOAL_S:.0f} s met: {result['goal_met']}")


if __name__ == "__main__":
    main()
