"""Time `analyze_behaviour` stage by stage on an ingested workspace; print seconds and RSS.

    watchkeeper simulate --users 1000 --days 365 --seed 5 --out /tmp/big
    watchkeeper -w /tmp/bigws ingest auto /tmp/big
    python benchmarks/bench_analyze_features.py /tmp/bigws [--answers /tmp/big/answers/insiders.csv]
        [--since 2025-12-31]

With `--answers`, prints the person-level AUC of each score (max over a person's days)
and the rank of every insider by scenario.
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from watchkeeper.ueba import analyze_behaviour
from watchkeeper.workspace import Workspace

SCORES = ("score", "robust", "model", "week_score")


def best_per_person(a: pa.Table, col: str) -> dict[str, float]:
    best: dict[str, float] = {}
    for u, s in zip(a["user"].to_pylist(), a[col].to_numpy().tolist(), strict=True):
        best[u] = max(best.get(u, -np.inf), s)
    return best


def person_auc(best: dict[str, float], insiders: set[str]) -> float:
    pos = np.array([v for u, v in best.items() if u in insiders])
    neg = np.array([v for u, v in best.items() if u not in insiders])
    if not pos.size or not neg.size:
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (pos.size * neg.size))


def ranks(best: dict[str, float], scenario: dict[str, str]) -> str:
    order = sorted(best, key=lambda u: -best[u])
    place = {u: i + 1 for i, u in enumerate(order)}
    by: dict[str, list[int]] = {}
    for u, s in scenario.items():
        by.setdefault(s, []).append(place.get(u, -1))
    return "  ".join(f"s{s}:{sorted(v)}" for s, v in sorted(by.items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--answers", type=Path)
    ap.add_argument("--since", type=date.fromisoformat)
    args = ap.parse_args()
    lake = Workspace.open(args.workspace).lake
    events = sum(lake.rows(n) for n in ("authentication", "peripheral", "file", "email",
                                        "web", "datastore"))
    start = time.perf_counter()
    result = analyze_behaviour(lake, since=args.since)
    total = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"events {events:,}  person-days {result.features.num_rows:,}  "
          f"features {result.features.num_columns - 2}")
    for stage, seconds in result.timings.items():
        print(f"{stage:>14}: {seconds:7.1f} s")
    print(f"{'total':>14}: {total:7.1f} s   peak RSS {rss:.2f} GB")
    if args.answers:
        scenario = {r["user"]: r["scenario"] for r in csv.DictReader(args.answers.open())}
        for col in SCORES:
            best = best_per_person(result.anomalies, col)
            print(f"AUC {col:>10} {person_auc(best, set(scenario)):.3f}  {ranks(best, scenario)}")


if __name__ == "__main__":
    main()
