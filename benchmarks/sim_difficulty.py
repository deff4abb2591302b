"""How hard the simulator's data is: per-feature person-level ROC AUC (docs/simulator.md).

    python benchmarks/sim_difficulty.py [--users 1000 --days 365] [--seeds 7,4321]
        [--profile realistic|classic] [--keep DIR] [--json]

Simulates each seed (in a temporary folder unless --keep), computes the simple per-person
features of `watchkeeper.sim.difficulty` straight from the files and prints, per seed,
each feature's AUC over all insiders and per scenario, and any insider whose own
scenario's trace is missing. Exit status 1 when a feature's AUC over all insiders is
above --limit (0.75) or a trace is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def main() -> int:
    sys.path.insert(0, str(SRC))
    from watchkeeper.sim import SimConfig, simulate
    from watchkeeper.sim.difficulty import measure

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seeds", default="7")
    parser.add_argument("--profile", default="realistic", choices=("realistic", "classic"))
    parser.add_argument("--limit", type=float, default=0.75)
    parser.add_argument("--keep", type=Path, default=None, help="simulate into DIR/seed-N")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    failed = False
    reports = []
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory(prefix="wk-difficulty-") as tmp:
            out = (args.keep or Path(tmp)) / f"seed-{seed}"
            simulate(SimConfig(users=args.users, days=args.days, seed=seed,
                               profile=args.profile), out)
            report = measure(out)
        name, worst = report.worst()
        failed |= worst > args.limit or bool(report.missing_signals)
        reports.append(report)
        if not args.json:
            print(f"## seed {seed}, profile {args.profile}, {args.users} people x {args.days} "
                  f"days, {len(report.insiders)} insiders\n")
            print(report.markdown())
            print(f"highest over all insiders: {name} {worst:.3f}; insiders without their "
                  f"scenario's trace: {report.missing_signals or 'none'}\n")
    if args.json:
        print(json.dumps([{"seed": r.seed, "profile": r.profile, "people": r.people,
                           "insiders": r.insiders, "auc": r.auc, "per_scenario": r.per_scenario,
                           "missing_signals": r.missing_signals} for r in reports], indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
