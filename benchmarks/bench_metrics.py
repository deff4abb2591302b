"""An ad-hoc operations metrics query (`watchkeeper metrics`) over a large alert queue,
on SQLite and PostgreSQL side by side.

    python benchmarks/bench_metrics.py [--alerts 1000000] [--cased 0.05]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--sqlite-only] [--repeat 5] [--json]

Fills a fresh state store of each kind (SQLite in a temporary folder; PostgreSQL in a
schema of its own, dropped after) with `--alerts` alerts received over the 31 days of
March 2025: six sources, 110 rules with a long tail, severities, four regions, a first
event seen minutes to hours before each arrival (3% of the vendor alerts carry an event
time after it: unknown), 5% suppressed; a share `--cased` of them in cases of ten
alerts owned by three teams, acknowledged and resolved (or still open) at times spread
after the first alert, with their status events and SLA clocks; SLA policies per
severity; two hand-offs a day between the teams. Rows are written with Core
``executemany`` on SQLite and ``COPY`` on PostgreSQL (`queue_data._copy`), then
``ANALYZE`` (PostgreSQL: ``VACUUM ANALYZE``, as autovacuum would after the load); then
what the workspace keeps as it goes and a bulk load skips (`settle`): each case's SLA
clocks stored as of the month's end, and the rollups built from the alerts.

Times the query the command and route run (`watchkeeper.ops.metrics.metrics` for the
whole month, every team, an unrestricted scope, and for one team of one region):
p50 and p95 of `--repeat` runs, wall seconds, the machine and its load; and the median
CPU seconds of a run (this process, plus the PostgreSQL backend's from /proc when the
server is local), which the shared machine's load sways less. Then the figures the
rollups and stored clock states stand for, computed the long way (`exact_figures`):
the exact detection median and 90th percentile, and SLA compliance per case.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, insert, select, text

from bench_ingest import machine
from queue_data import _copy
from watchkeeper.ops.metrics import Window, metrics
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade
from watchkeeper.store.models import (
    Alert,
    Case,
    CaseEvent,
    CaseSla,
    Handoff,
    SlaPolicy,
    Suppression,
    Team,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)
DAYS = 31
SOURCES = ("watchkeeper.detect", "watchkeeper.risk", "splunk", "sentinel", "elastic", "ocsf")
SOURCE_WEIGHTS = (30, 8, 22, 18, 14, 8)
SEVERITIES = (1, 2, 3, 4, 5, 6)
SEVERITY_WEIGHTS = (18, 30, 30, 15, 6, 1)
REGIONS = ("eu", "us", "apac", None)
TEAMS = ("soc-eu", "soc-us", "soc-apac")
BATCH = 20_000
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _write(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table.__table__, rows)
    else:
        conn.execute(insert(table), rows)


def fill(store: StateStore, alerts: int, cased: float, seed: int) -> dict[str, int]:
    """Write the queue, cases, clocks and hand-offs; row counts."""
    rng = random.Random(seed)
    rules = [f"bench.rule.{k:03d}" for k in range(110)]
    cases = int(alerts * cased) // 10
    with store.engine.begin() as conn:
        _write(conn, Team, [{"id": k + 1, "name": t, "created_at": T0}
                            for k, t in enumerate(TEAMS)])
        _write(conn, Suppression, [{"id": 1, "match": {"rule": rules[0]}, "reason": "bench",
                                    "owner": "bench", "expires_at": None, "created_at": T0}])
        _write(conn, SlaPolicy, [
            {"severity": s, "acknowledge_seconds": 3600 * (7 - s), "resolve_seconds":
             86400 * (7 - s), "clock": "wall", "raise_priority": True,
             "escalate_team_id": None, "escalate_assignee_id": None, "updated_at": T0}
            for s in SEVERITIES])
        _write(conn, Handoff, [
            {"id": k + 1, "team_id": 1 + k % 3, "to_team_id": 1 + (k + 1) % 3,
             "shift_end": T0 + timedelta(hours=8 * k), "created_at": T0 + timedelta(hours=8 * k),
             "ack_due_at": T0 + timedelta(hours=8 * k, minutes=30),
             "acknowledged_at": (T0 + timedelta(hours=8 * k, minutes=rng.randrange(5, 60))
                                 if k % 7 else None),
             "acknowledged_by": "bench" if k % 7 else None, "flagged_at": None}
            for k in range(DAYS * 3)])
        case_rows, events, slas = [], [], []
        for c in range(cases):
            first = T0 + timedelta(seconds=rng.randrange(DAYS * 86400 - 7200))
            created = first + timedelta(minutes=rng.expovariate(1 / 30))
            settled = c % 5 != 0
            case_rows.append({
                "id": c + 1, "title": f"case {c}", "status": "resolved" if settled else "new",
                "severity": rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0], "priority": None,
                "team_id": 1 + c % 3, "verdict": "true_positive" if settled else None,
                "restricted": False, "summary": "", "created_at": created,
                "updated_at": created})
            if c % 3:
                slas.append({"case_id": c + 1, "severity": 3,
                             "acknowledged_at": created + timedelta(
                                 minutes=rng.expovariate(1 / 45)),
                             "acknowledged_by": "bench", "ack_due_at": None,
                             "resolve_due_at": None, "ack_state": "met",
                             "resolve_state": "met" if settled else "running",
                             "updated_at": created})
            if settled:
                events.append({"case_id": c + 1, "actor": "bench", "action": "case.status",
                               "at": created + timedelta(hours=rng.expovariate(1 / 20)),
                               "before": {"status": "new"},
                               "after": {"status": "resolved", "verdict": "true_positive"}})
        _write(conn, Case, case_rows)
        _write(conn, CaseSla, slas)
        _write(conn, CaseEvent, [{"id": k + 1, **e} for k, e in enumerate(events)])
    for start in range(0, alerts, BATCH):
        with store.engine.begin() as conn:
            _write(conn, Alert, list(_alerts(rng, rules, start, min(start + BATCH, alerts),
                                             cases)))
    return {"alerts": alerts, "cases": cases, "cased_alerts": cases * 10,
            "handoffs": DAYS * 3}


def analyze(store: StateStore) -> None:
    """Sequences past the ids written, and the planner's statistics."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            for name in ("alerts", "cases", "case_events", "handoffs", "teams"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
        with store.engine.connect() as conn:
            # VACUUM: what autovacuum does after a bulk insert (it is off on the test
            # server); it marks the pages all-visible, so index-only scans skip the heap
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE")
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def settle(store: StateStore, at: datetime) -> None:
    """What the workspace keeps as it goes and a bulk load skips: every case's SLA
    clocks computed and stored as of `at` (what `sla-tick` and opening a case do), and
    the rollups built from the alerts (what the intake keeps and migration 0013 fills
    from the alerts already stored)."""
    from watchkeeper.cases import rollups
    from watchkeeper.ops import history, shifts
    from watchkeeper.ops.sla import policies, sync
    with store.session() as session:
        rules = policies(session)
        plans = {p.name: p for p in shifts.plans(session)}
        ids = list(session.scalars(select(Case.id)))
        for h in history.load(session, ids).values():
            sync(session, h, rules.get(h.severity), plans, at)
        session.flush()
        rollups.rebuild(session)


