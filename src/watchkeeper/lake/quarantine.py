"""Working with the quarantine: list, show, export and purge rejected records.

Every quarantine row names its input by absolute path and line, says why it was
rejected and keeps the raw record (cut at 4 KB with a marker). Each commit that
quarantined rows wrote them to one file of the ``quarantine`` table, so purging rows
"recorded before a day" takes whole files out of the lake, in one commit of its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from watchkeeper.errors import ConfigError, NotFoundError, OutputError
from watchkeeper.lake.manifest import DataFile, Manifest
from watchkeeper.private import open_private

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from watchkeeper.lake.store import Lake

TABLE = "quarantine"
DEFAULT_LIMIT = 50
SHORT_ID = 12  # "q:" and ten hex digits: what `list` shows and `show` accepts
ID_PREFIX = "q:"
EXPORT_FORMATS = ("jsonl", "raw")
BATCH_ROWS = 10_000


@dataclass(frozen=True)
class QuarantineFilter:
    """Which rows: `file` is part of the input's path, `reason` part of the reason (any
    case); None selects every row."""

    file: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class QuarantineRow:
    """One rejected input record."""

    id: str
    source: str
    file: str      # the input's absolute path
    line: int | None
    reason: str
    raw: str
    commit: int    # the commit that recorded it
    recorded: str  # when that commit became visible (ISO 8601, UTC)

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID]


@dataclass(frozen=True)
class QuarantineList:
    """The first `limit` selected rows (by file and line), and how many were selected."""

    rows: tuple[QuarantineRow, ...]
    total: int


@dataclass(frozen=True)
class ExportReport:
    path: str
    format: str
    rows: int
    files: int  # distinct input files among the rows


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, for a dry run, would remove)."""

    before: date
    rows: int
    commits: tuple[int, ...]  # the commits whose quarantine rows went
    files: tuple[str, ...] = field(default=())  # lake files removed
    commit: int | None = None  # the purge's own commit; None when nothing was removed
    dry_run: bool = False


# -- reading -------------------------------------------------------------------------


def _selected(lake: Lake, flt: QuarantineFilter) -> Table | None:
    if lake.rows(TABLE) == 0:
        return None
    t = lake.table(TABLE)
    if flt.file:
        t = t.filter(t.file.contains(flt.file))
    if flt.reason:
        t = t.filter(t.reason.lower().contains(flt.reason.lower()))
    return t.order_by([t.file, t.line, t.quarantine_id])


def _commit_times(manifest: Manifest) -> dict[int, str]:
    return {c.seq: c.at for c in manifest.commits}


def _row(doc: dict[str, Any], times: dict[int, str]) -> QuarantineRow:
    line = doc["line"]
    return QuarantineRow(
        id=str(doc["quarantine_id"]), source=str(doc["source"] or ""),
        file=str(doc["file"] or ""), line=None if line is None else int(line),
        reason=str(doc["reason"] or ""), raw=str(doc["raw"] or ""),
        commit=int(doc["commit"]), recorded=times.get(int(doc["commit"]), ""))


def list_rows(lake: Lake, flt: QuarantineFilter, limit: int = DEFAULT_LIMIT) -> QuarantineList:
    """The selected rows, at most `limit` of them, ordered by file and line."""
    if limit < 1:
        raise ConfigError(f"--limit {limit}: must be at least 1")
    t = _selected(lake, flt)
    if t is None:
        return QuarantineList((), 0)
    times = _commit_times(lake.manifest())
    total = int(t.count().execute())
    rows = t.limit(limit).to_pyarrow().to_pylist()
    return QuarantineList(tuple(_row(r, times) for r in rows), total)


def find(lake: Lake, ident: str) -> QuarantineRow:
    """The row whose id is `ident` or starts with it (the ``q:`` may be left out)."""
    prefix = ident.strip()
    if not prefix.startswith(ID_PREFIX):
        prefix = ID_PREFIX + prefix
    if prefix == ID_PREFIX:
        raise NotFoundError("quarantine id: empty (see `watchkeeper quarantine list`)")
    t = _selected(lake, QuarantineFilter())
    hits = [] if t is None else (
        t.filter(t.quarantine_id.startswith(prefix)).limit(2).to_pyarrow().to_pylist())
    if not hits:
        raise NotFoundError(f"quarantine id {ident!r}: no such record "
                            "(see `watchkeeper quarantine list`)")
    if len(hits) > 1:
        raise NotFoundError(f"quarantine id {ident!r}: matches more than one record; "
                            "give more of the id")
    return _row(hits[0], _commit_times(lake.manifest()))


