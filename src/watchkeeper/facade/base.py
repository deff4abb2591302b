"""What every part of the `Workspace` facade may use: its folder, settings and lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.config import Settings
from watchkeeper.lake import Lake
from watchkeeper.ops.clock import Clock, SystemClock

if TYPE_CHECKING:
    from watchkeeper.analysis import AnalysisStore
    from watchkeeper.risk.explain import Explanation

KEYS_DIR = "keys"   # the workspace's secrets, 0600 files (security.keys writes them)


class WorkspaceBase:
    """The attributes `watchkeeper.workspace.Workspace` sets; the parts build on them."""

    root: Path
    settings: Settings
    lake: Lake
    clock: Clock = SystemClock()   # what time it is for case and operations jobs (tests fix it)

    @property
    def analysis(self) -> AnalysisStore:
        from watchkeeper.analysis import AnalysisStore
        return AnalysisStore(self.root / "analytics")

    if TYPE_CHECKING:  # defined by Workspace itself
        def risk_explain(self, user: str, day: date | None = None) -> Explanation: ...