def _alerts(rng: random.Random, rules: list[str], start: int, stop: int,
            cases: int) -> Iterator[dict[str, Any]]:
    for i in range(start, stop):
        source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        received = T0 + timedelta(seconds=rng.randrange(DAYS * 86400))
        event = received - timedelta(minutes=rng.expovariate(1 / 90))
        if not source.startswith("watchkeeper") and rng.random() < 0.03:
            event = received + timedelta(seconds=rng.randrange(1, 600))  # unknown
        first = event - timedelta(minutes=rng.randrange(0, 60)) \
            if source.startswith("watchkeeper") else None
        rule = rules[min(int(rng.expovariate(0.08)), len(rules) - 1)]
        yield {"id": i + 1, "source": source, "source_ref": uuid.UUID(int=i).hex,
               "fingerprint": f"{i:064x}", "class_uid": 2004, "title": rule,
               "severity": rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
               "status": "new" if rng.random() < 0.15 else "resolved", "rule": rule,
               "rule_id": rule, "description": None, "event_time": event,
               "first_seen": first, "last_seen": event, "region": rng.choice(REGIONS),
               "raw": "{}", "extra": {}, "received_at": received, "updated_at": received,
               "duplicates": 0, "group_id": None,
               "case_id": i // 10 + 1 if i < cases * 10 else None,
               "suppressed_by": 1 if rng.random() < 0.05 else None}


