"""Rule statistics and the feedback `analyze` reads, over a large alert queue.

    python benchmarks/bench_rule_stats.py [--alerts 1000000] [--judged 0.02]
        [--database-url URL] [--repeat 3] [--json]

Fills a fresh state store (SQLite in a temporary folder, or a PostgreSQL URL, whose
tables must be empty) with `--alerts` alerts over 40 rules, 3 sources and 30 days
puts a share `--judged` of them in cases of 10 alerts resolved
with verdicts spread over the OCSF words (a third false positive) and teams, then times
`rule_stats` (per rule, source and rule x team, the whole period, an unrestricted
scope) and `false_positives` (what `analyze` hands to risk). Reports the best and
median of `--repeat` runs, wall and CPU seconds, and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench_ingest import machine
from watchkeeper.ops.rulestats import rule_stats
from watchkeeper.ops.verdicts import false_positives
from watchkeeper.security.roles import EVERYWHERE
from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade
from watchkeeper.store.models import Alert, AlertSubject, Case, CaseEvent, Team

T0 = datetime(2025, 1, 1, tzinfo=UTC)
VERDICTS = ("false_positive", "false_positive", "true_positive", "benign", "suspicious",
            "duplicate")
BATCH = 20_000


def fill(store: StateStore, alerts: int, judged: float, seed: int) -> dict[str, int]:
    """Alerts, their subjects, resolved cases with their status events; row counts."""
    rng = random.Random(seed)
    rules = [f"bench.rule.{k:02d}" for k in range(40)]
    sources = ("watchkeeper.detect", "splunk", "sentinel")
    cases = int(alerts * judged) // 10
    with store.engine.begin() as conn:
        conn.execute(insert(Team), [{"name": f"team-{k}", "created_at": T0} for k in range(3)])
        conn.execute(insert(Case), [
            {"title": f"case {k}", "status": "resolved", "severity": 3,
             "team_id": 1 + k % 3 if k % 4 else None, "verdict": VERDICTS[k % len(VERDICTS)],
             "restricted": False, "summary": "", "created_at": T0, "updated_at": T0}
            for k in range(cases)])
        conn.execute(insert(CaseEvent), [
            {"case_id": k + 1, "at": T0 + timedelta(days=30, hours=k % 48),
             "actor": "bench", "action": "case.status",
             "before": {"status": "new", "verdict": None},
             "after": {"status": "resolved", "verdict": VERDICTS[k % len(VERDICTS)]}}
            for k in range(cases)])
    for start in range(0, alerts, BATCH):
        rows, subjects = [], []
        for i in range(start, min(start + BATCH, alerts)):
            when = T0 + timedelta(seconds=rng.randrange(30 * 86400))
            rule = rules[min(int(rng.expovariate(0.15)), len(rules) - 1)]
            rows.append({
                "id": i + 1, "source": sources[i % 3], "source_ref": f"r{i}",
                "fingerprint": f"{i:064x}", "class_uid": 2004, "title": rule,
                "severity": 3, "status": "new", "rule": rule, "rule_id": rule,
                "event_time": when, "received_at": when + timedelta(minutes=5),
                "updated_at": when, "raw": "{}", "extra": {}, "duplicates": 0,
                "case_id": i // 10 + 1 if i < cases * 10 else None,
                "region": None, "suppressed_by": None})
            subjects.append({"alert_id": i + 1, "subject": f"U{i % 5000:04d}"})
        with store.engine.begin() as conn:
            conn.execute(insert(Alert), rows)
            conn.execute(insert(AlertSubject), subjects)
    return {"alerts": alerts, "cases": cases, "judged_alerts": cases * 10}


def timed(work: Callable[[], Any], repeat: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"best_s": round(min(walls), 3), "median_s": round(statistics.median(walls), 3),
            "cpu_s": round(statistics.median(cpus), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--judged", type=float, default=0.02)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'state.db'}"
        location = StoreLocation(check_url(url), "bench")
        upgrade(location)   # PostgreSQL refuses to open with migrations pending
        store = StateStore.open(location)
        started = time.perf_counter()
        counts = fill(store, args.alerts, args.judged, args.seed)
        fill_s = time.perf_counter() - started

        def stats() -> None:
            with store.session() as s:
                rule_stats(s, EVERYWHERE)

        def feedback() -> None:
            with store.session() as s:
                false_positives(s, EVERYWHERE, 30)

        doc = {"benchmark": "rule_stats", "store": store.engine.dialect.name, **counts,
               "fill_s": round(fill_s, 1), "rule_stats": timed(stats, args.repeat),
               "risk_feedback": timed(feedback, args.repeat),
               "load_average": [round(x, 2) for x in os.getloadavg()],
               "machine": machine()}
        store.close()
    print(json.dumps(doc, indent=2) if args.json else
          f"rule stats over {counts['alerts']:,} alerts ({doc['store']}): "
          f"{doc['rule_stats']}; false positives for risk: {doc['risk_feedback']}")


if __name__ == "__main__":
    main()
