"""Write transactions: stage rows, then deduplicate and publish them in one manifest step.

Rows are staged under ``_staging/<txn>/`` as Parquet, event tables already partitioned by
day, with the bookkeeping column ``_file`` (which input file they came from) and, from
DuckDB-backed sources, ``_problem`` (a reason found after parsing: such rows are dropped)
and ``_key`` (how the source finds a problem row again). `watchkeeper.lake.publish` drops
problem rows and duplicates; the surviving files are renamed into place, everything is
flushed to disk, the commit's record (`watchkeeper.lake.records`) is written, and the
manifest is replaced: until that last step nothing of the transaction is visible, and
after it all of it is.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.errors import LakeError
from watchkeeper.lake import records
from watchkeeper.lake.daysplit import DAY, DaySplitWriter, write_by_day
from watchkeeper.lake.faults import checkpoint
from watchkeeper.lake.manifest import DataFile, Manifest
from watchkeeper.lake.publish import (
    Published,
    first_rows,
    publish_events,
    publish_rows,
    publish_small,
    quote,
)
from watchkeeper.lake.records import CommitRecord
from watchkeeper.lake.tables import TableSpec, WriteMode, table_spec

if TYPE_CHECKING:
    from watchkeeper.lake.store import Lake

BATCH_ROWS = 131_072  # rows per Arrow batch read from a staged relation
# Arrow-staged rows of a table up to which a commit deduplicates and lays them out by day
# in memory (`publish.first_rows`, `publish.publish_rows`)
IN_MEMORY_ROWS = 65_536


@dataclass
class CommitResult:
    """What a commit published: rows per table, and accepted rows per (input file, table)."""

    seq: int
    txn: str
    rows: dict[str, int] = field(default_factory=dict)
    accepted: Counter[tuple[int, str]] = field(default_factory=Counter)
    visible: bool = True  # False when `commit(skip=...)` left the lake as it was


@dataclass(frozen=True)
class StagedRelation:
    """What `Transaction.stage_relation` wrote."""

    rows: int  # including problem rows
    problems: list[tuple[str | None, str]]  # (_key, _problem) of rows that failed a check


class Transaction:
    """One atomic write to the lake. Use through `Lake.transaction()`."""

    def __init__(self, lake: Lake, kind: str) -> None:
        self.lake = lake
        self.kind = kind
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.txn = f"{stamp}-{uuid.uuid4().hex[:8]}"
        self.dir = lake.root / "_staging" / self.txn
        self.dir.mkdir(parents=True)
        self._root = lake.connect()
        self._main = threading.get_ident()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._parts: dict[str, list[Path]] = {}   # Arrow-staged files, not partitioned
        self._dirs: dict[str, list[Path]] = {}    # relation-staged folders, partitioned
        self._replaced: dict[str, pa.Table] = {}
        self._seq: Counter[str] = Counter()  # order of Arrow-staged rows: first one wins
        self._removed: dict[str, set[str]] = {}  # visible files this commit takes away
        self._rewritten: dict[str, list[tuple[Path, str]]] = {}  # (staged, lake path)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection for the calling thread (sources may stage in parallel)."""
        if threading.get_ident() == self._main:
            return self._root
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._root.cursor()
            self._local.cursor = cursor
            with self._lock:
                self._cursors.append(cursor)
        return cursor

    # -- staging -----------------------------------------------------------------------

    def stage(self, table: str, rows: pa.Table, file_no: int | pa.Array) -> None:
        """Stage Arrow rows (in the table's schema) that came from input file `file_no`
        (or, row by row, from the input files an int32 array numbers)."""
        spec = table_spec(table)
        if rows.num_rows == 0:
            return
        rows = spec.conform(rows)
        start = self._seq[spec.name]
        self._seq[spec.name] += rows.num_rows
        files = file_no if isinstance(file_no, pa.Array) else \
            pa.array([file_no] * rows.num_rows, pa.int32())
        rows = rows.append_column("_file", files)
        rows = rows.append_column("_seq", pa.array(range(start, start + rows.num_rows),
                                                   pa.int64()))
        writer = self._writers.get(spec.name)
        if writer is not None and writer.schema != rows.schema:  # a dynamic table's columns
            writer.close()
            del self._writers[spec.name]
            writer = None
        if writer is None:
            parts = self._parts.setdefault(spec.name, [])
            path = self.dir / "arrow" / spec.name / f"part-{len(parts)}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            parts.append(path)
            writer = pq.ParquetWriter(path, rows.schema, compression=self.lake.compression)
            self._writers[spec.name] = writer
        writer.write_table(rows)

    def stage_relation(self, table: str, relation: duckdb.DuckDBPyRelation) -> StagedRelation:
        """Stage a DuckDB relation with the table's columns plus `_file`, `_problem`, `_key`.

        The relation is read once; problem rows are reported back for the quarantine.
        """
        spec = table_spec(table)
        with self._lock:
            folders = self._dirs.setdefault(spec.name, [])
            out = self.dir / "rel" / spec.name / f"r{len(folders)}"
            folders.append(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        cols = [quote(c) for c in spec.schema.names]
        select = ", ".join([*cols, "_file", "_problem",
                            "CASE WHEN _problem IS NOT NULL THEN _key END AS _key"])
        if spec.by_day:
            return self._split_by_day(relation.select(select + f', CAST("time" AS DATE) AS {DAY}'),
                                      out, self.txn)
        out.mkdir()
        relation.select(select).write_parquet(str(out / "part.parquet"),
                                              compression=self.lake.compression)
        files = sorted(str(p) for p in out.rglob("*.parquet"))
        if not files:
            return StagedRelation(0, [])
        written = self.con.read_parquet(files, hive_partitioning=False)
        total = int(written.aggregate("count(*)").fetchall()[0][0])
        problems = written.filter("_problem IS NOT NULL").select("_key, _problem").fetchall()
        return StagedRelation(total, [(k, str(p)) for k, p in problems])

    def _split_by_day(self, relation: duckdb.DuckDBPyRelation, out: Path,
                      prefix: str) -> StagedRelation:
        """Stream a relation with a `day` column into day folders under `out`, counting its
        rows and collecting its problem rows on the way (no second read of the files)."""
        writer = DaySplitWriter(out, prefix, self.lake.compression)
        total, problems = 0, list[tuple[str | None, str]]()
        try:
            for batch in relation.to_arrow_reader(BATCH_ROWS):
                total += batch.num_rows
                if "_problem" in batch.schema.names:
                    flagged = batch.filter(pc.is_valid(batch.column("_problem")))
                    problems += [(k, str(p)) for k, p in zip(
                        flagged.column("_key").to_pylist(),
                        flagged.column("_problem").to_pylist(), strict=True)]
                writer.write(batch)
        except BaseException:
            writer.abort()
            raise
        writer.close()
        return StagedRelation(total, problems)

    def staged_parts(self, table: str) -> list[Path]:
        """Every staged file of a table so far (flushing open writers first)."""
        name = table_spec(table).name
        writer = self._writers.pop(name, None)
        if writer is not None:
            writer.close()
        return [*self._parts.get(name, []), *self._relation_files(name)]

    def _relation_files(self, name: str) -> list[Path]:
        return sorted(p for d in self._dirs.get(name, []) for p in d.rglob("*.parquet"))

    def replace(self, table: str, rows: pa.Table) -> None:
        """Replace a derived table whole at commit."""
        spec = table_spec(table)
        if spec.mode is not WriteMode.REPLACE:
            raise LakeError(f"table {spec.name} is not a derived table")
        self._replaced[spec.name] = rows.select(spec.schema.names).cast(spec.schema)

    # -- commit --------------------------------------------------------------------------

    def commit(self, summary: dict[str, Any],
               skip: Callable[[CommitResult], bool] | None = None) -> CommitResult:
        """Publish everything staged in one manifest step; when `skip` says so of what
        would be published (e.g. no new row), nothing becomes visible and no commit is
        added."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        checkpoint("staged")
        manifest = Manifest.load(self.lake.manifest_path)  # the writer lock keeps it current
        seq = manifest.seq + 1
        result = CommitResult(seq=seq, txn=self.txn)
        moves: dict[str, list[tuple[Path, str]]] = {}
        names = sorted({*self._parts, *self._dirs})
        # tables are independent: published one per core, largest first
        names.sort(key=self._staged_bytes, reverse=True)
        workers = max(1, min(self.lake.threads, len(names)))
        with self.one_thread_per_query(workers > 1), ThreadPoolExecutor(workers) as pool:
            done = dict(zip(names, pool.map(
                lambda n: self._publish(table_spec(n), manifest, seq), names), strict=True))
        for name in sorted(done):
            spec, published = table_spec(name), done[name]
            for file_no, n in published.accepted.items():
                result.accepted[(file_no, name)] += n
            result.rows[name] = sum(published.accepted.values())
            moves[name] = self._destinations(spec, published.files)
        if skip is not None and skip(result):
            result.visible = False
            return result
        for name, rows in self._replaced.items():
            path = self.dir / "derived" / f"{name.replace('/', '_')}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(rows, path, compression=self.lake.compression)
            moves[name] = [(path, f"{name}/{self.txn}-0.parquet")]
        for name, pairs in self._rewritten.items():
            moves.setdefault(name, []).extend(pairs)
        checkpoint("published")
        self._make_visible(manifest, moves, seq, summary)
        checkpoint("after-manifest")
        return result

    @contextmanager
    def one_thread_per_query(self, enabled: bool = True) -> Iterator[None]:
        """Run DuckDB queries on one thread each for the block, when several threads run
        queries side by side (the setting is per database): one query per core costs
        about a third less CPU than every query on every core."""
        if not enabled:
            yield
            return
        self._root.execute("SET threads = 1")
        try:
            yield
        finally:
            self._root.execute(f"SET threads = {int(self.lake.threads)}")

    def _staged_bytes(self, name: str) -> int:
        files = [*self._parts.get(name, []), *self._relation_files(name)]
        return sum(p.stat().st_size for p in files if p.exists())

    def _publish(self, spec: TableSpec, manifest: Manifest, seq: int) -> Published:
        existing = [self.lake.root / f.path for f in manifest.files(spec.name)]
        arrow_parts = self._parts.get(spec.name, [])
        if spec.by_day and spec.mode is WriteMode.APPEND:
            relation = self._relation_files(spec.name)
            out = self.dir / "rel" / spec.name / "arrow"
            prefix = f"{self.txn}-a"
            if arrow_parts and self._seq[spec.name] <= IN_MEMORY_ROWS:
                # few rows: their first of each key, the stored keys and the day files
                # in Arrow, without DuckDB scans of the staged files
                rows = first_rows(arrow_parts, spec.key)
                if not relation:
                    return publish_rows(self.con, spec, rows, existing, out, prefix,
                                        self.lake.compression)
                staged = write_by_day(rows.append_column(DAY, rows["time"].cast(pa.date32())),
                                      out, prefix, self.lake.compression,
                                      {*spec.schema.names, "_file", "_seq"})
            else:
                staged = self._partition(spec, arrow_parts, out, prefix)
            return publish_events(self.con, spec, sorted(staged) + relation, existing,
                                  self.lake.compression)
        out = self.dir / "small" / spec.name / f"{self.txn}-0.parquet"
        return publish_small(self.con, spec, self.staged_parts(spec.name), existing, out, seq,
                             self.lake.compression)

    def _partition(self, spec: TableSpec, parts: list[Path], out: Path,
                   prefix: str) -> list[Path]:
        """Lay Arrow-staged rows out by day, like relation-staged ones."""
        if not parts:
            return []
        out.parent.mkdir(parents=True, exist_ok=True)
        rel = self.con.read_parquet([str(p) for p in parts], union_by_name=True)
        # A key repeated within the run keeps its first row (input file, then record):
        # found by a key-only scan and left out of the split, so that publishing does not
        # rewrite every day file that holds a repeat (a folder of copied logs).
        key = quote(spec.key)
        repeats = rel.select(f"_seq, row_number() OVER (PARTITION BY {key} "
                             "ORDER BY _file, _seq) AS wk_o").filter("wk_o > 1")
        self.con.execute("CREATE OR REPLACE TEMP TABLE wk_repeats AS " +
                         repeats.select("_seq").sql_query())
        if self.con.table("wk_repeats").aggregate("count(*)").fetchall()[0][0]:
            rel = rel.join(self.con.table("wk_repeats"), "_seq", how="anti")
        self._split_by_day(rel.select(f'*, CAST("time" AS DATE) AS {DAY}'), out, prefix)
        return sorted(out.rglob("*.parquet"))

    def _destinations(self, spec: TableSpec, files: list[Path]) -> list[tuple[Path, str]]:
        moves = []
        for n, path in enumerate(files):
            day = path.parent.name if spec.by_day else None
            name = f"{self.txn}-{n}.parquet"
            moves.append((path, f"{spec.name}/{day}/{name}" if day else f"{spec.name}/{name}"))
        return moves

    def _make_visible(self, manifest: Manifest, moves: dict[str, list[tuple[Path, str]]],
                      seq: int, summary: dict[str, Any]) -> None:
        published: dict[str, list[DataFile]] = {}
        for name, pairs in moves.items():
            published[name] = []
            for source, rel in pairs:
                rows = pq.read_metadata(source).num_rows
                target = self.lake.root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                checkpoint("moving")
                published[name].append(DataFile(rel, rows, seq))
        os.sync()  # file contents and renames reach the disk before the manifest names them
        superseded = {name: [f.path for f in manifest.files(name)] for name in published
                      if table_spec(name).mode is WriteMode.REPLACE}
        for name, paths in self._removed.items():  # taken out by `remove` (a purge)
            superseded.setdefault(name, []).extend(sorted(paths))
        record = CommitRecord(
            seq, self.txn, datetime.now(UTC).isoformat(), self.kind, summary,
            added={n: [(f.path, f.rows) for f in fs] for n, fs in published.items() if fs},
            superseded={n: ps for n, ps in superseded.items() if ps})
        records.write(self.lake.root, record)  # what a lost manifest is rebuilt from
        records.apply(manifest, record)
        checkpoint("before-manifest")
        manifest.save(self.lake.manifest_path)
        # no longer listed; deleted now if no reader may still use an older manifest,
        # else by a later writer (`Lake.recover`)
        self.lake.delete_superseded([p for ps in superseded.values() for p in ps])

    def remove(self, table: str, paths: list[str]) -> None:
        """Take visible files (lake-relative paths) of a table out of the lake at commit;
        they are deleted once the new manifest no longer lists them."""
        name = table_spec(table).name
        listed = {f.path for f in self.lake.manifest().files(name)}
        unknown = sorted(set(paths) - listed)
        if unknown:
            raise LakeError(f"{unknown[0]}: not a visible file of table {name}")
        self._removed.setdefault(name, set()).update(paths)

    def rewrite(self, table: str, path: str, rows: pa.Table) -> None:
        """Replace a visible file (lake-relative path) at commit by `rows`, a subset of
        its rows with all its columns (bookkeeping ones too), in the same folder: a purge
        that must keep some rows of a day (a legal hold). No rows: the file just goes."""
        name = table_spec(table).name
        self.remove(name, [path])
        if rows.num_rows == 0:
            return
        pairs = self._rewritten.setdefault(name, [])
        staged = self.dir / "rewrite" / f"{sum(map(len, self._rewritten.values()))}.parquet"
        staged.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, staged, compression=self.lake.compression)
        folder = path.rsplit("/", 1)[0]
        pairs.append((staged, f"{folder}/{self.txn}-r{len(pairs)}.parquet"))

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        for cursor in self._cursors:
            cursor.close()
        self._root.close()
        shutil.rmtree(self.dir, ignore_errors=True)
