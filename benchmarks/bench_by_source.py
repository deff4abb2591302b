"""`evaluate --by-source`: one analysis per source-family set, over a simulated world.

    python benchmarks/bench_by_source.py [--users 200] [--days 120] [--seed 7352]
        [--keep] [--json]

Simulates and ingests the world (not timed), then times `Workspace.evaluate_by_source`
in this process: wall seconds, process CPU seconds (DuckDB's threads included), CPU
seconds per run and the load average before and after, so figures taken on a loaded
machine can be compared. Goal: bounded by 2 x families full analyses, nothing copied.
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
from pathlib import Path

from bench_ingest import ROOT, machine


def _cli(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "watchkeeper", *args, "--json"], check=True,
                   capture_output=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7352)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from watchkeeper.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="wk-by-source-"))
    try:
        sim, ws = tmp / "sim", tmp / "ws"
        _cli("simulate", "--users", str(args.users), "--days", str(args.days),
             "--seed", str(args.seed), "--out", str(sim))
        _cli("-w", str(ws), "ingest", "auto", str(sim))
        workspace = Workspace.open(ws, create=False)
        load_before = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        report = workspace.evaluate_by_source(sim / "answers")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        doc = {
            "benchmark": "by_source", "people": args.users, "days": args.days,
            "seed": args.seed, "runs": len(report.runs), "seconds": round(wall, 1),
            "cpu_seconds": round(cpu, 1),
            "cpu_seconds_per_run": round(cpu / max(len(report.runs), 1), 2),
            "cpu_seconds_per_1000_person_days_per_run": round(
                cpu / max(len(report.runs), 1) / (args.users * args.days / 1000), 3),
            "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1),
            "machine": machine(),
        }
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(doc, indent=1) if args.json else
          "\n".join(f"{k}: {v}" for k, v in doc.items()))


if __name__ == "__main__":
    main()