# -- export --------------------------------------------------------------------------


def export(lake: Lake, flt: QuarantineFilter, path: Path, fmt: str = "jsonl") -> ExportReport:
    """Write the selected rows to `path` (created 0600, replaced whole): ``jsonl`` one JSON
    object per row, ``raw`` the raw records of one input file, in line order."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format {fmt!r}: unknown (known: {', '.join(EXPORT_FORMATS)})")
    t = _selected(lake, flt)
    files = 0 if t is None else int(t.file.nunique().execute())
    if fmt == "raw" and files > 1:
        raise ConfigError(f"--format raw: the selected rows come from {files} input files; "
                          "select one with --file")
    times = _commit_times(lake.manifest())
    rows = _write(path, _lines(lake, t, times, fmt))
    return ExportReport(str(path), fmt, rows, files)


def _batches(lake: Lake, t: Table) -> Iterator[pa.RecordBatch]:
    """The rows of `t` in order, a batch at a time (a quarantine may be large). Ibis's
    own batch reader does not work with the DuckDB release we use, so on DuckDB the
    query Ibis compiles is streamed by DuckDB itself."""
    backend = lake.ibis()
    if lake.engine != "duckdb":
        yield from t.to_pyarrow().to_batches(BATCH_ROWS)
        return
    import ibis

    reader = backend.con.sql(str(ibis.to_sql(t, dialect="duckdb"))).to_arrow_reader(BATCH_ROWS)
    yield from reader


def _lines(lake: Lake, t: Table | None, times: dict[int, str], fmt: str) -> Iterator[bytes]:
    if t is None:
        return
    for batch in _batches(lake, t):
        for doc in batch.to_pylist():
            row = _row(doc, times)
            if fmt == "raw":
                yield row.raw.encode("utf-8", "replace") + b"\n"
            else:
                yield json.dumps(_record(row), ensure_ascii=False).encode("utf-8",
                                                                         "replace") + b"\n"


def _record(row: QuarantineRow) -> dict[str, Any]:
    return {"id": row.id, "source": row.source, "file": row.file, "line": row.line,
            "reason": row.reason, "raw": row.raw, "commit": row.commit,
            "recorded": row.recorded}


def _write(path: Path, lines: Iterator[bytes]) -> int:
    """Write lines to a private temporary file, then put it in place; nothing is left
    behind on failure. Returns the number of lines."""
    tmp, fd = open_private(path)
    count = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for line in lines:
                fh.write(line)
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc.strerror or type(exc).__name__) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


# -- purge ---------------------------------------------------------------------------


def _purgeable(manifest: Manifest, before: date) -> list[DataFile]:
    """Quarantine files written by commits that became visible before `before` (UTC)."""
    cutoff = datetime.combine(before, time(0), UTC)
    old = {c.seq for c in manifest.commits if datetime.fromisoformat(c.at) < cutoff}
    return [f for f in manifest.files(TABLE) if f.commit in old]


def purge(lake: Lake, before: date, *, dry_run: bool = False) -> PurgeReport:
    """Remove every quarantine row recorded in a commit before `before`, in one commit
    whose summary lists what it removed. A dry run only says what would go."""
    if dry_run:
        gone = _purgeable(lake.manifest(), before)
        return PurgeReport(before, sum(f.rows for f in gone),
                           tuple(sorted({f.commit for f in gone})),
                           tuple(f.path for f in gone), None, dry_run=True)
    with lake.transaction("quarantine-purge") as txn:
        gone = _purgeable(lake.manifest(), before)  # again, now that we hold the lock
        report = PurgeReport(before, sum(f.rows for f in gone),
                             tuple(sorted({f.commit for f in gone})),
                             tuple(f.path for f in gone))
        if not gone:
            return report
        txn.remove(TABLE, list(report.files))
        result = txn.commit({"kind": "quarantine-purge", "before": before.isoformat(),
                             "rows": report.rows, "commits": list(report.commits),
                             "files": list(report.files)})
    return PurgeReport(report.before, report.rows, report.commits, report.files, result.seq)
