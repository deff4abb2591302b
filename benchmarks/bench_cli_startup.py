"""Benchmark how fast `watchkeeper --help` answers: the median of N fresh processes.

    python benchmarks/bench_cli_startup.py [--runs 15] [--json]

Each run is a new `python -m watchkeeper --help` process, timed from spawn to exit, so
the figure includes the interpreter's start. A bare `python -c pass` is timed the same
way as the floor. The goal is <= 0.3 s (docs/benchmarks.md); also printed: the heavy
modules `--help` imported (it should import none) and the slowest imports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("duckdb", "pyarrow", "ibis", "numpy", "pandas", "pydantic", "sqlglot", "yaml")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    return env


def _time(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=_env())
        times.append(time.perf_counter() - started)
    return times


def _imports() -> tuple[list[str], list[tuple[str, float]]]:
    """Heavy modules imported by `--help`, and the five slowest imports (cumulative ms)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "watchkeeper", "--help"],
                          capture_output=True, text=True, check=True, env=_env())
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            rows.append((name.strip(), int(cumulative) / 1000))
    heavy = sorted({n.split(".")[0] for n, _ in rows if n.split(".")[0] in HEAVY})
    top = sorted((r for r in rows if r[0].count(".") == 0 or r[0].startswith("watchkeeper")),
                 key=lambda r: -r[1])[:5]
    return heavy, top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    help_s = _time([sys.executable, "-m", "watchkeeper", "--help"], args.runs)
    bare_s = _time([sys.executable, "-c", "pass"], args.runs)
    heavy, top = _imports()
    doc = {"benchmark": "cli_startup", "runs": args.runs,
           "help_median_s": round(statistics.median(help_s), 3),
           "help_min_s": round(min(help_s), 3),
           "python_median_s": round(statistics.median(bare_s), 3),
           "goal_s": 0.3, "heavy_imports": heavy,
           "slowest_imports_ms": {n: round(ms) for n, ms in top},
           "load_average": round(os.getloadavg()[0], 2),
           "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                      f"Python {platform.python_version()}"}
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"watchkeeper --help: median {doc['help_median_s']} s over {args.runs} runs "
          f"(fastest {doc['help_min_s']} s; bare python {doc['python_median_s']} s; "
          f"goal <= 0.3 s; load average {doc['load_average']})")
    print(f"heavy modules imported: {', '.join(heavy) or 'none'}")
    print("slowest imports: " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in top))


if __name__ == "__main__":
    main()
