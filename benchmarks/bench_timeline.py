"""Case timelines over 1,000 people x 365 days: `build_timeline` for random (person, day).

    python benchmarks/bench_timeline.py [--users 1000 --days 365 --seed 7] [--pairs 50]
                                        [--compare 10] [--json]

Simulates and ingests the enterprise (the folders bench_ingest.py and bench_analyze.py
use, reused when present), then opens the lake once and times `build_timeline` for
`--pairs` random (person, day) pairs, each with the person's own machine, over
`window_around` an alert time on that day (24 h either side: 48 h on three UTC days).
Reports the first (cold: Parquet footers not yet cached) and p50 / p95 of the rest, the
files each class reads, and, for `--compare` pairs, the same reads through `Lake.table`
with a ``day`` filter instead of `Lake.table_days`. Goal: opening a case with its
timeline p95 <= 1 s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import time
from typing import Any

from bench_analyze import enterprise_arguments, enterprise_name, prepared_workspace
from bench_ingest import machine
from watchkeeper.cases.timeline import CLASSES, WINDOWS, Window, build_timeline, window_around
from watchkeeper.lake import Lake


def pairs(lake: Lake, days: int, count: int, seed: int) -> list[tuple[str, str, dt.datetime]]:
    """(person, their machine, an alert time) drawn at random, inside the simulated span."""
    devices = lake.table("devices")
    owned = devices.filter(devices.owner.notnull(), ~devices.shared.fill_null(False))
    rows = sorted((r["owner"], r["host"]) for r in owned.to_pyarrow().to_pylist())
    auth = lake.table("authentication")
    first = auth.time.min().to_pyarrow().as_py()
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        user, host = rng.choice(rows)
        when = first + dt.timedelta(days=rng.randrange(1, days - 1),
                                    seconds=rng.randrange(8 * 3600, 18 * 3600))
        out.append((user, host, when))
    return out


def files_read(lake: Lake, window: Window) -> dict[str, int]:
    """Files per class a timeline over `window` opens (those of the window's days)."""
    manifest = lake.manifest()
    days = {f"day={window.start.date() + dt.timedelta(days=n)}"
            for n in range((window.end.date() - window.start.date()).days + 1)}
    out = {}
    for cls in CLASSES:
        name = "raw/windows" if cls == WINDOWS else f"events/{cls}"
        listed = manifest.files(name)
        out[cls] = sum(1 for f in listed if f.path.split("/")[-2] in days)
        out[f"{cls}_all"] = len(listed)
    return out


def via_table(lake: Lake, user: str, host: str, window: Window) -> int:
    """The same reads through the whole-table views with a ``day`` filter (comparison)."""
    found = 0
    for cls in CLASSES:
        t = lake.table("raw/windows" if cls == WINDOWS else cls)
        t = t.filter(t.day.between(window.start.date(), window.end.date()),
                     t.time.between(window.start, window.end),
                     t.user.isin([user]) | t.host.isin([host]))
        found += len(t.to_pyarrow())
    return found


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure(lake: Lake, drawn: list[tuple[str, str, dt.datetime]],
            compare: int) -> dict[str, Any]:
    seconds, cpu, events = [], [], []
    for user, host, when in drawn:
        w = window_around([when])
        c0 = time.process_time()
        s, tl = timed(lambda u=user, h=host, w=w: build_timeline(lake, [u], [h], w.start,
                                                                 w.end, ()))
        cpu.append(time.process_time() - c0)
        seconds.append(s)
        events.append(tl.total)
    table_s = []
    for user, host, when in drawn[:compare]:
        w = window_around([when])
        table_s.append(timed(lambda u=user, h=host, w=w: via_table(lake, u, h, w))[0])
    rest = sorted(seconds[1:]) or seconds
    return {
        "first_s": round(seconds[0], 3), "p50_s": round(statistics.median(rest), 3),
        "p95_s": round(rest[min(len(rest) - 1, round(0.95 * (len(rest) - 1)))], 3),
        "max_s": round(max(rest), 3),
        "cpu_p50_s": round(statistics.median(cpu[1:] or cpu), 3),
        "events_median": statistics.median(events),
        "events_max": max(events),
        "files": files_read(lake, window_around([drawn[0][2]])),
        "table_filter_p50_s": round(statistics.median(table_s[1:] or table_s), 3)
        if table_s else None,
    }


def main() -> None:
    parser = enterprise_arguments(__doc__)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--compare", type=int, default=10)
    args = parser.parse_args()
    workspace = prepared_workspace(args)
    lake = Lake(workspace / "lake")
    drawn = pairs(lake, args.days, args.pairs, args.seed)
    result = {"benchmark": "timeline", "users": args.users, "days": args.days,
              "seed": args.seed, "pairs": args.pairs, **measure(lake, drawn, args.compare),
              "load": [round(x, 2) for x in os.getloadavg()], "machine": machine()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    files = result["files"]
    print(f"timeline {enterprise_name(args)}: {args.pairs} (person, day) pairs, 48 h windows")
    print(f"  machine      {result['machine']}, load {result['load']}")
    print(f"  first (cold) {result['first_s']:6.3f} s")
    print(f"  p50 / p95    {result['p50_s']:6.3f} / {result['p95_s']:.3f} s  (goal p95 <= 1 s), "
          f"cpu p50 {result['cpu_p50_s']:.3f} s")
    print(f"  events       median {result['events_median']}, max {result['events_max']}")
    print("  files read   " + ", ".join(f"{c} {files[c]}/{files[c + '_all']}"
                                        for c in CLASSES))
    if result["table_filter_p50_s"] is not None:
        print(f"  via Lake.table + day filter: p50 {result['table_filter_p50_s']:.3f} s")


if __name__ == "__main__":
    main()
