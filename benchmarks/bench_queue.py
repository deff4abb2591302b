"""The alert queue at 1,000,000 alerts: list pages through the facade, SQLite and PostgreSQL.

    python benchmarks/bench_queue.py [--alerts 1000000] [--store sqlite|postgresql|both]
        [--calls 200] [--users 1000 --days 365 --seed 7] [--pg URL] [--json]

Generates a year of alerts about the simulated enterprise's people (`queue_data`: six
sources, Zipf-like rules, a few people with many alerts) and bulk-loads them into a
fresh store of each kind: SQLite in bench-data/, PostgreSQL in a schema of its own
(dropped afterwards). PostgreSQL is then VACUUM ANALYZEd, as its autovacuum would within
a minute of such a load; SQLite takes its statistics itself when the store is opened
(`store.planner`). Then `Workspace.alerts_list` (what GET /api/v1/alerts calls) is
timed for an analyst of one team seeing two regions and for an admin: `--calls` calls
per filter (first pages with the filter values varied per call, and pages deeper in by
cursor), wall and CPU time. The pseudonymizer is built once per workspace for these
timings (`Workspace.pseudonymizer` rebuilds it per call today; that cost is measured on
its own and reported). Goal: status and severity, newest first, 50 per page: p95 <=
100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import queue_data
from bench_analyze import enterprise_arguments, prepared_workspace
from bench_ingest import machine
from bench_state import KINDS, PG_SERVER, own_workspace, p95, store_location
from watchkeeper.cases.queue import AlertPage, AlertQuery
from watchkeeper.security.roles import Scope, scope
from watchkeeper.store import StateStore, StoreLocation, upgrade
from watchkeeper.store.engine import make_engine
from watchkeeper.workspace import Workspace

GOAL_MS = 100.0
GOAL = "status+severity"


@dataclass(frozen=True)
class Scenario:
    """A filter timed with varied values: `make(i)` is the query of call `i`; `deep`
    walks pages by cursor instead of asking for first pages."""

    name: str
    make: Callable[[int], tuple[AlertQuery, str | None]]
    deep: bool = False


def scenarios(q: queue_data.Queue, ws: Workspace, seed: int) -> list[Scenario]:
    rng = random.Random(seed)
    statuses = [("new",), ("new", "in_progress")]
    severities = [(4, 5), (5,), (3, 4, 5), (4,)]
    rules = [r.name for r in rng.choices(q.rules, k=50)]
    rules[::5] = [r.rule_id for r in q.rules if r.source == "sentinel"][:10]  # by id too
    pz = ws.pseudonymizer()
    people = [pz.pseudonym(p.user) for p in rng.sample(q.people, 100)]
    sources = sorted(queue_data.SOURCES)
    days = (q.end - q.start).days

    def goal(i: int) -> tuple[AlertQuery, str | None]:
        return AlertQuery(status=statuses[i % 2], severity=severities[i // 2 % 4]), None

    def week(i: int) -> tuple[AlertQuery, str | None]:
        since = q.start + timedelta(days=rng.randrange(days - 7))
        return AlertQuery(status=("new",), since=since, until=since + timedelta(days=7)), None

    return [
        Scenario(GOAL, goal),
        Scenario(GOAL + " (deep, by cursor)", goal, deep=True),
        Scenario("rule", lambda i: (AlertQuery(rule=rules[i % len(rules)]), None)),
        Scenario("rule+status", lambda i: (AlertQuery(rule=rules[i % len(rules)],
                                                      status=("new",)), None)),
        Scenario("person", lambda i: (AlertQuery(), people[i % len(people)])),
        Scenario("source+status", lambda i: (AlertQuery(source=sources[i % len(sources)],
                                                        status=("new", "in_progress")), None)),
        Scenario("time range (a week)+status", week),
        Scenario("no filter", lambda i: (AlertQuery(), None)),
    ]


def timed_calls(ws: Workspace, scenario: Scenario, seen: Scope,
                calls: int) -> tuple[dict[str, float], list[tuple[int, ...]]]:
    """Wall and CPU milliseconds of `calls` listings; the ids of the first pages."""
    wall, cpu, firsts = [], [], []
    cursor: str | None = None
    for i in range(calls):
        query, person = scenario.make(i)
        query = replace(query, scope=seen, cursor=cursor if scenario.deep else None)
        w0, c0 = time.perf_counter(), time.process_time()
        found: AlertPage = ws.alerts_list(query, person=person)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if scenario.deep:
            cursor = found.next_cursor
        elif i < 10:
            firsts.append(tuple(a.id for a in found.items))
    return summary(wall, cpu), firsts


def summary(wall: list[float], cpu: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(wall), 1), "p95_ms": round(p95(wall), 1),
            "max_ms": round(max(wall), 1), "cpu_p50_ms": round(statistics.median(cpu), 1),
            "cpu_p95_ms": round(p95(cpu), 1), "calls": len(wall)}


def fill(location: StoreLocation, q: queue_data.Queue) -> dict[str, float]:
    """Migrate, bulk-load and (PostgreSQL) vacuum; then open it as the service would."""
    upgrade(location)
    engine = make_engine(location)
    started, cpu = time.perf_counter(), time.process_time()
    queue_data.load(engine, q)
    loaded, loaded_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    if location.dialect == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE")
    engine.dispose()
    StateStore.open(location).close()   # SQLite: the open takes planner statistics
    return {"load_s": round(loaded, 1), "load_cpu_s": round(loaded_cpu, 1),
            "statistics_s": round(time.perf_counter() - started, 1)}


def viewers(ws: Workspace) -> dict[str, Scope]:
    """An analyst of one team seeing two regions, and an admin (every region)."""
    accounts = ws.accounts()
    accounts.teams.add("soc-eu-us", ["EU", "US"])
    accounts.users.add("ana", "analyst", teams=["soc-eu-us"])
    accounts.users.add("root", "admin")
    return {"analyst (EU+US)": scope(accounts.users.principal("ana")),
            "admin": scope(accounts.users.principal("root"))}


def measure_store(kind: str, args: argparse.Namespace, workspace: Path,
                  q: queue_data.Queue) -> tuple[dict[str, Any], dict[str, Any]]:
    with store_location(kind, args.pg) as location:
        print(f"{kind}: loading {args.alerts:,} alerts …", file=sys.stderr)
        result: dict[str, Any] = {**fill(location, q), "plan": plan_of_goal(location)}
        with own_workspace(workspace, location) as ws:
            seen = viewers(ws)
            as_is = as_is_cost(ws, seen["analyst (EU+US)"])
            built = ws.pseudonymizer()
            ws.pseudonymizer = lambda: built   # type: ignore[method-assign]
            firsts: dict[str, Any] = {}
            result["scenarios"] = {}
            for sc in scenarios(q, ws, args.seed):
                print(f"{kind}: {sc.name} …", file=sys.stderr)
                for who, s in seen.items():
                    figures, ids = timed_calls(ws, sc, s, args.calls)
                    result["scenarios"].setdefault(sc.name, {})[who] = figures
                    firsts[f"{sc.name}/{who}"] = ids
            result["facade_as_is"] = as_is
        return result, firsts


def as_is_cost(ws: Workspace, seen: Scope, calls: int = 20) -> dict[str, float]:
    """The goal listing with `Workspace.pseudonymizer` as it is today (rebuilt from the
    lake's people and devices on every call), and that build alone."""
    wall, cpu, build = [], [], []
    for _ in range(calls):
        query = AlertQuery(status=("new",), severity=(4, 5), scope=seen)
        w0, c0 = time.perf_counter(), time.process_time()
        ws.alerts_list(query)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        b0 = time.perf_counter()
        ws.pseudonymizer()
        build.append((time.perf_counter() - b0) * 1000)
    return {**summary(wall, cpu), "pseudonymizer_build_p50_ms":
            round(statistics.median(build), 1)}


def plan_of_goal(location: StoreLocation) -> str:
    """The store's plan for the goal's page query (first page, analyst scope)."""
    from sqlalchemy import select

    from watchkeeper.cases.queue import _filters
    from watchkeeper.store.models import Alert
    where = _filters(AlertQuery(status=("new",), severity=(4, 5),
                                scope=Scope(True, False, frozenset({"eu", "us"}), True)))
    stmt = select(Alert.id, Alert.event_time).where(*where).order_by(
        Alert.event_time.desc(), Alert.id.desc()).limit(51)
    engine = make_engine(location)
    try:
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if location.dialect == "sqlite" else "EXPLAIN "
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(explain + sql).all()
        return " | ".join(str(r[-1] if location.dialect == "sqlite" else r[0]).strip()
                          for r in rows)
    finally:
        engine.dispose()


def main() -> None:
    parser = enterprise_arguments(__doc__ or "")
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--pg", default=PG_SERVER)
    args = parser.parse_args()
    workspace = prepared_workspace(args)
    ws = Workspace.open(workspace, create=False)
    start, end = queue_data.span_of(ws.lake)
    q = queue_data.plan(args.alerts, queue_data.people_of(ws.lake),
                        queue_data.detections(), start, end, args.seed)
    kinds = KINDS if args.store == "both" else (args.store,)
    load_before = [round(x, 2) for x in os.getloadavg()]
    stores, firsts = {}, []
    for kind in kinds:
        stores[kind], ids = measure_store(kind, args, workspace, q)
        firsts.append(ids)
    result = report(args, stores, firsts, load_before)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print_report(result)


def report(args: argparse.Namespace, stores: dict[str, Any], firsts: list[Any],
           load_before: list[float]) -> dict[str, Any]:
    goal = {k: max(v["p95_ms"] for v in s["scenarios"][GOAL].values())
            for k, s in stores.items()}
    return {"benchmark": "queue", "alerts": args.alerts, "calls": args.calls,
            **{f"{k}_goal_p95_ms": v for k, v in goal.items()},
            "goal_met": all(v <= GOAL_MS for v in goal.values()),
            "same_pages_on_both_stores": all(f == firsts[0] for f in firsts),
            "stores": stores, "load_before": load_before,
            "load_after": [round(x, 2) for x in os.getloadavg()], "machine": machine()}


def print_report(result: dict[str, Any]) -> None:
    stores = result["stores"]
    print(f"queue listing, {result['alerts']:,} alerts, {result['calls']} calls each; "
          f"{result['machine']}; load {result['load_before']} -> {result['load_after']}")
    for kind, s in stores.items():
        print(f"{kind}: loaded in {s['load_s']} s (cpu {s['load_cpu_s']} s), statistics "
              f"{s['statistics_s']} s; plan: {s['plan']}")
    print(f"{'filter':34} {'viewer':16}" + "".join(f" {k:>26}" for k in stores))
    print(f"{'':51}" + "".join(f" {'p50 / p95 ms (cpu p95)':>26}" for _ in stores))
    for name in next(iter(stores.values()))["scenarios"]:
        for who in next(iter(stores.values()))["scenarios"][name]:
            cells = [stores[k]["scenarios"][name][who] for k in stores]
            print(f"{name:34} {who:16}" + "".join(
                f" {c['p50_ms']:>9.1f} / {c['p95_ms']:>6.1f} ({c['cpu_p95_ms']:>5.1f})"
                for c in cells))
    for kind, s in stores.items():
        a = s["facade_as_is"]
        print(f"{kind}: as the facade is today (pseudonymizer rebuilt per call): p50 "
              f"{a['p50_ms']} ms, p95 {a['p95_ms']} ms; the build alone "
              f"{a['pseudonymizer_build_p50_ms']} ms")
    print(f"goal (status+severity p95 <= {GOAL_MS:.0f} ms) met: {result['goal_met']}; "
          f"same first pages on every store: {result['same_pages_on_both_stores']}")


if __name__ == "__main__":
    main()
