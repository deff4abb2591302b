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
samples themselves. ``--unique-fields`` adds a high-cardinality run: the same replicated
table with ``CommandLine``, ``ParentCommandLine`` and ``TargetFilename`` made unique per
row (:func:`make_unique`), fused (binding cache already warm) and per rule (sampled) on
that same table; the fused matches of the sampled rules must equal theirs.

The report gives the process's peak RSS after the main runs (``peak_rss_mb``) and, with
``--unique-fields``, after the high-cardinality runs too (``unique_peak_rss_mb``: the peak
so far, so it includes the main runs; the main table is dropped before). The fused runs'
CPU time (``unique_fused_cpu_seconds``: the process's, DuckDB's threads included) is given
next to their wall time, which a shared machine stretches. On Linux it also
gives the peak of each high-cardinality fused run alone (``unique_fused_peak_rss_mb``:
the peak is reset to the current RSS through ``/proc/self/clear_refs`` just before the run)
and the RSS just before it (``unique_rss_before_fused_mb``: the benchmark's own state,
parsed rules and the DuckDB table), so the engine's share is their difference.

``--rule-cache`` measures the compiled-rule cache instead (:mod:`watchkeeper.detect.sigma.
cache`): loading and compiling the SigmaHQ Windows folder without a cache, with an empty
cache (cold) and with a filled one (warm), each in a fresh process, in a temporary cache
folder.

Usage: ``PYTHONPATH=src python benchmarks/bench_sigma.py [--events N] [--threads 2]
[--unique-fields] [--rule-cache] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
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


UNIQUE_FIELDS = ("CommandLine", "ParentCommandLine", "TargetFilename")


def make_unique(data: pa.Table) -> pa.Table:
    """A high-cardinality variant: ``CommandLine`` and ``ParentCommandLine`` get one more
    argument and ``TargetFilename`` one more folder before its file name, a token unique per
    row, so these columns hardly repeat (as in real logs). This can change which rules match
    (``endswith``, ``eq``, patterns across the changed spot): fused and per-rule run on the
    same perturbed table and must agree."""
    for name in UNIQUE_FIELDS:
        if name not in data.column_names:
            continue
        values = data[name].to_pylist()
        changed: list[str | None] = []
        for row, value in enumerate(values):
            token = f"wk{row:x}"
            if value is None:
                changed.append(None)
            elif name == "TargetFilename":
                head, sep, tail = value.rpartition("\\")
                changed.append(f"{head}{sep}{token}\\{tail}" if sep else f"{token}\\{value}")
            else:
                changed.append(f"{value} {token}")
        data = data.set_column(data.column_names.index(name), name,
                               pa.array(changed, data.schema.field(name).type))
    return data.combine_chunks()


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


def unique_fields(compiled: list, sample: list,  # type: ignore[type-arg]
                  table: ibis.Table, rows: int, ratios: dict[str, str]) -> dict[str, object]:
    """Fused and (sampled, extrapolated) per-rule runs on the high-cardinality variant."""
    earlier = peak_rss_mb()  # resetting the peak below resets this one too
    before = rss_mb()
    cpu = time.process_time()
    fused, fused_s = timed(run_rules, compiled, table)
    fused_cpu, cpu = time.process_time() - cpu, time.process_time()
    fused_peak = peak_since_reset_mb()
    _, again_s = timed(run_rules, compiled, table)
    again_cpu = time.process_time() - cpu
    again_peak = peak_since_reset_mb()
    per_rule, sample_s = timed(run_rules_per_rule, sample, table)
    sampled = pa.array([r.rule_id for r in sample])
    mine = fused.filter(pc.is_in(fused["rule_id"], value_set=sampled))

    def pairs(matches: pa.Table) -> set[tuple[str, str]]:
        return set(zip(matches["rule_id"].to_pylist(), matches["event_id"].to_pylist(),
                       strict=True))

    if pairs(mine) != pairs(per_rule):
        raise SystemExit("fused and per-rule matches differ on the high-cardinality table")
    per_rule_s = sample_s * len(compiled) / len(sample)
    peaks = [earlier, fused_peak or 0, again_peak or 0, peak_rss_mb()]
    return {
        "unique_peak_rss_mb": max(peaks),
        "unique_rss_before_fused_mb": before,
        "unique_fused_peak_rss_mb": fused_peak,
        "unique_fused_again_peak_rss_mb": again_peak,
        "unique_fields": ", ".join(UNIQUE_FIELDS) + " unique per row",
        "unique_matches": fused.num_rows,
        "unique_sampled_matches_equal": f"{len(pairs(mine))} (fused == per rule)",
        "unique_fused_seconds": round(fused_s, 2),
        "unique_fused_events_per_second": round(rows / fused_s),
        "unique_fused_cpu_seconds": round(fused_cpu, 2),
        "unique_fused_again_seconds": round(again_s, 2),
        "unique_fused_again_cpu_seconds": round(again_cpu, 2),
        "unique_fused_again_events_per_second": round(rows / again_s),
        "unique_per_rule_seconds_extrapolated": round(per_rule_s, 2),
        "unique_per_rule_events_per_second": round(rows / per_rule_s),
        "unique_speedup": round(per_rule_s / fused_s, 1),
        "unique_distinct_ratio": ratios,
    }


