"""Drop folders: new files in configured folders go into the lake through `ingest`.

Each run looks at every file under each folder (`[[scheduler.drop_folders]]`: a path and
the source kind, as for `watchkeeper ingest FORMAT`) and takes the ones it has not taken
before (`ingested_files` in the state store: path, size, modification time). A file
changed within the folder's ``settle`` time may still be being written and waits; hidden
files and ``*.tmp``/``*.part`` are never taken. The files of one folder go in one
`ingest` run (one commit, ingest's accounting per file). A file ingest refuses whole (not
in the folder's format; for ``auto``, not recognized) is recorded as refused with the
reason and not read again until it changes; the other files of the run go on.

A crash between the lake commit and the record re-reads those files at the next run:
their records are then counted as duplicates, never stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.config import DropFolder
from watchkeeper.errors import InputError
from watchkeeper.store import StateStore
from watchkeeper.store.models import IngestedFile

if TYPE_CHECKING:
    from watchkeeper.ingest import IngestReport
    from watchkeeper.workspace import Workspace

MAX_FILES = 1_000               # per folder and run; the rest wait for the next run
SKIPPED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
INGESTED, REFUSED = "ingested", "refused"


@dataclass
class DropReport:
    """One run over the drop folders: files ingested (with ingest's totals), files
    refused with their reasons, folders that are missing."""

    ingested: int = 0
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    commits: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def add(self, report: IngestReport) -> None:
        self.ingested += len(report.files)
        self.read += report.read
        self.accepted += report.accepted
        self.duplicates += report.duplicates
        self.quarantined += report.quarantined
        if report.commit is not None:
            self.commits.append(report.commit)


def folder_path(root: Path, folder: DropFolder) -> Path:
    return folder.path if folder.path.is_absolute() else root / folder.path


def new_files(state: StateStore, where: Path, settle: timedelta, now: datetime) -> list[Path]:
    """Files under `where` not taken in as they are now, settled, oldest first."""
    with state.session() as session:
        known = {r.path: (r.size, r.mtime_ns) for r in session.scalars(
            select(IngestedFile).where(IngestedFile.folder == str(where)))}
    found: list[tuple[int, Path]] = []
    cutoff = now - settle
    for path in where.rglob("*"):
        rel = path.relative_to(where)
        if any(part.startswith(".") for part in rel.parts) or \
                path.name.lower().endswith(SKIPPED_SUFFIXES) or not path.is_file():
            continue
        try:
            st = path.stat()
        except OSError:   # removed meanwhile
            continue
        if datetime.fromtimestamp(st.st_mtime, UTC) > cutoff:
            continue
        if known.get(str(path)) != (st.st_size, st.st_mtime_ns):
            found.append((st.st_mtime_ns, path))
    return [p for _, p in sorted(found)[:MAX_FILES]]


def take_in(workspace: Workspace, folders: list[DropFolder], now: datetime,
            wait: timedelta) -> DropReport:
    """One pass over every folder (see the module docstring)."""
    report = DropReport()
    for folder in folders:
        where = folder_path(workspace.root, folder).resolve()
        if not where.is_dir():
            report.missing.append(str(where))
            continue
        files = new_files(workspace.state, where, folder.settle, now)
        if files:
            _ingest_folder(workspace, folder, where, files, now, wait, report)
    return report


def _ingest_folder(workspace: Workspace, folder: DropFolder, where: Path, files: list[Path],
                   now: datetime, wait: timedelta, report: DropReport) -> None:
    mapping = None if folder.mapping is None else (
        folder.mapping if folder.mapping.is_absolute() else workspace.root / folder.mapping)
    refused: dict[Path, str] = {}
    left = list(files)
    while left:
        try:
            done = workspace.ingest(left, folder.format, mapping=mapping,
                                    wait=wait.total_seconds())
        except InputError as exc:
            bad = next((f for f in left if str(f) == exc.path), None)
            if bad is None:
                raise
            refused[bad] = exc.reason
            left.remove(bad)
            continue
        for skipped in done.skipped:
            refused[Path(skipped["path"])] = skipped["reason"]
        report.add(done)
        _record(workspace.state, where, done, now)
        break
    _record_refused(workspace.state, where, refused, now)
    report.refused += [f"{p.name}: {why}" for p, why in refused.items()]


def _record(state: StateStore, where: Path, done: IngestReport, now: datetime) -> None:
    with state.session() as session:
        for f in done.files:
            detail = (f"read {f.read} = accepted {f.accepted} + duplicates {f.duplicates} "
                      f"+ quarantined {f.quarantined}")
            _merge(session, Path(f.path), where, now, INGESTED, detail, done.commit)


def _record_refused(state: StateStore, where: Path, refused: dict[Path, str],
                    now: datetime) -> None:
    if not refused:
        return
    with state.session() as session:
        for path, why in refused.items():
            _merge(session, path, where, now, REFUSED, why, None)


def _merge(session: Session, path: Path, where: Path, now: datetime, outcome: str,
           detail: str, commit: int | None) -> None:
    """Record a file as it is now (one removed meanwhile is not recorded: it cannot come
    back unchanged)."""
    try:
        st = path.stat()
    except OSError:
        return
    session.merge(IngestedFile(path=str(path), folder=str(where), size=st.st_size,
                               mtime_ns=st.st_mtime_ns, seen_at=now, outcome=outcome,
                               detail=detail, commit=commit))


def summary(report: DropReport) -> str:
    """The run in one line."""
    parts = []
    if report.ingested:
        commits = ", ".join(f"#{c}" for c in report.commits) or "none: nothing new"
        parts.append(f"{report.ingested} file(s): read {report.read:,} = accepted "
                     f"{report.accepted:,} + duplicates {report.duplicates:,} + quarantined "
                     f"{report.quarantined:,} (commit {commits})")
    if report.refused:
        more = f" and {len(report.refused) - 1} more" if len(report.refused) > 1 else ""
        parts.append(f"refused {len(report.refused)}: {report.refused[0]}{more}")
    if report.missing:
        parts.append(f"no such folder: {', '.join(report.missing)}")
    return "; ".join(parts) or "no new files"
