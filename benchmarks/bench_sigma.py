"""Fused vs one-query-per-rule Sigma evaluation over the SigmaHQ regression samples.

The EVTX samples are read once and replicated to ``--events`` rows (fresh event ids); every
SigmaHQ Windows rule that compiles is run over them. This process prepares everything (parses
and compiles the rules, writes them as the rule cache encodes them, writes the events as one
Parquet file as the lake stores them) and each run happens in a child process of its own that
reads the rules and opens the Parquet file through a DuckDB view, as ``detect`` reads the
lake, so each child's peak RSS is what that detection run needs (imports, rules, engine,
DuckDB), not the benchmark's state:

* fused: ``watchkeeper.detect.run_rules`` (one read of the routes' rows, every field test
  evaluated once per distinct value of its column: ``sigma.dictionary``), run twice in one
  child (the second with the per-(rule, schema) binding cache warm);
* per rule: ``run_rules_per_rule`` (cached sqlglot SQL, one DuckDB query per rule branch)
  on ``--per-rule-sample`` rules, extrapolated to all rules (too slow in full).

Dictionary evaluation gains from repeated values, and replicated samples repeat far more
than real logs (every value recurs once per copy): the report prints the distinct-value
ratio (distinct / non-null values) of the main fields, for the replicated table and for the
samples themselves. ``--unique-fields`` adds a high-cardinality table: the replicated one
with ``CommandLine``, ``ParentCommandLine`` and ``TargetFilename`` made unique per row
(:func:`make_unique`), fused (twice, one child) and per rule (sampled, another child); the
fused matches of the sampled rules must equal theirs.

Reported per child: wall and CPU seconds of each run (the process's CPU, DuckDB's threads
included: what the run needs, whatever else the machine runs), the RSS once the rules are
decoded and the view opened (``..._rss_set_up_mb``) and the child's peak RSS
(``..._peak_rss_mb``); ``benchmark_peak_rss_mb`` is this preparing process's own.

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
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.detect.runner import run_rules, run_rules_per_rule

SIGMA = Path("/work/shared/sigma")
FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting")


def sample_events() -> pa.Table:
    from watchkeeper.sources.evtx import read_evtx
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


def peak_rss_mb() -> int:
    """This process's peak resident set size so far, in MiB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def rss_mb() -> int | None:
    """The resident set size now, in MiB (Linux), or None."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = [line.split()[1] for line in text.splitlines() if line.startswith("VmRSS:")]
    return int(found[0]) // 1024 if found else None


# -- the child processes: one detection run each, measured alone -------------------------

def child(args: argparse.Namespace) -> int:
    """Run the fused engine (twice) or the per-rule baseline on the Parquet table at
    ``args.table``, as ``detect`` does on the lake: the compiled rules decoded from JSON
    (the rule cache's codec), the rows read from Parquet through a DuckDB view. Prints a
    JSON report: seconds and CPU seconds per run, the RSS once set up and the peak RSS of
    the whole process (imports, rules, the runs)."""
    from watchkeeper.detect.sigma.codec import decode_rule

    rules = [decode_rule(r, None) for r in json.loads(Path(args.rules).read_text())]
    if args.sample:
        wanted = set(json.loads(Path(args.sample).read_text()))
        rules = [r for r in rules if r.rule_id in wanted]
    raw = duckdb.connect()
    raw.execute(f"SET threads = {int(args.threads)}")
    table = ibis.duckdb.from_connection(raw).read_parquet(args.table, table_name="events")
    report: dict[str, object] = {"rules": len(rules), "rss_set_up_mb": rss_mb()}
    runs = ("first", "again") if args.child == "fused" else ("first",)
    run = run_rules if args.child == "fused" else run_rules_per_rule
    for name in runs:
        cpu = time.process_time()
        matches, seconds = timed(run, rules, table)
        report[f"{name}_seconds"] = round(seconds, 2)
        report[f"{name}_cpu_seconds"] = round(time.process_time() - cpu, 2)
    report["matches"] = matches.num_rows
    if args.pairs:
        pq.write_table(matches.select(["rule_id", "event_id"]), args.pairs)
    report["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(report))
    return 0


def in_child(kind: str, table: Path, work: Path, threads: int, *, sample: Path | None = None,
             pairs: Path | None = None) -> dict[str, Any]:
    """One child run (see :func:`child`) and its JSON report."""
    command = [sys.executable, __file__, "--child", kind, "--table", str(table),
               "--rules", str(work / "rules.json"), "--threads", str(threads)]
    command += ["--sample", str(sample)] if sample is not None else []
    command += ["--pairs", str(pairs)] if pairs is not None else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} run on {table.name} failed: {done.stderr.strip()}")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def pairs_of(path: Path, rule_ids: set[str] | None = None) -> set[tuple[str, str]]:
    rows = pq.read_table(path)
    return {(r, e) for r, e in zip(rows["rule_id"].to_pylist(), rows["event_id"].to_pylist(),
                                   strict=True) if rule_ids is None or r in rule_ids}


def unique_fields(work: Path, threads: int, rows: int, per_rule_rules: int, total_rules: int,
                  ratios: dict[str, str]) -> dict[str, object]:
    """Fused (twice, one child) and sampled per-rule (another child) on the
    high-cardinality table; the fused matches of the sampled rules must equal theirs."""
    table = work / "unique.parquet"
    fused = in_child("fused", table, work, threads, pairs=work / "unique-fused.parquet")
    per_rule = in_child("per-rule", table, work, threads, sample=work / "sample.json",
                        pairs=work / "unique-per-rule.parquet")
    sampled = set(json.loads((work / "sample.json").read_text()))
    mine = pairs_of(work / "unique-fused.parquet", sampled)
    if mine != pairs_of(work / "unique-per-rule.parquet"):
        raise SystemExit("fused and per-rule matches differ on the high-cardinality table")
    per_rule_s = per_rule["first_seconds"] * total_rules / per_rule_rules
    return {
        "unique_fused_peak_rss_mb": fused["peak_rss_mb"],
        "unique_fused_rss_set_up_mb": fused["rss_set_up_mb"],
        "unique_per_rule_peak_rss_mb": per_rule["peak_rss_mb"],
        "unique_fields": ", ".join(UNIQUE_FIELDS) + " unique per row",
        "unique_matches": fused["matches"],
        "unique_sampled_matches_equal": f"{len(mine)} (fused == per rule)",
        "unique_fused_seconds": fused["first_seconds"],
        "unique_fused_events_per_second": round(rows / fused["first_seconds"]),
        "unique_fused_cpu_seconds": fused["first_cpu_seconds"],
        "unique_fused_again_seconds": fused["again_seconds"],
        "unique_fused_again_cpu_seconds": fused["again_cpu_seconds"],
        "unique_fused_again_events_per_second": round(rows / fused["again_seconds"]),
        "unique_per_rule_seconds_extrapolated": round(per_rule_s, 2),
        "unique_per_rule_events_per_second": round(rows / per_rule_s),
        "unique_speedup": round(per_rule_s / fused["first_seconds"], 1),
        "unique_distinct_ratio": ratios,
    }


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
    parser.add_argument("--child", choices=("fused", "per-rule"), help=argparse.SUPPRESS)
    for hidden in ("--table", "--rules", "--sample", "--pairs"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.rule_cache:
        return show(rule_cache() | machine(), args.json)
    with tempfile.TemporaryDirectory(prefix="wk-bench-sigma-") as folder:
        return show(measure(args, Path(folder)) | machine(), args.json)


def measure(args: argparse.Namespace, work: Path) -> dict[str, object]:
    """Prepare the rules and tables here, run the engine in child processes."""
    from watchkeeper.detect import compile_rules, load_rules  # pySigma: not in the children
    from watchkeeper.detect.sigma.codec import encode_rule
    from watchkeeper.detect.sigma.pipeline import WINDOWS

    ruleset = load_rules([SIGMA / f for f in FOLDERS])
    windows = [r for r in ruleset.rules if r.logsource.product == "windows"]
    compiled = compile_rules(windows, WINDOWS).rules
    del ruleset, windows
    (work / "rules.json").write_text(json.dumps([encode_rule(r) for r in compiled]))
    sample = random.Random(7).sample(list(compiled), min(args.per_rule_sample, len(compiled)))
    (work / "sample.json").write_text(json.dumps([r.rule_id for r in sample]))
    samples = sample_events()
    data = replicate(samples, args.events)
    write_table(data, work / "events.parquet")
    report: dict[str, object] = {
        "events": data.num_rows, "columns": data.num_columns, "rules": len(compiled),
        "threads": args.threads, "sample_events": samples.num_rows,
        "distinct_ratio_replicated": distinct_ratios(data),
        "distinct_ratio_samples": distinct_ratios(samples),
    }
    if args.unique_fields:
        unique = make_unique(data)
        ratios = distinct_ratios(unique)
        write_table(unique, work / "unique.parquet")
        del unique
    del data, samples
    fused = in_child("fused", work / "events.parquet", work, args.threads)
    per_rule = in_child("per-rule", work / "events.parquet", work, args.threads,
                        sample=work / "sample.json")
    rows = int(report["events"])  # type: ignore[call-overload]
    per_rule_s = per_rule["first_seconds"] * len(compiled) / len(sample)
    report.update({
        "matches": fused["matches"],
        "fused_seconds": fused["first_seconds"],
        "fused_cpu_seconds": fused["first_cpu_seconds"],
        "fused_events_per_second": round(rows / fused["first_seconds"]),
        "fused_warm_seconds": fused["again_seconds"],
        "fused_warm_events_per_second": round(rows / fused["again_seconds"]),
        "fused_peak_rss_mb": fused["peak_rss_mb"],
        "per_rule_baseline": "sqlglot SQL, one DuckDB query per rule branch, extrapolated",
        "per_rule_sampled_rules": len(sample),
        "per_rule_seconds_extrapolated": round(per_rule_s, 2),
        "per_rule_events_per_second": round(rows / per_rule_s),
        "speedup": round(per_rule_s / fused["first_seconds"], 1),
        "speedup_warm": round(per_rule_s / fused["again_seconds"], 1),
    })
    if args.unique_fields:
        report.update(unique_fields(work, args.threads, rows, len(sample), len(compiled),
                                    ratios))
    report["benchmark_peak_rss_mb"] = peak_rss_mb()
    return report


def write_table(data: pa.Table, path: Path) -> None:
    """The events as one Parquet file, as the lake stores them (snappy, 131,072-row
    groups)."""
    pq.write_table(data, path, compression="snappy", row_group_size=131_072)


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
