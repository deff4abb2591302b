"""The demo enterprise's alerts replayed through 30 simulated days of three teams: cases
routed, SLA compliance and the operations metrics, all through the `Workspace` facade on
a driven clock (nothing sleeps).

    python benchmarks/bench_replay.py [--users 200] [--days 90] [--seed 7]
        [--replay-days 30] [--tick 15] [--keep DIR] [--database-url URL] [--json]

Builds the demo as `make demo` does (`watchkeeper simulate --users 200 --days 90 --seed
7`, `ingest auto`, `detect`, `analyze`: the workspace's own detection and risk alerts
in its queue). Then replays the alerts whose event falls in the simulation's last
`--replay-days` days: each arrives (its ``received_at``) 5 to 60 minutes after its
event, as a streaming detection would. soc-apac (Asia/Tokyo), soc-eu (Europe/Berlin)
and soc-us (America/New_York), seeded from a teams.yml with SLA policies, work mon-fri
09:00-17:00 local and share the demo's regions. Every `--tick` simulated minutes the
alerts that arrived are triaged: a risk alert, or a high or critical detection, opens a
case for its person (or joins the case open for them), a medium one does half the
time, the rest stay in the queue; then the scheduler's jobs run (`sla_tick`,
`handoffs_due`), simulated analysts acknowledge and resolve (`bench_shifts.act`) and
acknowledge 85% of hand-offs. Reports cases routed per team, SLA compliance and
`Workspace.metrics` for the replayed period, with wall times, the machine and its load.
With `--database-url` (a PostgreSQL server) the workspace's state store is a fresh
schema there (dropped after), for the demo's build and the replay alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bench_ingest import machine
from bench_shifts import Phases, act, row
from watchkeeper.cases import rollups
from watchkeeper.cases.service import CaseNew
from watchkeeper.ops.clock import FixedClock
from watchkeeper.ops.period import Period
from watchkeeper.store.models import Alert, AlertSubject
from watchkeeper.workspace import Workspace

TEAMS = (("soc-apac", "Asia/Tokyo"), ("soc-eu", "Europe/Berlin"),
         ("soc-us", "America/New_York"))
POLICIES = """\
sla:
  critical: {acknowledge: 15m, resolve: 4h, clock: wall}
  high: {acknowledge: 1h, resolve: 8h, clock: business}
  medium: {acknowledge: 4h, resolve: 3d, clock: business}
  low: {acknowledge: 1d, resolve: 5d, clock: business}
"""


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "watchkeeper", *args], check=True,
                   capture_output=True)


def build(folder: Path, users: int, days: int, seed: int) -> tuple[Path, dict[str, float]]:
    """The demo workspace (as `make demo` builds it) and seconds per step."""
    ws, sim = folder / "workspace", folder / "sim"
    steps: dict[str, float] = {}
    for name, args in (
            ("simulate", ("simulate", "--users", str(users), "--days", str(days), "--seed",
                          str(seed), "--out", str(sim))),
            ("ingest", ("-w", str(ws), "ingest", "auto", str(sim))),
            ("detect", ("-w", str(ws), "detect")),
            ("analyze", ("-w", str(ws), "analyze"))):
        started = time.perf_counter()
        cli(*args)
        steps[name] = round(time.perf_counter() - started, 1)
    return ws, steps


def teams_yml(regions: list[str]) -> str:
    """Three teams sharing the demo's regions round robin; the SLA policies."""
    lines = ["teams:"]
    for k, (name, zone) in enumerate(TEAMS):
        mine = [r for i, r in enumerate(regions) if i % len(TEAMS) == k] or [name[4:]]
        lines += [f"  {name}:", f"    regions: [{', '.join(mine)}]",
                  f"    timezone: {zone}", "    shifts: [mon-fri 09:00-17:00]"]
    return "\n".join(lines) + "\n" + POLICIES


def arrivals(ws: Workspace, rng: random.Random, replay_days: int
             ) -> tuple[list[tuple[datetime, int, str, int, str | None]], datetime, datetime]:
    """The alerts replayed (arrival, id, source, severity, person), oldest first, with
    their arrival times written; the replay's start and end."""
    with ws.state.session() as s:
        last = s.scalar(select(Alert.event_time).order_by(Alert.event_time.desc()).limit(1))
        assert last is not None, "the demo raised no alerts"
        end = datetime.combine(last.date() + timedelta(days=1), datetime.min.time(), UTC)
        start = end - timedelta(days=replay_days)
        rows = s.execute(select(Alert.id, Alert.source, Alert.severity, Alert.event_time)
                         .where(Alert.event_time >= start).order_by(Alert.event_time)).all()
        people = dict(s.execute(select(AlertSubject.alert_id, AlertSubject.subject)).all())
        out = []
        for ident, source, severity, event in rows:
            arrived = event + timedelta(minutes=rng.uniform(5, 60))
            s.execute(update(Alert).where(Alert.id == ident).values(received_at=arrived))
            out.append((arrived, ident, source, severity, people.get(ident)))
        # the alerts before the replay arrived long before it; none is left in the queue
        s.execute(update(Alert).where(Alert.event_time < start)
                  .values(received_at=Alert.event_time, status="archived"))
        rollups.rebuild(s)   # arrival times written past the intake: counted again
    return sorted(out), start, end


