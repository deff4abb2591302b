"""`analyze` over 1,000 people x 365 days: a full run, then incremental runs of one new day.

    python benchmarks/bench_analyze.py [--users 1000 --days 365 --seed 7] [--runs 3] [--json]

Simulates the enterprise (the same folder bench_ingest.py uses, so `make bench` simulates
it once) and ingests it into its own workspace, kept under bench-data/ and reused; then
times `watchkeeper analyze --full --json` in its own process (wall and that process's
peak RSS), then `bench_analyze_incremental.py` `--runs` times and once more with
`--check`, which fails unless every table equals the full run's. Goals (issue 4):
full <= 90 s and <= 4 GB, one new day <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ingest import ROOT, ensure_simulation, ingest, machine

HERE = Path(__file__).resolve().parent


def run_full(workspace: Path) -> dict[str, object]:
    """`analyze --full` in a child process; wait4 gives that child's own peak RSS."""
    cmd = [sys.executable, "-m", "watchkeeper", "-w", str(workspace), "analyze", "--full",
           "--json"]
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"analyze --full failed on {workspace}:\n{err.read().strip()}")
    report = json.loads(out)
    return {"wall_seconds": round(wall, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_gb": round(usage.ru_maxrss / 1e6, 2), "stages": report.get("seconds")}


def run_incremental(workspace: Path, check: bool) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "bench_analyze_incremental.py"), str(workspace),
           "--json", *(["--check"] if check else [])]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    text = done.stdout
    doc: dict[str, Any] = json.loads(text[text.index("{"):]) if "{" in text else {}
    if done.returncode != 0:
        differs = [k for k, v in doc.get("equal_to_full", {}).items() if not v]
        sys.exit(f"incremental analyze on {workspace} failed: "
                 + (f"tables differ from the full run: {', '.join(differs)}" if differs
                    else done.stderr.strip()))
    return doc


def ensure_workspace(data: Path, workspace: Path) -> None:
    marker = workspace / ".bench-source"
    if marker.exists() and marker.read_text() == str(data):
        return
    ingest(data, workspace)
    marker.write_text(str(data))


def enterprise_arguments(doc: str) -> argparse.ArgumentParser:
    """--users, --days, --seed and --json: the simulated enterprise a benchmark runs on."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    return parser


def enterprise_name(args: argparse.Namespace) -> str:
    return f"{args.users}x{args.days}-s{args.seed}"


def prepared_workspace(args: argparse.Namespace) -> Path:
    """The simulated enterprise ingested into its workspace (both reused when present)."""
    name = enterprise_name(args)
    data = ROOT / "bench-data" / f"sim-{name}"
    workspace = ROOT / "bench-data" / f"ws-analyze-{name}"
    print(f"simulating and ingesting {name} (reused when present) …", file=sys.stderr)
    ensure_simulation(data, args.users, args.days, args.seed)
    ensure_workspace(data, workspace)
    return workspace


def main() -> None:
    parser = enterprise_arguments(__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    workspace = prepared_workspace(args)
    print("analyze --full …", file=sys.stderr)
    full = run_full(workspace)
    incremental = []
    for i in range(args.runs):
        print(f"incremental run {i + 1}/{args.runs} …", file=sys.stderr)
        incremental.append(run_incremental(workspace, check=False))
    print("incremental run with --check …", file=sys.stderr)
    check = run_incremental(workspace, check=True)
    walls = [float(r["wall_seconds"]) for r in incremental]
    result = {
        "benchmark": "analyze", "users": args.users, "days": args.days, "seed": args.seed,
        "full_seconds": full["wall_seconds"], "full_cpu_seconds": full["cpu_seconds"],
        "full_peak_rss_gb": full["peak_rss_gb"], "full_stages": full["stages"],
        "incremental_seconds": walls, "incremental_max_seconds": max(walls),
        "incremental_peak_rss_gb": max(float(r["peak_rss_gb"]) for r in incremental),
        "incremental_equal_to_full": all(check["equal_to_full"].values()),
        "load_average": [round(x, 2) for x in os.getloadavg()], "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"analyze {enterprise_name(args)}  ({result['machine']})")
    print(f"  full         {full['wall_seconds']:7.1f} s wall  {full['cpu_seconds']:.1f} s cpu  "
          f"peak RSS {full['peak_rss_gb']:.2f} GB  stages {full['stages']}  "
          "(goal <= 90 s, <= 4 GB)")
    print(f"  one new day  {' / '.join(f'{w:.1f}' for w in walls)} s wall  peak RSS "
          f"{result['incremental_peak_rss_gb']:.2f} GB  (goal <= 10 s)")
    print(f"  incremental tables equal to the full run's: {result['incremental_equal_to_full']}")


if __name__ == "__main__":
    main()
