"""Benchmark `watchkeeper ingest evtx` against the `evtx` package alone on the same files.

    python benchmarks/bench_evtx.py [--samples DIR] [--copies 100] [--json]

Two sets of files: the SigmaHQ regression samples (every ``.evtx`` under
``../shared/sigma/regression_data``), and the same files linked ``--copies`` times under
new names into ``bench-data/evtx-copies`` (copies count as read and as duplicates). For
each set, in the same run, page cache warm:
1. the floor: the `evtx` package alone reads every record of every file as JSON, in this
   process, one file after the other (what any EVTX ingest in Python pays at the least);
2. the steps every record costs a Python ingest that builds no shortcut, in this process:
   the floor plus ``json.loads`` of each record, and that plus Watchkeeper's reader
   turning every record into a row, one Arrow table and one Parquet file (no record is
   recognized as a repeat here: each copy is read as if it were new);
3. the ingest: `watchkeeper ingest evtx` into a fresh workspace, as a user runs it (a
   child process; its own report's seconds exclude the interpreter's start), with the
   CPU time of it and its worker processes.
Prints records per second for the floor and the ingest and their ratio (goal: ingest
within 2x the floor), and the load average before and after (other jobs on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from evtx import PyEvtxParser

from bench_ingest import machine
from watchkeeper.sources.evtx import ColumnNames, to_table
from watchkeeper.sources.evtx_fields import FieldReader, read_chunk

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (Path(os.environ.get("WATCHKEEPER_SHARED", ROOT.parent / "shared")),
                           Path("/work/shared")) if p.is_dir()), ROOT.parent / "shared")


def floor(files: list[Path]) -> tuple[int, float]:
    """Records and seconds for the `evtx` package alone over the files."""
    started, records = time.perf_counter(), 0
    for path in files:
        for _ in PyEvtxParser(str(path)).records_json():
            records += 1
    return records, time.perf_counter() - started


def with_json(files: list[Path]) -> float:
    """Seconds for the floor plus `json.loads` of every record."""
    started = time.perf_counter()
    for path in files:
        for record in PyEvtxParser(str(path)).records_json():
            json.loads(record["data"])
    return time.perf_counter() - started


def every_record(files: list[Path], out: Path) -> float:
    """Seconds for the reader over every record (no repeat skipped): rows, one Arrow
    table, one Parquet file."""
    started = time.perf_counter()
    numbered = list(enumerate(files))
    (rows,) = read_chunk(numbered, FieldReader(), len(numbered) * 10_000)
    table, _ = to_table(rows, ColumnNames())
    pq.write_table(table, out, compression="zstd")
    return time.perf_counter() - started


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest(folder: Path) -> dict[str, float]:
    """`watchkeeper ingest evtx FOLDER --json` into a fresh workspace."""
    with tempfile.TemporaryDirectory(prefix="wk-bench-evtx-") as tmp:
        started, cpu = time.perf_counter(), cpu_of_children()
        done = subprocess.run([sys.executable, "-m", "watchkeeper", "-w", f"{tmp}/ws",
                               "ingest", "evtx", str(folder), "--json"],
                              capture_output=True, text=True, check=True)
        wall, cpu = time.perf_counter() - started, cpu_of_children() - cpu
    report = json.loads(done.stdout)
    return {"read": report["read"], "accepted": report["accepted"],
            "duplicates": report["duplicates"], "quarantined": report["quarantined"],
            "seconds": report["seconds"], "wall_seconds": round(wall, 2),
            "cpu_seconds_with_start_up": round(cpu, 2)}


def copies(samples: list[Path], times: int, out: Path) -> Path:
    """The samples linked (or copied, across file systems) `times` times, new names."""
    marker = out / f".complete-{len(samples)}x{times}"
    if marker.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    for copy in range(times):
        folder = out / f"c{copy:03d}"
        folder.mkdir(parents=True)
        for n, path in enumerate(samples):
            target = folder / f"{n:04d}.evtx"
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
    marker.touch()
    return out


def measure(name: str, folder: Path) -> dict[str, object]:
    files = sorted(folder.rglob("*.evtx"))
    floor(files)  # page cache warm for all
    load = os.getloadavg()[0]
    records, floor_s = floor(files)
    json_s = with_json(files)
    with tempfile.TemporaryDirectory(prefix="wk-bench-evtx-") as tmp:
        every_s = every_record(files, Path(tmp) / "all.parquet")
    run = ingest(folder)
    floor_rate = records / floor_s
    ingest_rate = run["read"] / run["seconds"]
    return {"set": name, "files": len(files), "records": records,
            "floor_seconds": round(floor_s, 3), "floor_records_per_s": round(floor_rate),
            "floor_and_json_seconds": round(json_s, 3),
            "every_record_to_parquet_seconds": round(every_s, 3),
            **run, "ingest_records_per_s": round(ingest_rate),
            "floor_over_ingest": round(floor_rate / ingest_rate, 2),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SHARED / "sigma" / "regression_data")
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data" / "evtx-copies")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples = sorted(args.samples.rglob("*.evtx"))
    if not samples:
        sys.exit(f"error: no .evtx files under {args.samples}")
    with tempfile.TemporaryDirectory(prefix="wk-bench-evtx-") as tmp:
        one = copies(samples, 1, Path(tmp) / "samples")
        results = [measure("regression samples", one)]
    results.append(measure(f"{args.copies} copies", copies(samples, args.copies, args.data)))
    doc = {"benchmark": "evtx", "machine": machine(), "sets": results,
           "goal": "ingest records/s within 2x of the evtx package alone"}
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"machine: {doc['machine']}")
    for r in results:
        print(f"{r['set']}: {r['files']:,} files, {r['records']:,} records; evtx alone "
              f"{r['floor_records_per_s']:,}/s ({r['floor_seconds']} s; with json.loads "
              f"{r['floor_and_json_seconds']} s; every record to Parquet "
              f"{r['every_record_to_parquet_seconds']} s), ingest "
              f"{r['ingest_records_per_s']:,}/s ({r['seconds']} s, {r['wall_seconds']} s "
              f"and {r['cpu_seconds_with_start_up']} s CPU with start-up): floor is "
              f"{r['floor_over_ingest']}x the ingest; load {r['load_before']} -> "
              f"{r['load_after']}")


if __name__ == "__main__":
    main()
