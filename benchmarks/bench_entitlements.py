"""Entitlement review and the transparency report: how long who-reaches-what, a review
campaign's start and a report take on a company-sized directory.

    python benchmarks/bench_entitlements.py [--people 5000] [--teams 60] [--assets 300]
        [--grants 200] [--decisions 100000] [--json]

A fresh SQLite workspace in a temporary folder: an HR feed of `--people` employees over
three regions, six roles and `--teams` teams (so many distinct attribute sets), a
catalogue of `--assets` stores (one in ten VIP), `--grants` grants made through the
facade, and `--decisions` logged decisions. Timed, each with its process CPU time:
`access_entitlements` (every policy entitlement of everyone, the grants, reach against
peers, unused grants), `access_review_start` (the same, stored as a campaign) and
`access_report` over the month of the decisions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_authorize import PURPOSES, REGIONS, ROLES, assets_csv
from bench_ingest import machine


def people_csv(path: Path, n: int, teams: int) -> list[str]:
    users = [f"U{i:05d}" for i in range(n)]
    with path.open("w") as fh:
        fh.write(
            "id,name,email,department,team,role,manager,region,country,hire_date,"
            "notice_date,end_date,watchlists\n"
        )
        for i, user in enumerate(users):
            region, role = REGIONS[i % 3], ROLES[i % len(ROLES)]
            left = ",2020-06-01,2020-06-30" if i % 97 == 0 else ",,"
            fh.write(
                f"{user},{user},{user}@corp.example,Ops,T{i % teams},{role},,{region},"
                f"XX,2019-01-01{left},\n"
            )
    return users


def timed(label: str, out: dict[str, Any], fn: Any) -> Any:
    started, cpu0 = time.perf_counter(), time.process_time()
    result = fn()
    out[f"{label}_seconds"] = round(time.perf_counter() - started, 2)
    out[f"{label}_cpu_seconds"] = round(time.process_time() - cpu0, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--teams", type=int, default=60)
    parser.add_argument("--assets", type=int, default=300)
    parser.add_argument("--grants", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from watchkeeper.access.decide import Query
    from watchkeeper.access.requests import RequestNew, parse_duration
    from watchkeeper.ops.period import Period
    from watchkeeper.workspace import Workspace

    out: dict[str, Any] = {
        "benchmark": "entitlements",
        "machine": machine(),
        "load_average": os.getloadavg()[0],
        **vars(args),
    }
    out.pop("json")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        ws = Workspace.open(root)
        users = people_csv(Path(tmp) / "hr.csv", args.people, args.teams)
        assets = assets_csv(Path(tmp) / "assets.csv", args.assets)
        ws.ingest([Path(tmp) / "hr.csv"], "hr")
        ws.ingest([Path(tmp) / "assets.csv"], "assets")
        rng = random.Random(7)
        approvers = [u for i, u in enumerate(users) if i % 97 and ROLES[i % 6] == "Manager"]
        staff = [u for i, u in enumerate(users) if i % 97]
        for _ in range(args.grants):
            who = rng.choice(staff)
            made = ws.access_request(
                RequestNew(
                    who,
                    rng.choice(("read", "export")),
                    rng.choice(assets),
                    "investigation",
                    "benchmark",
                    parse_duration("30d"),
                ),
                requester=who,
                actor="bench",
            )
            for approver in [a for a in approvers if a != who][: made.approvals_needed]:
                ws.access_approve(made.id, approver=approver, actor="bench")
        asked = [
            Query(
                rng.choice(users),
                rng.choice(("read", "read", "export")),
                rng.choice(assets),
                rng.choice(PURPOSES),
            )
            for _ in range(args.decisions)
        ]
        for i in range(0, len(asked), 1000):
            ws.authorize_batch(asked[i : i + 1000], caller="bench")
        ws.access_policies()
        view = timed("entitlements", out, ws.access_entitlements)
        out["entitlements"] = len(view.entitlements)
        out["outliers"] = sum(r.outlier for r in view.reach)
        out["unused_grants"] = len(view.unused)
        made = timed("review_start", out, lambda: ws.access_review_start("bench", actor="bench"))
        out["review_items"] = made.items
        today = ws.clock.now().strftime("%Y-%m")
        report = timed("report", out, lambda: ws.access_report(Period.parse(today)))
        out["report_pairs"] = len(report.pairs)
        ws.close_state()
        ws.lake.close()
    out["entitlements_per_cpu_s"] = round(
        out["entitlements"] / max(out["entitlements_cpu_seconds"], 1e-9)
    )
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
