"""Fused vs one-query-per-rule Sigma evaluation over the SigmaHQ regression samples.

The EVTX samples are read once, replicated to ``--events`` rows (fresh event ids) into an
in-memory DuckDB table, and every SigmaHQ Windows rule that compiles is run over it:

* fused: ``watchkeeper.detect.run_rules`` (one read of the routes' rows, every field test
  evaluated once per distinct value of its column: ``sigma.dictionary``);
* fused again: a second fused run, with the per-(rule, schema) binding cache warm;
* per rule: ``run_rules_per_rule`` (cached sqlglot SQL, one DuckDB query per rule branch)
  on ``--per-rule-sample`` rules, extrapolated to all rules (too slow in full).

Dictionary evaluation gains from repeated values, and replicated samples repeat far more
than real logs (every value recurs once per copy): the report prints the distinct-value
ratio (distinct / non-null values) of the main fields, for the replicated table and for the
samples themselves.

Usage: ``PYTHONPATH=src python benchmarks/bench_sigma.py [--events N] [--threads 2] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.detect import compile_rules, load_rules, run_rules, run_rules_per_rule
from watchkeeper.detect.sigma.pipeline import WINDOWS
from watchkeeper.sources.evtx import read_evtx

SIGMA = Path("/work/shared/sigma")
FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting")


def sample_events() -> pa.Table:
    files = sorted((SIGMA / "regression_data").rglob("*.evtx"))
    tables = [batch.table for path in files for batch in read_evtx(path)]
    return pa.concat_tables(tables, promote_options="permissive").combine_chunks()


def replicate(events: pa.Table, target: int) -> pa.Table:
    copies = -(-target // events.num_rows)
    parts = []
    for copy in range(copies):
        ids = pc.binary_join_element_wise(events["event_id"], pa.scalar(f"#{copy}"), "")
        parts.append(events.set_column(0, "event_id", ids))
    return pa.concat_tables(parts).slice(0, target).combine_chunks()


MAIN_FIELDS = ("Image", "ParentImage", "CommandLine", "OriginalFileName", "TargetObject",
               "TargetFilename", "ImageLoaded", "Details")


def distinct_ratios(data: pa.Table) -> dict[str, str]:
    """Per main field: distinct values / non-null values (1.0 = no value repeats)."""
    ratios = {}
    for name in MAIN_FIELDS:
        if name in data.column_names:
            column = data[name]
            present = len(column) - column.null_count
            distinct = pc.count_distinct(column).as_py()
            ratios[name] = f"{distinct}/{present} = {distinct / max(present, 1):.4f}"
    return ratios


def timed(function, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--per-rule-sample", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    ruleset = load_rules([SIGMA / f for f in FOLDERS])
    windows = [r for r in ruleset.rules if r.logsource.product == "windows"]
    compiled = compile_rules(windows, WINDOWS).rules
    samples = sample_events()
    data = replicate(samples, args.events)

    raw = duckdb.connect()
    raw.execute(f"SET threads = {int(args.threads)}")
    con = ibis.duckdb.from_connection(raw)
    table = con.create_table("events", ibis.memtable(data))

    fused, fused_s = timed(run_rules, compiled, table)
    _, warm_s = timed(run_rules, compiled, table)
    sample = random.Random(7).sample(list(compiled), min(args.per_rule_sample, len(compiled)))
    _, sample_s = timed(run_rules_per_rule, sample, table)
    per_rule_s = sample_s * len(compiled) / len(sample)
    report = {
        "events": data.num_rows,
        "columns": data.num_columns,
        "rules": len(compiled),
        "threads": args.threads,
        "matches": fused.num_rows,
        "fused_seconds": round(fused_s, 2),
        "fused_events_per_second": round(data.num_rows / fused_s),
        "fused_warm_seconds": round(warm_s, 2),
        "fused_warm_events_per_second": round(data.num_rows / warm_s),
        "per_rule_baseline": "sqlglot SQL, one DuckDB query per rule branch, extrapolated",
        "per_rule_sampled_rules": len(sample),
        "per_rule_seconds_extrapolated": round(per_rule_s, 2),
        "per_rule_events_per_second": round(data.num_rows / per_rule_s),
        "speedup": round(per_rule_s / fused_s, 1),
        "speedup_warm": round(per_rule_s / warm_s, 1),
        "sample_events": samples.num_rows,
        "distinct_ratio_replicated": distinct_ratios(data),
        "distinct_ratio_samples": distinct_ratios(samples),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, "
                   f"python {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
