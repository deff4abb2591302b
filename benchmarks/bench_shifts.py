"""Thirty simulated days of three teams in three time zones: cases routed, SLA clocks
ticked, hand-offs written, compliance reported, all through the `Workspace` facade on a
driven clock (nothing sleeps).

    python benchmarks/bench_shifts.py [--days 30] [--cases-per-day 100] [--tick 15]
        [--seed 7] [--database-url URL] [--json]

soc-apac (Asia/Tokyo), soc-eu (Europe/Berlin) and soc-us (America/New_York) work
mon-fri 09:00-17:00 local with a few holidays; soc-eu sees eu, soc-us us and latam,
soc-apac apac and us. From Monday 3 March 2025 (both DST changes fall inside) cases
arrive at random (Poisson, `--cases-per-day`), 35% eu, 30% us, 20% apac, 5% latam, 10%
with no region, severities low to critical under four policies (wall and business
clocks). Every `--tick` simulated minutes the scheduler's two jobs run
(`sla_tick`, `handoffs_due`) and simulated analysts acknowledge and resolve open cases
at random (quicker on weekdays), pause a few waiting on HR, and acknowledge most
hand-offs. Reports wall and CPU time per phase, per tick (p50, p95, max), the routing,
breaches and hand-offs, and the compliance per team, severity and region.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_ingest import machine
from watchkeeper.cases.service import CaseNew
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.ops.clock import FixedClock
from watchkeeper.store import StoreLocation, upgrade
from watchkeeper.store.models import Alert, AlertSubject
from watchkeeper.workspace import Workspace

START = datetime(2025, 3, 3, tzinfo=UTC)
TEAMS = {"soc-apac": ("Asia/Tokyo", ["apac", "us"], [date(2025, 3, 20)]),
         "soc-eu": ("Europe/Berlin", ["eu"], [date(2025, 3, 14)]),
         "soc-us": ("America/New_York", ["us", "latam"], [date(2025, 3, 17)])}
REGIONS = [("eu", 35), ("us", 30), ("apac", 20), ("latam", 5), (None, 10)]
SEVERITIES = [(2, 30), (3, 40), (4, 22), (5, 8)]
POLICIES = {"critical": ("15m", "4h", "wall"), "high": ("1h", "8h", "business"),
            "medium": ("4h", "3d", "business"), "low": ("1d", "5d", "business")}
MEAN_ACK = {True: 50.0, False: 600.0}          # minutes, weekday or weekend
MEAN_RESOLVE = {True: 8 * 60.0, False: 36 * 60.0}


class Phases:
    """Wall and CPU seconds per phase of the run."""

    def __init__(self) -> None:
        self.wall: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()

    def run(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            self.wall[name] += time.perf_counter() - w
            self.cpu[name] += time.process_time() - c


def pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def workspace(root: Path, url: str | None) -> Workspace:
    root.mkdir(mode=0o700)
    (root / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    if url is not None:
        upgrade(StoreLocation(url, "bench"))
    ws = Workspace.open(root, create=False, database_url=url)
    ws.clock = FixedClock(START)
    accounts = ws.accounts()
    for name, (zone, regions, holidays) in TEAMS.items():
        accounts.teams.add(name, regions)
        ws.shifts_set(name, zone, ["mon-fri 09:00-17:00"])
        for day in holidays:
            ws.holiday_add(name, day, "holiday")
        accounts.users.add(f"{name}-lead", "lead", [name])
    accounts.users.add("desk", "admin")
    for severity, (ack, resolve, clock) in POLICIES.items():
        ws.sla_policy_set(severity, ack, resolve, clock)
    return ws


def new_alert(ws: Workspace, n: int, at: datetime, region: str | None, severity: int) -> int:
    with ws.state.session() as s:
        row = Alert(source="bench", source_ref=f"b-{n}", fingerprint=f"{n:064x}",
                    title=f"Alert {n}", severity=severity, status="new", rule="bench",
                    event_time=at, raw="{}", extra={}, region=region)
        row.subjects = [AlertSubject(subject=f"U{n % 500:04d}")]
        s.add(row)
        s.flush()
        return row.id


def simulate(ws: Workspace, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    clock = ws.clock
    assert isinstance(clock, FixedClock)
    desk = ws.case_viewer("desk")
    phases, ticks = Phases(), []
    step = timedelta(minutes=args.tick)
    rate = args.cases_per_day * args.tick / 1440
    open_cases: dict[int, bool] = {}          # case id -> acknowledged
    routed: Counter[str] = Counter()
    breaches: Counter[str] = Counter()
    handoffs = {"written": 0, "flagged": 0, "acknowledged": 0}
    n = 0
    end = START + timedelta(days=args.days)
    now = START
    while now < end:
        clock.set(now)
        weekday = now.weekday() < 5
        for _ in range(poisson(rng, rate)):      # arrivals since the last tick
            n += 1
            at = now - timedelta(seconds=rng.randrange(args.tick * 60))
            clock.set(at)
            alert = new_alert(ws, n, at, pick(rng, REGIONS), pick(rng, SEVERITIES))
            view = phases.run("create", ws.case_create, desk, CaseNew(f"Case {n}",
                                                                       alerts=(alert,)))
            routed[view.team or "(none)"] += 1
            open_cases[view.id] = False
        clock.set(now)
        act(ws, desk, rng, phases, open_cases, args.tick, weekday)
        w, c = time.perf_counter(), time.process_time()
        tick = phases.run("sla_tick", ws.sla_tick, now)
        run = phases.run("handoffs_due", ws.handoffs_due, now)
        ticks.append((time.perf_counter() - w, time.process_time() - c))
        breaches.update(b.kind for b in tick.breaches)
        handoffs["written"] += len(run.written)
        handoffs["flagged"] += len(run.flagged)
        for h in run.written:
            if rng.random() < 0.85:
                clock.set(now + timedelta(minutes=rng.randrange(1, 25)))
                phases.run("actions", ws.handoff_acknowledge, desk, h.id)
                handoffs["acknowledged"] += 1
        now += step
    clock.set(end)
    report = phases.run("report", ws.sla_report, START, end, end)
    walls = sorted(t[0] for t in ticks)
    return {
        "cases": n, "still_open": len(open_cases), "routed": dict(routed),
        "breaches": dict(breaches), "handoffs": handoffs, "ticks": len(ticks),
        "tick_ms": {"p50": ms(statistics.median(walls)), "p95": ms(walls[int(0.95 * len(walls))]),
                    "max": ms(walls[-1]), "cpu_mean": ms(statistics.fmean(t[1] for t in ticks))},
        "wall_s": {k: round(v, 2) for k, v in phases.wall.items()},
        "cpu_s": {k: round(v, 2) for k, v in phases.cpu.items()},
        "compliance": {"overall": row(report.overall),
                       "team": [row(r) for r in report.by_team],
                       "severity": [row(r) for r in report.by_severity],
                       "region": [row(r) for r in report.by_region]},
    }


def act(ws: Workspace, desk: Any, rng: random.Random, phases: Phases,
        open_cases: dict[int, bool], minutes: int, weekday: bool) -> None:
    """Simulated analysts: acknowledge, sometimes pause, resolve."""
    p_ack = 1 - math.exp(-minutes / MEAN_ACK[weekday])
    p_resolve = 1 - math.exp(-minutes / MEAN_RESOLVE[weekday])
    for case_id, acked in list(open_cases.items()):
        if not acked and rng.random() < p_ack:
            phases.run("actions", ws.case_acknowledge, desk, case_id)
            open_cases[case_id] = True
            if rng.random() < 0.05:
                phases.run("actions", ws.sla_pause, desk, case_id, "HR", "badge records")
        elif acked and rng.random() < p_resolve:
            shown = ws.case_sla(desk, case_id)
            if shown.waiting_on is not None:
                phases.run("actions", ws.sla_resume, desk, case_id)
                continue
            phases.run("actions", ws.case_resolve, desk, case_id, "benign")
            del open_cases[case_id]


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


def row(r: Any) -> dict[str, Any]:
    doc = asdict(r)
    for key in ("ack_compliance", "resolve_compliance"):
        doc[key] = None if doc[key] is None else round(doc[key], 3)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cases-per-day", type=float, default=100)
    parser.add_argument("--tick", type=int, default=15, help="simulated minutes per tick")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wk-shifts-") as tmp:
        ws = workspace(Path(tmp) / "ws", args.database_url)
        started, cpu = time.perf_counter(), time.process_time()
        result = simulate(ws, args)
        ws.close_state()
    result.update({
        "benchmark": "shifts", "days": args.days, "cases_per_day": args.cases_per_day,
        "tick_minutes": args.tick,
        "store": "postgresql" if args.database_url else "sqlite",
        "total_wall_s": round(time.perf_counter() - started, 1),
        "total_cpu_s": round(time.process_time() - cpu, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()], "machine": machine()})
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(json.dumps({k: v for k, v in result.items() if k != "compliance"}, indent=2))
    print(json.dumps(result["compliance"]["overall"]), file=sys.stdout)


if __name__ == "__main__":
    main()