def replay(ws: Workspace, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    clock = FixedClock(datetime(2000, 1, 1, tzinfo=UTC))
    ws.clock = clock
    queue, start, end = arrivals(ws, rng, args.replay_days)
    clock.set(start - timedelta(days=1))      # the teams' calendars hold from before
    with ws.state.session() as s:
        regions = sorted({r for r in s.scalars(select(Alert.region).distinct()) if r})
    path = args.folder / "teams.yml"
    path.write_text(teams_yml(regions))
    ws.teams_seed(path)
    ws.accounts().users.add("desk", "admin")
    clock.set(start)
    desk = ws.case_viewer("desk")
    phases, step = Phases(), timedelta(minutes=args.tick)
    open_cases: dict[int, bool] = {}
    by_person: dict[str, int] = {}
    routed: Counter[str] = Counter()
    handoffs = {"written": 0, "flagged": 0, "acknowledged": 0}
    opened = attached = left = 0
    now, k = start, 0
    while now < end:
        while k < len(queue) and queue[k][0] <= now:
            at, ident, source, severity, person = queue[k]
            k += 1
            wanted = source.endswith("risk") or severity >= 4 or \
                (severity == 3 and rng.random() < 0.5)
            if not wanted:
                left += 1
                continue
            clock.set(at)
            case = by_person.get(person or "") if person else None
            if case is not None and case in open_cases:
                phases.run("triage", ws.case_link, desk, case, (), (ident,))
                attached += 1
                continue
            view = phases.run("triage", ws.case_create, desk,
                              CaseNew(f"Replayed alert {ident}", alerts=(ident,)))
            routed[view.team or "(none)"] += 1
            open_cases[view.id] = False
            if person:
                by_person[person] = view.id
            opened += 1
        clock.set(now)
        act(ws, desk, rng, phases, open_cases, args.tick, now.weekday() < 5)
        phases.run("sla_tick", ws.sla_tick, now)
        run = phases.run("handoffs_due", ws.handoffs_due, now)
        handoffs["written"] += len(run.written)
        handoffs["flagged"] += len(run.flagged)
        for h in run.written:
            if rng.random() < 0.85:
                clock.set(now + timedelta(minutes=rng.randrange(1, 45)))
                phases.run("actions", ws.handoff_acknowledge, desk, h.id)
                handoffs["acknowledged"] += 1
        now += step
    clock.set(end)
    period = Period.days(start.date(), (end - timedelta(days=1)).date())
    report = phases.run("report", ws.sla_report, start, end, end)
    metrics = phases.run("metrics", ws.metrics, desk, period)
    return {
        "period": period.text, "regions": regions, "alerts_replayed": len(queue),
        "cases_opened": opened,
        "alerts_joined_to_open_cases": attached, "alerts_left_in_queue": left,
        "still_open": len(open_cases), "routed": dict(routed), "handoffs": handoffs,
        "wall_s": {k: round(v, 2) for k, v in phases.wall.items()},
        "compliance": {"overall": row(report.overall),
                       "team": [row(r) for r in report.by_team]},
        "metrics": _metrics(asdict(metrics)),
    }


def _metrics(doc: dict[str, Any]) -> dict[str, Any]:
    """The metrics, volume tables cut to their five largest groups."""
    doc["volumes"] = {k: v[:5] for k, v in doc["volumes"].items()}
    for key in ("start", "end", "at"):
        doc[key] = doc[key].isoformat()
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replay-days", type=int, default=30)
    parser.add_argument("--tick", type=int, default=15, help="simulated minutes per tick")
    parser.add_argument("--keep", type=Path, help="build the demo here and keep it")
    parser.add_argument("--database-url", help="a PostgreSQL server for the state store")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url, drop = None, None
    if args.database_url:
        from bench_metrics import pg_schema
        from watchkeeper.store import StoreLocation, check_url, upgrade
        url, drop = pg_schema(args.database_url)
        upgrade(StoreLocation(check_url(url), "bench"))
        os.environ["WATCHKEEPER_DATABASE_URL"] = url   # for the demo's build too
    try:
        with tempfile.TemporaryDirectory(prefix="wk-replay-") as tmp:
            folder = args.keep or Path(tmp)
            started = time.perf_counter()
            root, steps = build(folder, args.users, args.days, args.seed)
            ws = Workspace.open(root, create=False, database_url=url)
            args.folder = folder
            result = replay(ws, args)
            ws.close_state()
    finally:
        if drop is not None:
            drop()
    result.update({"benchmark": "replay", "demo_steps_s": steps,
                   "store": "postgresql" if url else "sqlite",
                   "tick_minutes": args.tick,
                   "total_wall_s": round(time.perf_counter() - started, 1),
                   "load_average": [round(x, 2) for x in os.getloadavg()],
                   "machine": machine()})
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
