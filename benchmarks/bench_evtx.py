"""Benchmark `watchkeeper ingest evtx` against the `evtx` package alone on the same files.

    python benchmarks/bench_evtx.py [--samples DIR] [--copies 100] [--json]

Two sets of files: the SigmaHQ regression samples (every ``.evtx`` under
``../shared/sigma/regression_data``), and the same files linked ``--copies`` times under
new names into ``bench-data/evtx-copies`` (copies count as read and as duplicates). For
each set, in the same run, page cache warm:
1. the floor: the `evtx` package alone reads every record of every file as JSON, in this
   process, one file after the other (what any EVTX ingest in Python pays at the least);
2. the ingest: `watchkeeper ingest evtx` into a fresh workspace, as a user runs it (a
   child process; its own report's seconds exclude the interpreter's start).
Prints records per second for both and their ratio (goal: ingest within 2x the floor).
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

from evtx import PyEvtxParser

from bench_ingest import machine

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


def ingest(folder: Path) -> dict[str, float]:
    """`watchkeeper ingest evtx FOLDER --json` into a fresh workspace."""
    with tempfile.TemporaryDirectory(prefix="wk-bench-evtx-") as tmp:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "watchkeeper", "-w", f"{tmp}/ws",
                               "ingest", "evtx", str(folder), "--json"],
                              capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
    report = json.loads(done.stdout)
    return {"read": report["read"], "accepted": report["accepted"],
            "duplicates": report["duplicates"], "quarantined": report["quarantined"],
            "seconds": report["seconds"], "wall_seconds": round(wall, 2)}


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
    floor(files)  # page cache warm for both
    records, floor_s = floor(files)
    run = ingest(folder)
    floor_rate = records / floor_s
    ingest_rate = run["read"] / run["seconds"]
    return {"set": name, "files": len(files), "records": records,
            "floor_seconds": round(floor_s, 3), "floor_records_per_s": round(floor_rate),
            **run, "ingest_records_per_s": round(ingest_rate),
            "floor_over_ingest": round(floor_rate / ingest_rate, 2)}


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
              f"{r['floor_records_per_s']:,}/s, ingest {r['ingest_records_per_s']:,}/s "
              f"({r['seconds']} s, {r['wall_seconds']} s with start-up): floor is "
              f"{r['floor_over_ingest']}x the ingest")


if __name__ == "__main__":
    main()
