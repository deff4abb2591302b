"""End to end: SigmaHQ's regression EVTX samples ingested and hunted with its Windows rules.

    python benchmarks/bench_e2e.py [--samples DIR] [--rules DIR] [--repeat 3] [--json]

Two CLI commands as a user runs them, each a child process, into a fresh workspace:
``watchkeeper ingest evtx SAMPLES`` then ``watchkeeper detect --rules RULES``. Every
repeat runs them *cold* (an empty rule cache: every rule parsed and compiled) and then
*warm* (the cache the cold run filled; a new workspace again). Goal: warm <= 3 s for both
commands together, cold <= 10 s. ``ingest evtx`` of the folder reads its ``.evtx`` files
(the ``.json`` exports beside them are other formats and not taken).

Reported per run: wall and CPU seconds (user + system, all threads; a shared machine
stretches wall time, not CPU time) of each command (interpreter start included), detect's
own phases (rules: load and compile; match: the fused run; explain; store), and how the
cache served the rule files; then medians over the repeats, the interpreter's bare start
and ``watchkeeper --help`` (the floor of any command), and the load average before and
after (the machine may be shared). The package's modules are compiled to bytecode first,
as installing it does.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ingest import machine

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (Path(os.environ.get("WATCHKEEPER_SHARED", ROOT.parent / "shared")),
                           Path("/work/shared")) if p.is_dir()), ROOT.parent / "shared")


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, dict[str, Any]]:
    """Wall and CPU seconds (user + system, the child's threads included) of
    ``python -m watchkeeper ARGS --json``, and its JSON document."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "watchkeeper", *args, "--json"],
                          capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    doc: dict[str, Any] = json.loads(done.stdout)
    return wall, cpu, doc


def compile_package() -> str:
    """Compile watchkeeper's modules to bytecode first, as installing the package does (a
    checkout run with PYTHONDONTWRITEBYTECODE would compile every module at every start)."""
    spec = importlib.util.find_spec("watchkeeper")
    if spec is None or spec.origin is None:
        raise SystemExit("watchkeeper is not importable (PYTHONPATH=src)")
    package = Path(spec.origin).parent
    compileall.compile_dir(package, quiet=1)
    return str(package)


def one_run(samples: Path, rules: Path, cache: Path, tmp: Path) -> dict[str, Any]:
    """Ingest and detect into a fresh workspace, with the rule cache at ``cache``."""
    env = {**os.environ, "WATCHKEEPER_CACHE": str(cache)}
    ws = tempfile.mkdtemp(prefix="ws-", dir=tmp)
    ingest_wall, ingest_cpu, ingested = timed(["-w", ws, "ingest", "evtx", str(samples)], env)
    detect_wall, detect_cpu, found = timed(["-w", ws, "detect", "--rules", str(rules)], env)
    return {"ingest_wall": round(ingest_wall, 3), "ingest_cpu": round(ingest_cpu, 3),
            "ingest_own": ingested["seconds"],
            "records": ingested["read"], "accepted": ingested["accepted"],
            "detect_wall": round(detect_wall, 3), "detect_cpu": round(detect_cpu, 3),
            "detect_own": found["seconds"],
            "phases": found.get("phases", {}), "rule_cache": found.get("rule_cache", {}),
            "rules": found["rules"], "findings": found["stored"],
            "total": round(ingest_wall + detect_wall, 3),
            "total_cpu": round(ingest_cpu + detect_cpu, 3)}


def start_floor(repeat: int) -> dict[str, float]:
    """Median wall seconds of a bare interpreter and of ``watchkeeper --help``."""
    def wall(args: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True)
        return time.perf_counter() - started
    return {"python": round(statistics.median(wall(["-c", "pass"]) for _ in range(repeat)), 3),
            "help": round(statistics.median(wall(["-m", "watchkeeper", "--help"])
                                            for _ in range(repeat)), 3)}


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("ingest_wall", "ingest_cpu", "ingest_own", "detect_wall", "detect_cpu",
            "detect_own", "total", "total_cpu")
    found: dict[str, Any] = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    phases = sorted({p for r in runs for p in r["phases"]})
    found["phases"] = {p: round(statistics.median(r["phases"].get(p, 0.0) for r in runs), 3)
                       for p in phases}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SHARED / "sigma" / "regression_data")
    parser.add_argument("--rules", type=Path,
                        default=SHARED / "sigma" / "rules" / "windows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    package = compile_package()
    load_before = os.getloadavg()
    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="wk-bench-e2e-") as tmp:
        for n in range(args.repeat):
            cache = Path(tmp) / f"cache-{n}"
            cold.append(one_run(args.samples, args.rules, cache, Path(tmp)))
            warm.append(one_run(args.samples, args.rules, cache, Path(tmp)))
            print(f"run {n + 1}: cold {cold[-1]['total']:.2f}s "
                  f"(cpu {cold[-1]['total_cpu']:.2f}s), warm {warm[-1]['total']:.2f}s "
                  f"(cpu {warm[-1]['total_cpu']:.2f}s), load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
    floor = start_floor(args.repeat)
    result = {"benchmark": "e2e", "samples": str(args.samples), "rules": str(args.rules),
              "package": package,
              "repeat": args.repeat, "cold": medians(cold), "warm": medians(warm),
              "start": floor, "runs": {"cold": cold, "warm": warm},
              "records": cold[0]["records"], "rule_files": cold[0]["rule_cache"].get("files"),
              "findings": cold[0]["findings"],
              "goal_met": {"warm<=3s": medians(warm)["total"] <= 3.0,
                           "cold<=10s": medians(cold)["total"] <= 10.0},
              "load_average": {"before": [round(x, 2) for x in load_before],
                               "after": [round(x, 2) for x in os.getloadavg()]},
              "machine": machine()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for kind in ("cold", "warm"):
        m = result[kind]
        print(f"{kind}: ingest {m['ingest_wall']:.2f}s + detect {m['detect_wall']:.2f}s = "
              f"{m['total']:.2f}s (cpu {m['ingest_cpu']:.2f} + {m['detect_cpu']:.2f} = "
              f"{m['total_cpu']:.2f}s); detect phases {m['phases']}")
    print(f"start: {floor}; load average {result['load_average']}")


if __name__ == "__main__":
    main()
