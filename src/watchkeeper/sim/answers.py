"""The answer key in CERT's `answers/` layout: insiders.csv, scenarios.txt, observables."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from watchkeeper.sim.clock import format_cert
from watchkeeper.sim.incidents import Incident
from watchkeeper.sim.world import World
from watchkeeper.sim.writer import Observed

SCENARIO_TEXT: dict[int, str] = {
    1: "User who did not previously use removable drives or work after hours begins logging "
       "in after hours, using a removable drive, and uploading data to a leak site "
       "(wikileaks.org). Leaves the organization shortly thereafter.",
    2: "User begins surfing job websites and soliciting employment from a competitor. Before "
       "leaving the company, they use a thumb drive (at markedly higher rates than their "
       "previous activity) to steal data.",
    3: "System administrator becomes disgruntled. Downloads a keylogger and uses a thumb "
       "drive to transfer it to their supervisor's machine. The next day, uses the collected "
       "keylogs to log in as the supervisor and send out an alarming mass email, causing "
       "panic in the organization. Leaves the organization immediately.",
    4: "A user logs into another user's machine and searches for interesting files, emailing "
       "them to their home (personal) email. This behavior becomes increasingly frequent "
       "over a three month period.",
    5: "A member of a group decimated by layoffs uploads documents to cloud storage "
       "(Dropbox-like), planning to use them for personal gain.",
    6: "A user bulk-exports customer user records from another region's data store, without "
       "a ticket (for example a US analyst exporting user_profiles_eu).",
    7: "A privileged employee (system administrator or data engineer) reads customer user "
       "records without a ticket, more often week after week.",
    8: "A departing employee, whose notice is recorded in the HR feed, moves documents to "
       "personal cloud storage or personal email in the final weeks before their end date.",
    9: "A departing employee looks up customer user records as their work allows and pastes "
       "tables of them into a generative-AI assistant under a personal account, on a few "
       "days of their notice period.",
}


def dataset_name(seed: int) -> str:
    return f"sim-{seed}"


def write_answers(out: Path, seed: int, world: World, incidents: list[Incident],
                  found: list[Observed],
                  offered: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
                  ) -> tuple[dict[str, int], int]:
    """Write the key; incidents whose events all fell outside the run are left out."""
    root = out / "answers"
    root.mkdir(parents=True, exist_ok=True)
    by_tag: dict[int, list[Observed]] = {}
    for item in sorted(found, key=lambda o: (o.tag, o.ts, o.line.split(",", 1)[0], o.order)):
        by_tag.setdefault(item.tag, []).append(item)
    files: dict[str, int] = {}
    rows = []
    name = dataset_name(seed)
    for inc in incidents:
        events = by_tag.get(inc.tag)
        if not events:
            continue
        user = world.org.people[inc.person].user_id
        details = f"{name}-{inc.scenario}-{user}.csv"
        rel = f"answers/{name}-{inc.scenario}/{details}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("".join(e.line + "\n" for e in events), encoding="utf-8")
        files[rel] = len(events)
        stamps = format_cert(np.array([events[0].ts, events[-1].ts], dtype=np.int64))
        rows.append([name, inc.scenario, details, user, stamps[0].as_py(), stamps[1].as_py()])
    with (root / "insiders.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["dataset", "scenario", "details", "user", "start", "end"])
        writer.writerows(rows)
    files["answers/insiders.csv"] = len(rows)
    text = "".join(f"{n}. {SCENARIO_TEXT[n]}\n\n" for n in offered)
    (root / "scenarios.txt").write_text(text, encoding="utf-8")
    files["answers/scenarios.txt"] = len(offered)
    return files, len(rows)
