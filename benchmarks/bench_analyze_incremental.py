"""Time an incremental `analyze` of the last day(s) of an analysed workspace.

    watchkeeper -w /tmp/ws analyze --full          # once: a stored full run
    python benchmarks/bench_analyze_incremental.py /tmp/ws [--days 1] [--check] [--json]

Marks the stored run as ending `--days` days before its last day (the results of those
days are then recomputed, as when they arrive), runs `analyze` and prints wall and CPU
seconds, stages and peak RSS. With `--check`, compares every table of the new run with
the full run's (they must be equal; exit code 1 if not). The workspace ends analysed as
before.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from watchkeeper.analysis import analyze
from watchkeeper.workspace import Workspace

TABLES = ("features", "anomalies", "risk_events", "risk_history", "risk_alerts", "forecast",
          "touched", "state_firsts", "state_hours")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _sorted(t: pa.Table) -> pa.Table:
    keys = [c for c in ("flag", "user", "day", "key", "signal_id") if c in t.column_names]
    return t.sort_by([(k, "ascending") for k in keys])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ws = Workspace.open(args.workspace)
    store = ws.analysis
    before = {n: store.optional(n) for n in TABLES} if args.check else {}
    meta = store.meta()
    if meta is None:
        raise SystemExit("analyse the workspace first (watchkeeper analyze --full)")
    meta["last_day"] = str(date.fromisoformat(meta["last_day"]) - timedelta(days=args.days))
    store.pointer.write_text(json.dumps(meta, indent=1))
    wall, cpu = time.perf_counter(), _cpu()
    report = analyze(ws.lake, store)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    equal: dict[str, bool] = {}
    for name, old in before.items():
        new = store.optional(name)
        equal[name] = old is None or (new is not None and _sorted(old).equals(_sorted(new)))
    if args.json:
        print(json.dumps({"benchmark": "analyze_incremental", "new_days": report.new_days,
                          "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                          "stages": report.seconds, "peak_rss_gb": round(rss, 2),
                          **({"equal_to_full": equal} if args.check else {})}, indent=2))
    else:
        print(f"new days {report.new_days}  wall {wall:.1f} s  cpu {cpu:.1f} s  "
              f"stages {report.seconds}  peak RSS {rss:.2f} GB")
        for name, same in equal.items():
            print(f"{name:>14}: {'equal' if same else 'DIFFERENT'}")
    if not all(equal.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