def peak_rss_mb() -> int:
    """The process's peak resident set size so far, in MB (Linux: ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _status_mb(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) // 1024
    return None


def rss_mb() -> int | None:
    """The resident set size now, in MB, after resetting the peak to it (Linux:
    ``/proc/self/clear_refs``), so :func:`peak_since_reset_mb` measures what comes next:
    the fused run's own peak, the benchmark's state (rules, DuckDB table) included but not
    the peaks of the runs before it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_mb("VmRSS")


def peak_since_reset_mb() -> int | None:
    """The peak resident set size since the last :func:`rss_mb`, then reset again."""
    peak = _status_mb("VmHWM")
    rss_mb()
    return peak


CACHE_RUN = """
import sys, time
from watchkeeper.detect import WINDOWS
from watchkeeper.detect.sigma.cache import RuleCache, compile_files
start = time.perf_counter()
if sys.argv[2] == "none":
    from watchkeeper.detect import compile_rules, load_rules
    rules = compile_rules(load_rules([sys.argv[1]]).rules, WINDOWS).rules
    print(time.perf_counter() - start, len(rules), 0)
else:
    found = compile_files([sys.argv[1]], WINDOWS, RuleCache(sys.argv[2]))
    print(time.perf_counter() - start, len(found.rules), len(found.compiled))
"""


def rule_cache() -> dict[str, object]:
    """Load + compile the Windows folder, each run in a fresh process (imports excluded)."""
    folder = SIGMA / "rules" / "windows"
    report: dict[str, object] = {"rule_files": sum(1 for _ in folder.rglob("*.yml"))}
    with tempfile.TemporaryDirectory(prefix="wk-cache-") as cache:
        for name, where in (("no_cache", "none"), ("cold", cache), ("warm", cache),
                            ("warm_again", cache)):
            out = subprocess.run([sys.executable, "-c", CACHE_RUN, str(folder), where],
                                 check=True, capture_output=True, text=True).stdout.split()
            report[f"{name}_seconds"] = round(float(out[0]), 3)
            report[f"{name}_rules"] = f"{out[1]} compiled, {out[2]} files compiled now"
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--per-rule-sample", type=int, default=150)
    parser.add_argument("--unique-fields", action="store_true",
                        help="also run on a copy with unique CommandLine, ParentCommandLine "
                             "and TargetFilename (high cardinality)")
    parser.add_argument("--rule-cache", action="store_true",
                        help="measure the compiled-rule cache (cold, warm) instead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.rule_cache:
        return show(rule_cache() | machine(), args.json)

    ruleset = load_rules([SIGMA / f for f in FOLDERS])
    windows = [r for r in ruleset.rules if r.logsource.product == "windows"]
    compiled = compile_rules(windows, WINDOWS).rules
    del ruleset, windows  # the parsed pySigma objects: not the engine's memory
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
    }
    report["peak_rss_mb"] = peak_rss_mb()
    if args.unique_fields:
        raw.execute("DROP TABLE events")  # (ibis drop_table fails on this DuckDB)
        # DuckDB holds its own copy of the variant: the process keeps no Arrow copy, so
        # its peak RSS is the engine's (plus DuckDB's table)
        unique = make_unique(data)
        del fused, table, data
        rows, ratios = unique.num_rows, distinct_ratios(unique)
        table = con.create_table("events_unique", ibis.memtable(unique))
        del unique
        report.update(unique_fields(compiled, sample, table, rows, ratios))
    return show(report | machine(), args.json)


def machine() -> dict[str, object]:
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, "
                   f"python {platform.python_version()}",
    }


def show(report: dict[str, object], as_json: bool) -> int:
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
