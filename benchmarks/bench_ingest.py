"""Benchmark `watchkeeper ingest auto` against a bare DuckDB `read_csv` count.

    python benchmarks/bench_ingest.py [--users 1000 --days 365 --seed 7] [--data DIR] [--json]

Simulates the enterprise into DIR when it is not there yet, reads every input file once
(page cache warm for all that follows), then in the same run:
1. the baseline: DuckDB counts the rows of every input file with `read_csv` (one query
   per file, auto-detected dialect), the cheapest possible full read of the same bytes;
2. the copy floor (unless --no-floor): DuckDB copies every input file, every field as
   text, untransformed, into one Parquet file per input: what any ingest that stores the
   same bytes as Parquet costs at the least, before parsing a date or splitting a day;
3. the ingest: `watchkeeper ingest auto` into a fresh workspace, in a child process whose
   peak RSS is measured.
Prints the times and ratios (goal: ingest within 3x the baseline, RSS <= 2 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TELEMETRY = (".csv", ".jsonl")


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cpus, {mem:.0f} GiB, {platform.system()} "
            f"{platform.machine()}, Python {platform.python_version()}")


def ensure_simulation(data: Path, users: int, days: int, seed: int) -> None:
    marker = data / "simulation.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        cfg = meta.get("config", meta)
        if (cfg.get("users"), cfg.get("days"), cfg.get("seed"),
                cfg.get("profile", "classic")) == (users, days, seed, "classic"):
            return
    # The ingest and analyze figures in docs/benchmarks.md are on the classic profile's data.
    cmd = [sys.executable, "-m", "watchkeeper", "simulate", "--users", str(users),
           "--days", str(days), "--seed", str(seed), "--profile", "classic", "--out",
           str(data), "--json"]
    subprocess.run(cmd, check=True, capture_output=True)


def input_files(data: Path) -> list[Path]:
    return sorted(p for p in data.rglob("*") if p.suffix in TELEMETRY
                  and "answers" not in p.parts)


def warm(files: list[Path]) -> None:
    """Read every file once, so that no measurement below pays for the disk (a cold first
    read once doubled the count, to the ingest's advantage)."""
    for f in files:
        with f.open("rb") as fh:
            while fh.read(1 << 24):
                pass


def baseline(files: list[Path]) -> tuple[float, int]:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    rows = sum(int(con.sql("SELECT count(*) FROM read_csv($f)", params={"f": str(f)})
                   .fetchall()[0][0]) for f in files)
    return time.perf_counter() - started, rows


def copy_floor(files: list[Path], out: Path) -> float:
    """Seconds to copy every file, all fields as text, into Parquet (no transform)."""
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con = duckdb.connect()
    started = time.perf_counter()
    for n, f in enumerate(files):
        con.sql("SELECT * FROM read_csv($f, all_varchar = true)", params={"f": str(f)}) \
            .write_parquet(str(out / f"{n}.parquet"), compression="snappy")
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def ingest(data: Path, workspace: Path) -> tuple[float, float, dict[str, object]]:
    shutil.rmtree(workspace, ignore_errors=True)
    cmd = [sys.executable, "-m", "watchkeeper", "-w", str(workspace), "ingest", "auto",
           str(data), "--json"]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"ingest failed:\n{done.stderr}")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report: dict[str, object] = json.loads(done.stdout)
    return wall, peak_mib, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the copy-to-Parquet floor measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = args.data or ROOT / "bench-data" / f"sim-{args.users}x{args.days}-s{args.seed}"
    ensure_simulation(data, args.users, args.days, args.seed)
    files = input_files(data)
    warm(files)
    base_s, base_rows = baseline(files)
    floor_s = None if args.no_floor else copy_floor(files, ROOT / "bench-data" / "copy-floor")
    wall, peak, report = ingest(data, ROOT / "bench-data" / "ws-ingest")
    result = {
        "benchmark": "ingest", "users": args.users, "days": args.days, "seed": args.seed,
        "files": len(files), "bytes": sum(f.stat().st_size for f in files),
        "baseline_seconds": round(base_s, 2), "baseline_rows": base_rows,
        "copy_floor_seconds": None if floor_s is None else round(floor_s, 2),
        "floor_ratio": None if floor_s is None else round(floor_s / base_s, 2),
        "ingest_over_floor": None if floor_s is None else round(wall / floor_s, 2),
        "ingest_seconds": round(wall, 2), "ratio": round(wall / base_s, 2),
        "peak_rss_mib": round(peak), "read": report["read"], "accepted": report["accepted"],
        "duplicates": report["duplicates"], "quarantined": report["quarantined"],
        "events_per_second": round(int(str(report["read"])) / wall), "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"ingest {args.users} users x {args.days} days (seed {args.seed}): "
          f"{result['files']} files, {int(str(result['bytes'])) / 2**20:.0f} MiB")
    print(f"  machine            {result['machine']}")
    print(f"  DuckDB count       {base_s:8.2f} s  ({base_rows:,} rows)")
    if floor_s is not None:
        print(f"  copy floor         {floor_s:8.2f} s  (every field as text into Parquet: "
              f"{result['floor_ratio']:.2f} x the count)")
    print(f"  watchkeeper ingest {wall:8.2f} s  ({report['read']:,} read, "
          f"{report['accepted']:,} accepted, {report['quarantined']:,} quarantined)")
    print(f"  ratio              {result['ratio']:8.2f} x  (goal <= 3)")
    if floor_s is not None:
        print(f"  ingest / floor     {result['ingest_over_floor']:8.2f} x")
    print(f"  peak RSS           {peak:8.0f} MiB (goal <= 2048)")


if __name__ == "__main__":
    main()
