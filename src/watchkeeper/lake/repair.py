"""`lake repair`: make the lake consistent again, without deleting anything of value.

Under the writer lock, repair
- rebuilds a missing manifest by folding the commit records in order (complete records are
  rolled forward); with the manifest present, it rolls back records of crashed commits
  as any writer does, and lists again committed files the manifest lost;
- moves every listed file that is unreadable, truncated, of another row count or schema
  to ``lake/damaged/`` (same relative path) and takes it out of the manifest with a commit
  of kind ``repair`` (so its record, too, says the file is gone); a listed file missing
  from disk is taken out the same way; ``damaged/repair-<time>.json`` reports the moves;
- deletes a crashed writer's leftovers; when the manifest had been lost, files with no
  commit record are moved to ``damaged/`` instead, since nothing proves them leftovers.

A second run finds nothing to do, and the result passes `check`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import LakeError
from watchkeeper.lake import records
from watchkeeper.lake.check import Issue, classify, listed_issues
from watchkeeper.lake.files import has_data, table_of
from watchkeeper.lake.manifest import DataFile, Manifest, write_atomically
from watchkeeper.lake.records import CommitRecord

if TYPE_CHECKING:
    from watchkeeper.lake.store import Lake

DAMAGED = "damaged"


@dataclass(frozen=True)
class Moved:
    """A file repair took out of the lake."""

    path: str
    to: str | None  # under lake/damaged/, or None when it was missing already
    reason: str


@dataclass(frozen=True)
class RepairReport:
    """What `repair` changed."""

    lake: str
    rebuilt: bool                  # the manifest was rebuilt from commit records
    seq: int
    commits: int
    moved: tuple[Moved, ...] = ()
    relisted: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # a crashed writer's leftovers, deleted
    rolled_back: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.rebuilt or self.moved or self.relisted or self.removed
                    or self.rolled_back)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def repair(lake: Lake, wait: float = 0.0, deep: bool = False) -> RepairReport:
    """Repair the lake (see the module docstring); waits up to `wait` s for a writer."""
    with lake.writer_lock(wait):
        shutil.rmtree(lake.root / "_staging", ignore_errors=True)
        records.clear_temporary(lake.root)
        stored = _stored_manifest(lake.root, lake.manifest_path)
        rolled: list[str] = []
        if stored is None:
            rebuilt = bool(records.listing(lake.root)) or has_data(lake.root)
            manifest = records.fold(records.load_all(lake.root)).manifest
        else:
            rebuilt, manifest = False, stored
            rolled = [str(p.relative_to(lake.root))
                      for p in records.roll_back(lake.root, manifest.seq)]
            records.backfill(lake.root, manifest)
        relisted = _relist(lake.root, manifest)
        moved = [_take_out(lake.root, manifest, issue)
                 for issue in listed_issues(lake.root, manifest, deep)]
        unlisted = classify(lake.root, manifest)
        removed: list[str] = []
        for rel in unlisted.leftover:
            if rebuilt:
                moved.append(_quarantine(lake.root, rel, "no commit record: a crashed "
                                         "writer's file, or one whose record is lost"))
            else:
                (lake.root / rel).unlink(missing_ok=True)
                removed.append(rel)
        lake.delete_superseded(unlisted.superseded)
        _commit(lake, manifest, moved, rebuilt or bool(relisted))
        _report(lake.root, moved)
    return RepairReport(str(lake.root), rebuilt, manifest.seq, len(manifest.commits),
                        tuple(moved), tuple(relisted), tuple(removed), tuple(rolled))


def _stored_manifest(root: Path, path: Path) -> Manifest | None:
    """The stored manifest; a damaged one is moved to damaged/ and counts as missing."""
    try:
        return Manifest.load(path) if path.exists() else None
    except LakeError:
        _quarantine(root, path.name, "damaged manifest")
        return None


def _relist(root: Path, manifest: Manifest) -> list[str]:
    """List again the committed files the manifest lost (in place, by their commit)."""
    lost = classify(root, manifest).lost
    for path, (seq, rows) in sorted(lost.items()):
        spec = table_of(path)
        if spec is not None:
            manifest.tables.setdefault(spec.name, []).append(DataFile(path, rows, seq))
    return sorted(lost)


def _take_out(root: Path, manifest: Manifest, issue: Issue) -> Moved:
    """Unlist a listed file that is not whole; move it to damaged/ if it exists."""
    rel = str(issue.path)  # listed_issues always names the file
    manifest.tables = {t: kept for t, files in manifest.tables.items()
                       if (kept := [f for f in files if f.path != rel])}
    if issue.kind == "missing":
        return Moved(rel, None, issue.detail)
    return _quarantine(root, rel, f"{issue.kind}: {issue.detail}")


def _quarantine(root: Path, rel: str, reason: str) -> Moved:
    target = root / DAMAGED / rel
    n = 0
    while target.exists():
        n += 1
        target = root / DAMAGED / f"{rel}.{n}"
    target.parent.mkdir(parents=True, exist_ok=True)
    (root / rel).replace(target)
    return Moved(rel, str(target.relative_to(root)), reason)


def _commit(lake: Lake, manifest: Manifest, moved: list[Moved], save: bool) -> None:
    """Record the taken-out files as a `repair` commit, then store the manifest."""
    gone: dict[str, list[str]] = {}
    for m in moved:
        spec = table_of(m.path)
        if spec is not None and m.path not in manifest.paths():
            gone.setdefault(spec.name, []).append(m.path)
    listed = {p for r in records.load_all(lake.root) for fs in r.added.values() for p, _ in fs}
    gone = {t: [p for p in ps if p in listed] for t, ps in gone.items()}
    gone = {t: ps for t, ps in gone.items() if ps}
    if gone:
        txn = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-repair"
        record = CommitRecord(manifest.seq + 1, txn, datetime.now(UTC).isoformat(), "repair",
                              {"kind": "repair", "removed": sorted(m.path for m in moved)},
                              superseded=gone)
        records.write(lake.root, record)
        manifest.commits.append(record.commit)
        manifest.seq = record.seq
    if gone or save or moved:
        manifest.save(lake.manifest_path)


def _report(root: Path, moved: list[Moved]) -> None:
    if not moved:
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = root / DAMAGED / f"repair-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps([asdict(m) for m in moved], indent=1).encode())
