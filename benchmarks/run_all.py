"""`make bench`: run every benchmark with --json and print their figures as Markdown.

    python benchmarks/run_all.py [--only simulate,ingest,sigma,analyze,cli_startup,e2e,…]
        [--out bench-data/results.json]

Each benchmark runs in its own process (so peak RSS is its own); the JSON documents are
collected into one file, and a summary table is printed for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "simulate": ["bench_simulate.py", "--users", "1000", "--days", "365", "--json"],
    "ingest": ["bench_ingest.py", "--users", "1000", "--days", "365", "--json"],
    "sigma": ["bench_sigma.py", "--unique-fields", "--json"],
    "analyze": ["bench_analyze.py", "--json"],
    "cli_startup": ["bench_cli_startup.py", "--json"],
    "timeline": ["bench_timeline.py", "--json"],
    "queue": ["bench_queue.py", "--json"],
    "case_open": ["bench_case_open.py", "--json"],
    "e2e": ["bench_e2e.py", "--json"],
    "evtx": ["bench_evtx.py", "--json"],
    "event_to_queue": ["bench_event_to_queue.py", "--json"],
    "rule_stats": ["bench_rule_stats.py", "--json"],
    "intake": ["bench_intake.py", "--json"],
    "http_floor": ["bench_http_floor.py", "--json"],
    "shifts": ["bench_shifts.py", "--days", "30", "--cases-per-day", "60", "--json"],
    "web": ["bench_web.py", "--browser", "demo-data/workspace", "--json"],
    "metrics": ["bench_metrics.py", "--json"],
    "replay": ["bench_replay.py", "--json"],
    "authorize": ["bench_authorize.py", "--json"],
    "violations": ["bench_violations.py", "--json"],
    "entitlements": ["bench_entitlements.py", "--json"],
    "by_source": ["bench_by_source.py", "--json"],
    "playbook_triggers": ["bench_playbook_triggers.py", "--json"],
}


def run(name: str) -> dict[str, object]:
    script, *args = BENCHMARKS[name]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        return {"benchmark": name, "error": done.stderr.strip().splitlines()[-1:]}
    text = done.stdout
    doc: dict[str, object] = json.loads(text[text.index("{"):])
    doc.setdefault("benchmark", name)
    doc["bench_seconds"] = round(time.perf_counter() - started, 1)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--out", type=Path, default=HERE.parent / "bench-data" / "results.json")
    args = parser.parse_args()
    results = []
    for name in args.only.split(","):
        print(f"running {name} …", file=sys.stderr, flush=True)
        results.append(run(name))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print("| benchmark | figures |\n|---|---|")
    for r in results:
        shown = {k: v for k, v in r.items() if k not in ("files", "machine", "benchmark")
                 and not isinstance(v, dict | list)}
        print(f"| {r['benchmark']} | " + ", ".join(f"{k} {v}" for k, v in shown.items()) + " |")
    machines = {str(r["machine"]) for r in results if "machine" in r}
    for m in sorted(machines):
        print(f"\nmachine: {m}")
    print(f"\nall results: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
