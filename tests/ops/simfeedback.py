"""A small simulated enterprise, ingested, detected and analysed once, copied per test:
the feedback end-to-end tests change its cases and watchlists."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

from watchkeeper.sim import SimConfig, simulate
from watchkeeper.workspace import Workspace

SIM = SimConfig(users=40, days=30, seed=11, profile="classic")
OWN = "watchkeeper"


def build(root: Path) -> Path:
    """Simulate, ingest, detect and analyse into `root`; the workspace's folder."""
    simulate(SIM, root / "sim")
    ws = Workspace.open(root / "ws")
    ws.ingest([root / "sim"])
    ws.detect()
    ws.analyze()
    ws.close_state()
    return root / "ws"


def copy(base: Path, dst: Path, settings: str | None = None) -> Workspace:
    """A copy of the analysed workspace, with `settings` replacing its [feedback] ones."""
    shutil.copytree(base, dst)
    if settings is not None:
        toml = dst / "watchkeeper.toml"
        text = toml.read_text()
        toml.write_text(text[:text.index("[feedback]")] + settings)
    return Workspace.open(dst, create=False)


def rule_days(ws: Workspace) -> dict[tuple[str, str], list[date]]:
    """Per (person, rule of ours), the days it flagged them, in order."""
    found = ws.lake.table("finding").to_pyarrow().to_pylist()
    days: dict[tuple[str, str], set[date]] = defaultdict(set)
    for f in found:
        if f["vendor"] == OWN and f["user"]:
            days[(f["user"], f["rule_id"])].add(f["time"].date())
    return {k: sorted(v) for k, v in days.items()}
