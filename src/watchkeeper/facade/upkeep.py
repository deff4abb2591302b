"""The workspace's lake upkeep jobs: the quarantine, lake check and repair."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.facade.base import WorkspaceBase
from watchkeeper.lake import quarantine
from watchkeeper.lake.quarantine import (
    ExportReport,
    PurgeReport,
    QuarantineFilter,
    QuarantineList,
    QuarantineRow,
)

if TYPE_CHECKING:


    from watchkeeper.lake.check import CheckReport
    from watchkeeper.lake.repair import RepairReport



class LakeJobs(WorkspaceBase):
    """The workspace's lake upkeep jobs: the quarantine, lake check and repair."""

    # -- quarantine ----------------------------------------------------------------------

    def quarantine_list(self, file: str | None = None, reason: str | None = None,
                        limit: int = quarantine.DEFAULT_LIMIT) -> QuarantineList:
        """Quarantined records whose path contains `file` and reason contains `reason`."""
        return quarantine.list_rows(self.lake, QuarantineFilter(file, reason), limit)

    def quarantine_show(self, ident: str) -> QuarantineRow:
        """One quarantined record by id, or by a prefix of the id that is unique."""
        return quarantine.find(self.lake, ident)

    def quarantine_export(self, path: Path, *, file: str | None = None,
                          reason: str | None = None, fmt: str = "jsonl") -> ExportReport:
        """Write the selected records to `path` for fixing and re-ingest (created 0600)."""
        return quarantine.export(self.lake, QuarantineFilter(file, reason), path, fmt)

    def quarantine_purge(self, before: date, *, dry_run: bool = False) -> PurgeReport:
        """Remove the records recorded in commits before `before`, in one commit."""
        return quarantine.purge(self.lake, before, dry_run=dry_run)

    # -- lake upkeep -----------------------------------------------------------------------

    def lake_check(self, *, deep: bool = False) -> CheckReport:
        """Check the lake's files against its manifest (`deep`: decode every page too)."""
        from watchkeeper.lake.check import check
        return check(self.lake, deep)

    def lake_repair(self, *, wait: float = 0.0, deep: bool = False) -> RepairReport:
        """Rebuild a lost manifest, move damaged files to lake/damaged/, drop leftovers."""
        from watchkeeper.lake.repair import repair
        return repair(self.lake, wait, deep)

    def notices(self) -> list[str]:
        """One line per thing the last reads worked around (a damaged file they skipped)."""
        return self.lake.notices()
