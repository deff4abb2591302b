"""Time `analyze_behaviour` stage by stage on an ingested workspace; print seconds and RSS.

    watchkeeper simulate --users 1000 --days 365 --seed 5 --out /tmp/big
    watchkeeper -w /tmp/bigws ingest auto /tmp/big
    python benchmarks/bench_analyze_features.py /tmp/bigws [--answers /tmp/big/answers/insiders.csv]
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from pathlib import Path

import numpy as np

from watchkeeper.ueba import analyze_behaviour
from watchkeeper.workspace import Workspace


def person_auc(users: list[str], scores: np.ndarray, insiders: set[str]) -> float:
    best: dict[str, float] = {}
    for u, s in zip(users, scores.tolist(), strict=True):
        best[u] = max(best.get(u, 0.0), s)
    pos = [v for u, v in best.items() if u in insiders]
    neg = [v for u, v in best.items() if u not in insiders]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--answers", type=Path)
    args = ap.parse_args()
    lake = Workspace.open(args.workspace).lake
    events = sum(lake.rows(n) for n in ("authentication", "peripheral", "file", "email",
                                        "web", "datastore"))
    start = time.perf_counter()
    result = analyze_behaviour(lake)
    total = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"events {events:,}  person-days {result.features.num_rows:,}  "
          f"features {result.features.num_columns - 2}")
    for stage, seconds in result.timings.items():
        print(f"{stage:>14}: {seconds:7.1f} s")
    print(f"{'total':>14}: {total:7.1f} s   peak RSS {rss:.2f} GB")
    if args.answers:
        insiders = {r["user"] for r in csv.DictReader(args.answers.open())}
        a = result.anomalies
        for col in ("score", "robust", "model"):
            auc = person_auc(a["user"].to_pylist(), a[col].to_numpy(), insiders)
            print(f"person-level AUC ({col}, max over days): {auc:.3f}")


if __name__ == "__main__":
    main()
