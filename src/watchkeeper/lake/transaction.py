"""Write transactions: stage rows, then deduplicate and publish them in one manifest step.

Rows are first written to Parquet files under ``_staging/<txn>/`` with two bookkeeping
columns, ``_file`` (which input file they came from) and ``_seq`` (their order in it), and
optionally ``_problem`` (a reason the source found after parsing; such rows are not
published). At commit, for each table, DuckDB keeps the first row per key, drops keys
already in the lake, counts survivors per input file, and writes them partitioned by day.
The new files are renamed into place and the manifest replaced: until that last step
nothing of the transaction is visible, and after it all of it is.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from duckdb.sqltypes import BIGINT, DATE

from watchkeeper.errors import LakeError
from watchkeeper.lake.faults import checkpoint
from watchkeeper.lake.manifest import Commit, DataFile, Manifest, fsync_dir
from watchkeeper.lake.tables import TableSpec, WriteMode, table_spec

if TYPE_CHECKING:
    from watchkeeper.lake.store import Lake

BOOK_COLUMNS = ("_file", "_seq", "_problem")


@dataclass
class CommitResult:
    """What a commit published: rows per table, and accepted rows per (input file, table)."""

    seq: int
    txn: str
    rows: dict[str, int] = field(default_factory=dict)
    accepted: Counter[tuple[int, str]] = field(default_factory=Counter)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Transaction:
    """One atomic write to the lake. Use through `Lake.transaction()`."""

    def __init__(self, lake: Lake, kind: str) -> None:
        self.lake = lake
        self.kind = kind
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.txn = f"{stamp}-{uuid.uuid4().hex[:8]}"
        self.dir = lake.root / "_staging" / self.txn
        self.dir.mkdir(parents=True)
        self.con = lake.connect()
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._parts: dict[str, list[Path]] = {}
        self._seq: Counter[str] = Counter()
        self._replaced: dict[str, pa.Table] = {}

    # -- staging -----------------------------------------------------------------------

    def stage(self, table: str, rows: pa.Table, file_no: int) -> None:
        """Stage Arrow rows (already in the table's schema) from input file `file_no`."""
        spec = table_spec(table)
        if rows.num_rows == 0:
            return
        rows = rows.select(spec.schema.names).cast(spec.schema)
        start = self._seq[spec.name]
        self._seq[spec.name] += rows.num_rows
        rows = rows.append_column("_file", pa.array([file_no] * rows.num_rows, pa.int32()))
        rows = rows.append_column("_seq", pa.array(range(start, start + rows.num_rows),
                                                   pa.int64()))
        writer = self._writers.get(spec.name)
        if writer is None:
            path = self._part_path(spec)
            writer = pq.ParquetWriter(path, rows.schema, compression="zstd")
            self._writers[spec.name] = writer
        writer.write_table(rows)

    def stage_relation(self, table: str, relation: duckdb.DuckDBPyRelation) -> Path:
        """Stage a DuckDB relation that already has the table's columns plus `_file`,
        `_seq` and `_problem`; returns the staged file for the caller to inspect."""
        spec = table_spec(table)
        path = self._part_path(spec)
        relation.write_parquet(str(path), compression="zstd")
        return path

    def staged_parts(self, table: str) -> list[Path]:
        """Staged files of a table so far (flushing open writers first)."""
        name = table_spec(table).name
        writer = self._writers.pop(name, None)
        if writer is not None:
            writer.close()
        return list(self._parts.get(name, []))

    def replace(self, table: str, rows: pa.Table) -> None:
        """Replace a derived table whole at commit."""
        spec = table_spec(table)
        if spec.mode is not WriteMode.REPLACE:
            raise LakeError(f"table {spec.name} is not a derived table")
        self._replaced[spec.name] = rows.select(spec.schema.names).cast(spec.schema)

    def _part_path(self, spec: TableSpec) -> Path:
        parts = self._parts.setdefault(spec.name, [])
        path = self.dir / "stage" / spec.name / f"part-{len(parts)}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        parts.append(path)
        return path

    # -- commit --------------------------------------------------------------------------

    def commit(self, summary: dict[str, Any]) -> CommitResult:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        checkpoint("staged")
        manifest = self.lake.manifest()
        seq = manifest.seq + 1
        result = CommitResult(seq=seq, txn=self.txn)
        published: dict[str, list[DataFile]] = {}
        for name, parts in sorted(self._parts.items()):
            published[name] = self._publish(table_spec(name), parts, manifest, seq, result)
        for name, rows in self._replaced.items():
            published[name] = self._publish_replacement(table_spec(name), rows, seq)
        checkpoint("published")
        self._make_visible(manifest, published, seq, summary)
        checkpoint("after-manifest")
        return result

    def _publish(self, spec: TableSpec, parts: list[Path], manifest: Manifest, seq: int,
                 result: CommitResult) -> list[DataFile]:
        con = self.con
        staged = con.read_parquet([str(p) for p in parts], union_by_name=True)
        if "_problem" in staged.columns:
            staged = staged.filter("_problem IS NULL")
        key = _quote(spec.key)
        staged.create_view("wk_staged", replace=True)
        dedup_key = key if spec.mode is WriteMode.APPEND else "wk_row_hash"
        row_hash = ", hash(" + ", ".join(_quote(c) for c in spec.schema.names) + ") AS wk_row_hash"
        extra = row_hash if spec.mode is WriteMode.UPSERT else ""
        first = con.sql(
            f"SELECT * EXCLUDE (wk_rn) FROM (SELECT *{extra}, row_number() OVER "
            f"(PARTITION BY {dedup_key} ORDER BY _file, _seq) AS wk_rn FROM wk_staged) "
            "WHERE wk_rn = 1")
        existing = [str(self.lake.root / f.path) for f in manifest.files(spec.name)]
        if existing:
            old = con.read_parquet(existing, union_by_name=True)
            if spec.mode is WriteMode.UPSERT:
                old = old.select(row_hash.removeprefix(", "))
                first = first.join(old, "wk_row_hash", how="anti")
            else:
                first = first.join(old.select(key), spec.key, how="anti")
        con.execute("DROP TABLE IF EXISTS wk_kept")
        first.to_table("wk_kept")
        for file_no, n in con.sql("SELECT _file, count(*) FROM wk_kept GROUP BY 1").fetchall():
            result.accepted[(int(file_no), spec.name)] += int(n)
        total = sum(n for (_, t), n in result.accepted.items() if t == spec.name)
        result.rows[spec.name] = total
        if total == 0:
            return []
        return self._write(spec, con.table("wk_kept"), seq)

    def _write(self, spec: TableSpec, kept: duckdb.DuckDBPyRelation,
               seq: int) -> list[DataFile]:
        exprs = [duckdb.ColumnExpression(c) for c in spec.schema.names]
        out = self.dir / "publish" / spec.name
        out.parent.mkdir(parents=True, exist_ok=True)
        if spec.mode is WriteMode.UPSERT or spec.name == "quarantine":
            exprs.append(duckdb.ConstantExpression(seq).cast(BIGINT).alias("_commit"))
        if spec.by_day:
            exprs.append(duckdb.ColumnExpression("time").cast(DATE).alias("day"))
            kept.select(*exprs).write_parquet(
                str(out), partition_by=["day"], compression="zstd",
                filename_pattern=f"{self.txn}-{{i}}")
        else:
            out.mkdir(parents=True, exist_ok=True)
            kept.select(*exprs).write_parquet(
                str(out / f"{self.txn}-0.parquet"), compression="zstd")
        return self._collect(out, spec, seq)

    def _publish_replacement(self, spec: TableSpec, rows: pa.Table, seq: int) -> list[DataFile]:
        out = self.dir / "publish" / spec.name
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, out / f"{self.txn}-0.parquet", compression="zstd")
        return self._collect(out, spec, seq)

    def _collect(self, out: Path, spec: TableSpec, seq: int) -> list[DataFile]:
        files = []
        for path in sorted(out.rglob("*.parquet")):
            rel = Path(spec.directory) / path.relative_to(out)
            files.append(DataFile(str(rel), pq.read_metadata(path).num_rows, seq))
        return files

    def _make_visible(self, manifest: Manifest, published: dict[str, list[DataFile]],
                      seq: int, summary: dict[str, Any]) -> None:
        publish_root = self.dir / "publish"
        for name, files in published.items():
            for f in files:
                target = self.lake.root / f.path
                target.parent.mkdir(parents=True, exist_ok=True)
                source = publish_root / name / Path(f.path).relative_to(name)
                os.replace(source, target)
                checkpoint("moving")
        for directory in {(self.lake.root / f.path).parent for fs in published.values()
                          for f in fs}:
            fsync_dir(directory)
        superseded: list[DataFile] = []
        for name, files in published.items():
            if table_spec(name).mode is WriteMode.REPLACE:
                superseded += manifest.tables.get(name, [])
                manifest.tables[name] = files
            elif files:
                manifest.tables.setdefault(name, []).extend(files)
        manifest.seq = seq
        manifest.commits.append(Commit(seq, self.txn, datetime.now(UTC).isoformat(),
                                       self.kind, summary))
        checkpoint("before-manifest")
        manifest.save(self.lake.manifest_path)
        for f in superseded:  # no longer listed: unreadable by anyone from here on
            (self.lake.root / f.path).unlink(missing_ok=True)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self.con.close()
        shutil.rmtree(self.dir, ignore_errors=True)
