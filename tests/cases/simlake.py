"""A small simulated enterprise for case tests, and its answer key event by event."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.sim import SimConfig, simulate
from watchkeeper.workspace import Workspace

SIM = SimConfig(users=100, days=45, seed=11, profile="classic")  # every scenario at least once


@dataclass(frozen=True)
class KeyEvent:
    """One event of the answer key: which insider, its lake event id, when, and the
    account it was done under (a supervisor's, when the insider logged on as them)."""

    user: str
    scenario: str
    event_id: str
    time: dt.datetime
    actor: str


@dataclass(frozen=True)
class SimCase:
    ws: Workspace
    key: tuple[KeyEvent, ...]


def _time(text: str) -> dt.datetime:
    for fmt in ("%m/%d/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise ValueError(text)


def read_key(root: Path) -> tuple[KeyEvent, ...]:
    """Every answer-key event (``<type>,<id>,<time>,<user>,…`` lines) of the run."""
    out = []
    with (root / "answers" / "insiders.csv").open(newline="", encoding="utf-8") as fh:
        incidents = list(csv.DictReader(fh))
    for inc in incidents:
        folder = root / "answers" / f"{inc['dataset']}-{inc['scenario']}"
        for line in (folder / inc["details"]).read_text(encoding="utf-8").splitlines():
            fields = next(csv.reader([line]))
            out.append(KeyEvent(inc["user"], inc["scenario"], fields[1], _time(fields[2]),
                                fields[3]))
    return tuple(out)


def build(root: Path) -> SimCase:
    """Simulate, ingest, detect and analyse into `root`."""
    simulate(SIM, root / "sim")
    ws = Workspace.open(root / "ws")
    ws.ingest([root / "sim"])
    ws.detect()
    ws.analyze()
    return SimCase(ws, read_key(root / "sim"))