def backend_cpu(pid: int | None) -> float:
    """CPU seconds a local PostgreSQL backend has used (0 when not local or unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(work: Callable[[], float], repeat: int) -> dict[str, float]:
    """`work` runs the query and returns the CPU seconds its database server used."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        server = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu + server)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    return {"p50_s": round(statistics.median(walls), 3), "p95_s": round(p95, 3),
            "best_s": round(walls[0], 3), "cpu_p50_s": round(statistics.median(cpus), 3)}


def measure(url: str, alerts: int, cased: float, seed: int, repeat: int) -> dict[str, Any]:
    location = StoreLocation(check_url(url), "bench")
    upgrade(location)
    store = StateStore.open(location)
    try:
        started = time.perf_counter()
        counts = fill(store, alerts, cased, seed)
        fill_s = time.perf_counter() - started
        settled = time.perf_counter()
        settle(store, T0 + timedelta(days=DAYS))
        settle_s = time.perf_counter() - settled
        analyze(store)
        at = T0 + timedelta(days=DAYS)
        everything = Window("2025-03", T0, at, at, EVERYWHERE)
        eu = Window("2025-03", T0, at, at, Scope(True, False, frozenset({"eu"}), True),
                    "soc-eu")
        sample: dict[str, Any] = {}

        def run(w: Window) -> Callable[[], float]:
            def work() -> float:
                with store.session() as s:
                    pid = s.scalar(text("SELECT pg_backend_pid()")) \
                        if s.get_bind().dialect.name == "postgresql" else None
                    before = backend_cpu(pid)
                    m = metrics(s, w)
                    used = backend_cpu(pid) - before
                sample[w.team or "all"] = m
                return used
            return work

        all_teams = timed(run(everything), repeat)
        one_team = timed(run(eu), repeat)
        m = sample["all"]
        exact = exact_figures(store, everything)
        return {"store": store.engine.dialect.name, **counts, "fill_s": round(fill_s, 1),
                "settle_s": round(settle_s, 1),
                "metrics_all_teams": all_teams, "metrics_one_team_eu": one_team,
                "sample": {"alerts": m.alerts, "detect_median_s": m.detect.median_seconds,
                           "detect_p90_s": m.detect.p90_seconds,
                           "detect_unknown": m.detect.unmeasured,
                           "ack_median_s": m.acknowledge.median_seconds,
                           "resolve_p90_s": m.resolve.p90_seconds,
                           "sla_ack": m.sla.ack_compliance,
                           "sla_resolve": m.sla.resolve_compliance,
                           "conversion": m.conversion.rate},
                "exact": {**exact, "sla_same": exact["sla"] == dataclasses.asdict(m.sla)}}
    finally:
        store.close()


def exact_figures(store: StateStore, w: Window) -> dict[str, Any]:
    """What the rollups and stored clock states stand for, computed the long way: the
    exact detection median and 90th percentile of every alert, and SLA compliance
    recomputed from each case's history."""
    from watchkeeper.ops import compliance
    from watchkeeper.ops.quantiles import seconds, spread
    from watchkeeper.ops.volumes import ORIGIN
    with store.session() as s:
        took = seconds(s.get_bind().dialect.name, Alert.received_at, ORIGIN)
        found = spread(s, select(took).where(Alert.received_at >= w.start,
                                              Alert.received_at < w.end,
                                              Alert.received_at > ORIGIN))
        sla = compliance.report(s, w.start, w.end, w.at).overall
    return {"detect_median_s": found.median, "detect_p90_s": found.p90,
            "sla": dataclasses.asdict(sla)}


def pg_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema on `base` and a URL whose connections use it; the drop."""
    name = f"bench_metrics_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        admin.dispose()
    return f"{base}{sep}options=-csearch_path%3D{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--cased", type=float, default=0.05)
    parser.add_argument("--database-url", default=PG_URL)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stores = []
    with tempfile.TemporaryDirectory() as tmp:
        stores.append(measure(f"sqlite:///{Path(tmp) / 'state.db'}", args.alerts,
                              args.cased, args.seed, args.repeat))
    if not args.sqlite_only:
        url, drop = pg_schema(args.database_url)
        try:
            stores.append(measure(url, args.alerts, args.cased, args.seed, args.repeat))
        finally:
            drop()
    doc = {"benchmark": "metrics", "goal_s": 2.0, "stores": stores,
           "load_average": [round(x, 2) for x in os.getloadavg()], "machine": machine()}
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    for s in stores:
        print(f"{s['store']}: metrics over {s['alerts']:,} alerts: all teams "
              f"{s['metrics_all_teams']}, one team {s['metrics_one_team_eu']}")


if __name__ == "__main__":
    main()
