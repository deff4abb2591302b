"""The lake's manifest: the one file that says which Parquet files are visible.

A file is part of the lake only once the manifest lists it. The manifest is replaced in
one step (write a temporary file, fsync, rename), so a batch becomes visible whole or not
at all; files a crashed writer left behind are unlisted and removed by the next writer.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchkeeper.errors import LakeError

FORMAT_VERSION = 1


@dataclass(frozen=True)
class DataFile:
    """One visible Parquet file, relative to the lake root."""

    path: str
    rows: int
    commit: int


@dataclass(frozen=True)
class Commit:
    """One transaction that became visible."""

    seq: int
    txn: str
    at: str
    kind: str
    summary: dict[str, Any]


@dataclass
class Manifest:
    """Visible files per table, and the commits that added them."""

    seq: int = 0
    tables: dict[str, list[DataFile]] = field(default_factory=dict)
    commits: list[Commit] = field(default_factory=list)

    def files(self, table: str) -> list[DataFile]:
        return self.tables.get(table, [])

    def paths(self) -> set[str]:
        return {f.path for files in self.tables.values() for f in files}

    def rows(self, table: str) -> int:
        return sum(f.rows for f in self.files(table))

    @staticmethod
    def load(path: Path) -> Manifest:
        if not path.exists():
            return Manifest()
        try:
            doc = json.loads(path.read_text("utf-8"))
            if doc.get("format") != FORMAT_VERSION:
                raise LakeError(f"{path}: unsupported manifest format {doc.get('format')!r}")
            return Manifest(
                seq=int(doc["seq"]),
                tables={t: [DataFile(**f) for f in fs] for t, fs in doc["tables"].items()},
                commits=[Commit(**c) for c in doc["commits"]],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LakeError(f"{path}: damaged manifest ({exc})") from exc

    def save(self, path: Path) -> None:
        doc = {
            "format": FORMAT_VERSION,
            "seq": self.seq,
            "tables": {t: [{"path": f.path, "rows": f.rows, "commit": f.commit} for f in fs]
                       for t, fs in sorted(self.tables.items())},
            "commits": [{"seq": c.seq, "txn": c.txn, "at": c.at, "kind": c.kind,
                         "summary": c.summary} for c in self.commits],
        }
        write_atomically(path, dump_json(doc))


def dump_json(doc: dict[str, Any]) -> bytes:
    """A manifest or commit record as JSON: one line, keys sorted. (An indented dump runs
    Python's pure-Python encoder: a commit of a 20,000-file ingest lists every file.)"""
    return json.dumps(doc, sort_keys=True).encode()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
