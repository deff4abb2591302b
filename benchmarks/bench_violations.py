"""Violation detection over data-store access events: 100 million by default.

    python benchmarks/bench_violations.py [--events 100000000] [--people 20000]
        [--days 100] [--threads 2] [--memory 3GB] [--keep] [--json]

Generates the events in chunks of one day straight into the lake's layout (one Parquet
file per day under ``events/datastore/day=…``, one commit record and the manifest),
timed on its own; then runs `access.violations.detect` with the allowing windows in a
child process (`--detect`), timing it and reading that child's peak RSS from wait4.
The events: every person reads, queries and exports their home region's stores most of
the time, with tickets for the other regions; 0.05 % of accesses go to another region
without a ticket, 0.5 % of people have no grant, 1 % have one that expires halfway,
1 % left halfway through, 0.1 % of accesses are writes (those into another region's
store within a day of an export are movements), and 0.2 % of people read far more than
usual for a week. Goal: <= 5 minutes on 2 cores, peak RSS
<= 4 GB, at 100 million events.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench_ingest import ROOT, machine

REGIONS = ("US", "EU", "APAC")
KINDS = ("user_profiles", "payments", "messages", "support_tickets", "analytics_events",
         "billing_invoices")
ACTIVITIES = ("read", "query", "export", "write")
START = date(2025, 1, 1)


def _people(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"region": rng.integers(0, 3, n), "role": rng.integers(0, 8, n),
            "rate": rng.lognormal(0, 0.5, n)}


def _day(rng: np.random.Generator, day: int, rows: int, people: dict[str, np.ndarray],
         users: pa.Array, datasets: pa.Array, days: int, first_id: int) -> pa.Table:
    """One day's events, vectorised."""
    n_people = len(people["region"])
    weights = people["rate"] / people["rate"].sum()
    who = rng.choice(n_people, rows, p=weights)
    # a few people read ten times as much for a week (volume)
    heavy = np.arange(0, n_people, 500)
    if days // 2 <= day < days // 2 + 7:
        extra = rng.choice(heavy, rows // 200)
        who[: len(extra)] = extra
    home = people["region"][who]
    region = home.copy()
    cross = rng.random(rows) < 0.03
    region[cross] = (region[cross] + rng.integers(1, 3, int(cross.sum()))) % 3
    kind = rng.integers(0, len(KINDS), rows)
    act = rng.choice(4, rows, p=[0.5, 0.449, 0.05, 0.001])
    ticketed = cross & (rng.random(rows) >= 0.0167)   # ~0.05 % of all accesses: no ticket
    ts = (datetime(START.year, START.month, START.day, tzinfo=UTC)
          + timedelta(days=day)).timestamp() * 1e6
    micros = (ts + np.sort(rng.integers(0, 86_400_000_000, rows))).astype(np.int64)
    ids = pc.binary_join_element_wise(
        "ds-", pc.cast(pa.array(np.arange(first_id, first_id + rows)), pa.string()), "")
    records = np.where(act == 2, rng.integers(100, 20_000, rows), rng.integers(1, 50, rows))
    ticket = pa.array(np.where(ticketed, "TCK-1", None), pa.string())
    return pa.table({
        "event_id": ids,
        "time": pa.array(micros, pa.timestamp("us", tz="UTC")),
        "source": pa.array(np.full(rows, "bench"), pa.string()),
        "class": pa.array(np.full(rows, "datastore"), pa.string()),
        "activity": pa.array(np.array(ACTIVITIES)[act], pa.string()),
        "user": users.take(pa.array(who)),
        "host": pa.nulls(rows, pa.string()),
        "region": pa.array(np.array(REGIONS)[home], pa.string()),
        "dataset": datasets.take(pa.array(kind * 3 + region)),
        "data_region": pa.array(np.array(REGIONS)[region], pa.string()),
        "record_count": pa.array(records, pa.int64()),
        "sensitivity": pa.array(np.full(rows, "high"), pa.string()),
        "ticket": ticket,
        "purpose": pa.nulls(rows, pa.string()),
        "src_ip": pa.nulls(rows, pa.string()),
        "_file": pa.array(np.zeros(rows, np.int32)),
    })


def generate(root: Path, events: int, n_people: int, days: int, seed: int) -> dict[str, object]:
    """Write the lake: day files, people, one commit record, the manifest."""
    from watchkeeper.lake import records
    from watchkeeper.lake.manifest import Manifest
    from watchkeeper.lake.records import CommitRecord
    from watchkeeper.schema import ENTITIES

    rng = np.random.default_rng(seed)
    people = _people(n_people, rng)
    users = pa.array([f"U{k:06d}" for k in range(n_people)], pa.string())
    datasets = pa.array([f"{k}_{r.lower()}" for k in KINDS for r in REGIONS], pa.string())
    shutil.rmtree(root, ignore_errors=True)
    (root / "events" / "datastore").mkdir(parents=True)
    added: list[tuple[str, int]] = []
    per_day = events // days
    for day in range(days):
        rows = per_day + (events - per_day * days if day == days - 1 else 0)
        table = _day(rng, day, rows, people, users, datasets, days, day * per_day)
        rel = f"events/datastore/day={START + timedelta(days=day)}/bench-{day}.parquet"
        (root / rel).parent.mkdir(parents=True)
        pq.write_table(table, root / rel, compression="snappy", row_group_size=1 << 20)
        added.append((rel, rows))
    end = [START + timedelta(days=days // 2) if k % 100 == 7 else None
           for k in range(n_people)]
    spec = ENTITIES["people"].schema
    ppl = pa.table({
        "user": users, "region": pa.array(np.array(REGIONS)[people["region"]]),
        "role": pa.array([f"role{r}" for r in people["role"]]),
        "end_date": pa.array(end, pa.date32()),
        "valid_from": pa.array([START] * n_people, pa.date32()),
    })
    ppl = pa.table({f.name: ppl[f.name] if f.name in ppl.column_names
                    else pa.nulls(n_people, f.type) for f in spec}, schema=spec)
    prel = "entities/people/bench-0.parquet"
    (root / prel).parent.mkdir(parents=True)
    pq.write_table(ppl.append_column("_file", pa.array(np.zeros(n_people, np.int32))),
                   root / prel)
    record = CommitRecord(1, "bench", datetime.now(UTC).isoformat(), "bench", {},
                          added={"events/datastore": added,
                                 "entities/people": [(prel, n_people)]})
    records.write(root, record)
    manifest = Manifest()
    records.apply(manifest, record)
    manifest.save(root / "manifest.json")
    return {"files": len(added), "bytes": sum((root / p).stat().st_size for p, _ in added)}


def windows(n_people: int, days: int) -> pa.Table:
    """Standing grants: everybody's on every store, except 0.5 % with none and 1 % whose
    grant ends halfway (expired), plus movement targets: writes are granted too."""
    start = datetime(START.year, START.month, START.day, tzinfo=UTC) - timedelta(days=1)
    half = start + timedelta(days=1 + days // 2)
    rows = []
    for k in range(n_people):
        if k % 200 == 3:
            continue
        rows.append({"principal": f"U{k:06d}", "action": "*", "resource": "*",
                     "start": start, "end": half if k % 100 == 5 else None,
                     "source": "grant"})
    from watchkeeper.access.violations import windows_table
    return windows_table(rows)


def detect_child(root: Path, threads: int, memory: str, n_people: int, days: int) -> None:
    """In the child: detect and print counts (nothing is stored)."""
    from watchkeeper.access.violations import detect
    from watchkeeper.lake import Lake

    lake = Lake(root, threads=threads, memory_limit=memory)
    started = time.perf_counter()
    found = detect(lake, windows(n_people, days))
    counts = pc.value_counts(found["kind"]).to_pylist()
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1),
                      "violations": found.num_rows,
                      "by_kind": {c["values"]: c["counts"] for c in counts}}))


