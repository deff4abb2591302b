"""Commit records: one small JSON file per commit, beside the data, to rebuild a lost
manifest from.

A commit writes ``lake/commits/<seq>-<txn>.json`` (durably: fsync, rename, fsync of the
folder) after its data files are in place and flushed, and before it replaces the
manifest. The record lists the files the commit added (with their row counts) and the
files it superseded (a derived table replaced whole). Folding the records in order gives
the manifest back. A record whose seq is above the manifest's belongs to a commit that
crashed before its manifest step: the next writer rolls it back (deletes it, and the
files it added are then a crashed writer's leftovers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchkeeper.errors import LakeError
from watchkeeper.lake.manifest import Commit, DataFile, Manifest, dump_json, write_atomically

FOLDER = "commits"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class CommitRecord:
    """What one commit changed: files added per table, files superseded per table."""

    seq: int
    txn: str
    at: str
    kind: str
    summary: dict[str, Any]
    added: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (path, rows)
    superseded: dict[str, list[str]] = field(default_factory=dict)

    @property
    def commit(self) -> Commit:
        return Commit(self.seq, self.txn, self.at, self.kind, self.summary)

    def to_json(self) -> bytes:
        doc = {"format": FORMAT_VERSION, "seq": self.seq, "txn": self.txn, "at": self.at,
               "kind": self.kind, "summary": self.summary,
               "added": {t: [{"path": p, "rows": n} for p, n in fs]
                         for t, fs in sorted(self.added.items())},
               "superseded": {t: ps for t, ps in sorted(self.superseded.items())}}
        return dump_json(doc)

    @staticmethod
    def load(path: Path) -> CommitRecord:
        return CommitRecord.load_json(path.read_bytes(), str(path))

    @staticmethod
    def load_json(data: bytes, where: str = "commit record") -> CommitRecord:
        try:
            doc = json.loads(data)
            if doc.get("format") != FORMAT_VERSION:
                raise ValueError(f"unsupported format {doc.get('format')!r}")
            return CommitRecord(
                seq=int(doc["seq"]), txn=str(doc["txn"]), at=str(doc["at"]),
                kind=str(doc["kind"]), summary=dict(doc["summary"]),
                added={t: [(str(f["path"]), int(f["rows"])) for f in fs]
                       for t, fs in doc["added"].items()},
                superseded={t: [str(p) for p in ps] for t, ps in doc["superseded"].items()})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LakeError(f"{where}: damaged commit record ({exc})") from exc


def folder(root: Path) -> Path:
    return root / FOLDER


def record_path(root: Path, seq: int, txn: str) -> Path:
    return folder(root) / f"{seq:08d}-{txn}.json"


def write(root: Path, record: CommitRecord) -> Path:
    """Write a record durably (the commit relies on it once the manifest names its seq)."""
    folder(root).mkdir(exist_ok=True)
    path = record_path(root, record.seq, record.txn)
    write_atomically(path, record.to_json())
    return path


def listing(root: Path) -> dict[int, Path]:
    """Record files by seq (names only, nothing read); temporary files are skipped."""
    base = folder(root)
    if not base.exists():
        return {}
    found: dict[int, Path] = {}
    for path in base.glob("*.json"):
        head = path.name.split("-", 1)[0]
        if head.isdigit():
            found[int(head)] = path
    return found


def txns(root: Path) -> dict[str, int]:
    """Commit seq per txn id, from the record file names."""
    return {p.stem.split("-", 1)[1]: seq for seq, p in listing(root).items() if "-" in p.stem}


def load_all(root: Path, after: int = 0) -> list[CommitRecord]:
    """Every record with seq above `after`, in seq order."""
    return [CommitRecord.load(p) for s, p in sorted(listing(root).items()) if s > after]


def clear_temporary(root: Path) -> None:
    """Remove half-written record files a crashed writer left (never complete records)."""
    base = folder(root)
    if base.exists():
        for path in base.glob(".*.tmp"):
            path.unlink(missing_ok=True)


def roll_back(root: Path, seq: int) -> list[Path]:
    """Delete the records of commits that crashed before their manifest step."""
    doomed = [p for s, p in sorted(listing(root).items()) if s > seq]
    for path in doomed:
        path.unlink()
    return doomed


def backfill(root: Path, manifest: Manifest) -> int:
    """Write a record for each manifest commit that has none (lakes written before
    records existed), so that the manifest can be rebuilt from records later."""
    have = listing(root)
    missing = [c for c in manifest.commits if c.seq not in have]
    for c in missing:
        added: dict[str, list[tuple[str, int]]] = {}
        for table, files in manifest.tables.items():
            mine = [(f.path, f.rows) for f in files if f.commit == c.seq]
            if mine:
                added[table] = mine
        write(root, CommitRecord(c.seq, c.txn, c.at, c.kind, c.summary, added))
    return len(missing)


@dataclass
class Folded:
    """A manifest rebuilt from records, and the seqs no record was found for."""

    manifest: Manifest
    gaps: list[int]


def fold(records: list[CommitRecord]) -> Folded:
    """The manifest that the records, applied in order, describe."""
    manifest = Manifest()
    gaps: list[int] = []
    for record in sorted(records, key=lambda r: r.seq):
        gaps += range(manifest.seq + 1, record.seq)
        apply(manifest, record)
    return Folded(manifest, gaps)


def apply(manifest: Manifest, record: CommitRecord) -> None:
    """Apply one commit's changes to a manifest."""
    for table, paths in record.superseded.items():
        gone = set(paths)
        manifest.tables[table] = [f for f in manifest.files(table) if f.path not in gone]
    for table, files in record.added.items():
        manifest.tables.setdefault(table, []).extend(
            DataFile(p, n, record.seq) for p, n in files)
    manifest.tables = {t: fs for t, fs in manifest.tables.items() if fs}
    manifest.seq = record.seq
    manifest.commits.append(record.commit)
