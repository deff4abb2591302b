"""Benchmark the synthetic-enterprise simulator: wall time, peak RSS and rows per file.

    python benchmarks/bench_simulate.py [--users 1000 --days 365 --seed 7]
        [--profile realistic|classic] [--out DIR] [--json]

The simulation runs in a child process, so the peak RSS is the simulator's own
(`getrusage(RUSAGE_CHILDREN).ru_maxrss`), not this script's.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _child(users: int, days: int, seed: int, profile: str, out: Path) -> None:
    sys.path.insert(0, str(SRC))
    from watchkeeper.sim import SimConfig, simulate

    result = simulate(SimConfig(users=users, days=days, seed=seed, profile=profile), out)
    print(json.dumps({"files": result.files, "people": result.people,
                      "incidents": result.incidents}))


def _measure(users: int, days: int, seed: int, profile: str,
             out: Path) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", "--users", str(users), "--days", str(days),
               "--seed", str(seed), "--profile", profile, "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"simulation failed:\n{done.stderr}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    files: dict[str, int] = json.loads(json.dumps(report["files"]))
    sources = ("logon.csv", "device.csv", "file.csv", "email.csv", "http.csv",
               "datastore_access.jsonl")
    events = sum(files[name] for name in sources)
    return {"users": users, "days": days, "seed": seed, "profile": profile,
            "wall_seconds": round(wall, 2),
            "peak_rss_mib": round(peak_kib / 1024, 1), "events": events,
            "events_per_second": round(events / wall), "machine": _machine()} | report


def _machine() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}"


def _print(report: dict[str, object]) -> None:
    print(f"simulate {report['users']} users x {report['days']} days (seed {report['seed']}, "
          f"profile {report['profile']})")
    print(f"  machine     {report['machine']}")
    print(f"  wall time   {report['wall_seconds']} s")
    print(f"  peak RSS    {report['peak_rss_mib']} MiB")
    print(f"  events      {report['events']:,} ({report['events_per_second']:,}/s)")
    files = report["files"]
    assert isinstance(files, dict)
    for name, rows in files.items():
        if not name.startswith("answers/sim-"):
            print(f"  {name:<28} {rows:>12,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default="realistic", choices=("realistic", "classic"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.users, args.days, args.seed, args.profile, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="wk-bench-") as tmp:
        out = args.out or Path(tmp) / "sim"
        report = _measure(args.users, args.days, args.seed, args.profile, out)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)


if __name__ == "__main__":
    main()