def run_detect(root: Path, args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--detect", str(root), "--threads", str(args.threads),
           "--memory", args.memory, "--people", str(args.people), "--days", str(args.days)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"detection failed:\n{err.read().strip()}")
    return {"wall_seconds": round(wall, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_gb": round(usage.ru_maxrss / 1e6, 2), **json.loads(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory", default="3GB", help="DuckDB memory limit")
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="reuse a generated lake")
    parser.add_argument("--detect", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.detect is not None:
        detect_child(args.detect, args.threads, args.memory, args.people, args.days)
        return
    root = args.root or ROOT / "bench-data" / f"violations-{args.events}"
    result: dict[str, object] = {"benchmark": "violations", "events": args.events,
                                 "people": args.people, "days": args.days,
                                 "machine": machine(), "load": os.getloadavg()}
    if not (args.keep and (root / "manifest.json").exists()):
        started = time.perf_counter()
        result["generated"] = generate(root, args.events, args.people, args.days,
                                       args.seed)
        result["generate_seconds"] = round(time.perf_counter() - started, 1)
    result["detect"] = run_detect(root, args)
    result["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        d = result["detect"]
        assert isinstance(d, dict)
        print(f"{args.events:,} events: generated in {result.get('generate_seconds', '-')} s;"
              f" detection {d['wall_seconds']} s wall, {d['cpu_seconds']} s CPU, peak RSS "
              f"{d['peak_rss_gb']} GB; {d['violations']:,} violations {d['by_kind']}")


if __name__ == "__main__":
    main()
