"""Turn a table's staged files into publishable files: drop what must not be stored.

Of rows sharing a key within one run, the first wins: the earliest input file, and within
a file the earliest record (`_seq`, kept by row-wise sources; DuckDB-read files have no
record order, so among their same-file repeats the choice is by storage position).

Event tables (appended, partitioned by day) are staged already in their final layout, so
publishing them costs a key-only scan: rows with a `_problem`, rows whose key the lake
already has, and all but the first row of a key seen twice in this run are dropped, by
rewriting just the files that hold such rows. Every other staged file is published as it
is. Small tables (entities, quarantine) are deduplicated with one query and rewritten.

Bookkeeping columns travel with the rows: `_file` (which input file of the commit a row
came from: lineage), `_problem` and `_key` (null in every published row).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from duckdb.sqltypes import BIGINT

from watchkeeper.lake.daysplit import DAY, write_by_day
from watchkeeper.lake.tables import TableSpec, WriteMode


@dataclass
class Published:
    """Files ready to be moved into the lake, and the rows they keep per input file."""

    files: list[Path] = field(default_factory=list)
    accepted: Counter[int] = field(default_factory=Counter)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _temp_view(con: duckdb.DuckDBPyConnection, name: str,
               relation: duckdb.DuckDBPyRelation) -> None:
    """A view only this connection sees (tables are published on parallel cursors)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {relation.sql_query()}")


def publish_events(con: duckdb.DuckDBPyConnection, spec: TableSpec, staged: list[Path],
                   existing: list[Path], compression: str) -> Published:
    """Drop problem rows, stored keys and repeated keys from day-partitioned staged files."""
    if not staged:
        return Published()
    paths = [str(p) for p in staged]
    scan = con.read_parquet(paths, filename=True, file_row_number=True, hive_partitioning=False,
                            union_by_name=True)
    cols = set(scan.columns)
    bad = "_problem IS NOT NULL" if "_problem" in cols else "false"
    seq = "_seq" if "_seq" in cols else "NULL::BIGINT AS _seq"
    _temp_view(con, "wk_scan", scan.select(
        f"filename, file_row_number, _file, {seq}, {quote(spec.key)} AS k, {bad} AS bad"))
    # One read of the keys, hashed: counts, and the few hashes that may be duplicates
    # (seen twice in this run, or stored already); only rows with such a hash, or with a
    # problem, are looked at again, by their exact key.
    con.execute("CREATE OR REPLACE TEMP TABLE wk_keys AS "
                "SELECT hash(k) AS h, _file, bad FROM wk_scan")
    counts = con.sql("SELECT _file, count(*) FILTER (NOT bad) FROM wk_keys GROUP BY 1")
    candidates = Counter({int(f): int(n) for f, n in counts.fetchall()})
    suspects = ["SELECT h FROM wk_keys WHERE NOT bad GROUP BY h HAVING count(*) > 1"]
    if existing:
        _temp_view(con, "wk_old", con.read_parquet([str(p) for p in existing],
                                                   union_by_name=True).select(
            f"{quote(spec.key)} AS k"))
        suspects.append("SELECT h FROM wk_keys WHERE NOT bad INTERSECT "
                        "SELECT hash(k) FROM wk_old")
        stored = "OR k IN (SELECT k FROM wk_old)"
    else:
        stored = ""
    con.execute("CREATE OR REPLACE TEMP TABLE wk_suspect AS " + " UNION ".join(suspects))
    con.execute("DROP TABLE IF EXISTS wk_drop")
    clean = con.sql("SELECT NOT EXISTS (SELECT 1 FROM wk_suspect) AND "
                    "NOT EXISTS (SELECT 1 FROM wk_keys WHERE bad)").fetchall()[0][0]
    look = "SELECT * FROM wk_scan WHERE " + (
        "false" if clean else "bad OR hash(k) IN (SELECT h FROM wk_suspect)")
    con.execute(f"""
        CREATE TEMP TABLE wk_drop AS
        WITH look AS MATERIALIZED ({look}),
        twice AS (SELECT k FROM look WHERE NOT bad GROUP BY k HAVING count(*) > 1),
        repeated AS (
            SELECT filename, file_row_number, _file FROM (
                SELECT *, row_number() OVER (PARTITION BY k
                    ORDER BY _file, _seq NULLS LAST, filename, file_row_number) AS o
                FROM look WHERE NOT bad AND k IN (SELECT k FROM twice)) WHERE o > 1)
        SELECT filename, file_row_number, _file, bad FROM look WHERE bad {stored}
        UNION
        SELECT filename, file_row_number, _file, false FROM repeated""")
    dropped = con.sql("SELECT _file, count(*) FILTER (NOT bad) FROM wk_drop GROUP BY 1")
    accepted = candidates - Counter({int(f): int(n) for f, n in dropped.fetchall()})
    touched = {str(f) for (f,) in con.sql("SELECT DISTINCT filename FROM wk_drop").fetchall()}
    keep = [p for p in staged if str(p) not in touched]
    for path in sorted(touched):
        if _rewrite_without_drops(con, Path(path), compression):
            keep.append(Path(path))
    return Published(sorted(keep), accepted)


def _rewrite_without_drops(con: duckdb.DuckDBPyConnection, path: Path,
                           compression: str) -> bool:
    """Rewrite one staged file without its dropped rows; False when nothing is left."""
    rows = con.read_parquet(str(path), file_row_number=True, hive_partitioning=False)
    drops = con.table("wk_drop").filter(
        duckdb.ColumnExpression("filename") == duckdb.ConstantExpression(str(path)))
    kept = rows.join(drops.select("file_row_number"), "file_row_number", how="anti")
    kept = kept.select(*[duckdb.ColumnExpression(c) for c in rows.columns
                         if c != "file_row_number"])
    tmp = path.with_name(path.name + ".tmp")
    kept.write_parquet(str(tmp), compression=compression)
    path.unlink()
    if con.read_parquet(str(tmp)).aggregate("count(*)").fetchall()[0][0] == 0:
        tmp.unlink()
        return False
    tmp.rename(path)
    return True


def first_rows(parts: list[Path], key: str) -> pa.Table:
    """Arrow-staged rows read into memory, the first of each key kept (by input file,
    then record)."""
    rows = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")
    rows = rows.take(pc.sort_indices(rows, [("_file", "ascending"), ("_seq", "ascending")]))
    given: set[object] = set()
    first = []
    for value in rows.column(key).to_pylist():
        first.append(value not in given)
        given.add(value)
    return rows if all(first) else rows.filter(pa.array(first, pa.bool_()))


def publish_rows(con: duckdb.DuckDBPyConnection, spec: TableSpec, rows: pa.Table,
                 existing: list[Path], out: Path, prefix: str, compression: str) -> Published:
    """`publish_events` for a run's rows of an event table held in memory, one per key
    (`first_rows`): rows whose key the lake already has are dropped (one key-only scan of
    the stored files, and only for the run's keys), the rest written by day, each day's
    file without the extra columns that day never fills (`write_by_day`)."""
    if existing and rows.num_rows:
        con.register("wk_run_keys", pa.table({"k": rows.column(spec.key)}))
        try:
            stored = con.read_parquet([str(p) for p in existing], union_by_name=True).select(
                f"{quote(spec.key)} AS k").filter("k IN (SELECT k FROM wk_run_keys)")
            known = pa.array([k for (k,) in stored.distinct().fetchall()],
                             rows.schema.field(spec.key).type)
        finally:
            con.unregister("wk_run_keys")
        if len(known):
            rows = rows.filter(pc.invert(pc.is_in(rows.column(spec.key), known)))
    accepted = Counter({int(f): n for f, n in Counter(rows.column("_file").to_pylist()).items()})
    day = rows.column("time").cast(pa.date32())
    files = write_by_day(rows.append_column(DAY, day), out, prefix, compression,
                         {*spec.schema.names, "_file", "_seq"})
    return Published(sorted(files), accepted)


def publish_small(con: duckdb.DuckDBPyConnection, spec: TableSpec, staged: list[Path],
                  existing: list[Path], out: Path, seq: int, compression: str) -> Published:
    """Deduplicate a small table's staged rows in one query and write one file."""
    if not staged:
        return Published()
    rel = con.read_parquet([str(p) for p in staged], union_by_name=True)
    if "_problem" in rel.columns:
        rel = rel.filter("_problem IS NULL")
    names = ", ".join(quote(c) for c in spec.schema.names)
    row_hash = f"hash({names}) AS wk_row_hash"
    order = "_seq" if "_seq" in rel.columns else "NULL::BIGINT AS _seq"
    _temp_view(con, "wk_small", rel.select(f"{names}, _file, {order}, {row_hash}"))
    by_content = spec.mode in (WriteMode.UPSERT, WriteMode.DISTINCT)
    dedup = "wk_row_hash" if by_content else quote(spec.key)
    first = con.sql(f"SELECT * EXCLUDE (wk_rn) FROM (SELECT *, row_number() OVER "
                    f"(PARTITION BY {dedup} ORDER BY _file, _seq NULLS LAST) AS wk_rn "
                    "FROM wk_small) "
                    "WHERE wk_rn = 1")
    if existing:
        old = _widened(con.read_parquet([str(p) for p in existing], union_by_name=True),
                       spec)
        if by_content:
            first = first.join(old.select(row_hash), "wk_row_hash", how="anti")
        else:
            first = first.join(old.select(quote(spec.key)), spec.key, how="anti")
    con.execute("DROP TABLE IF EXISTS wk_kept")
    con.execute(f"CREATE TEMP TABLE wk_kept AS {first.sql_query()}")  # this connection's own
    kept = con.table("wk_kept")
    accepted = Counter({int(f): int(n) for f, n in
                        kept.aggregate("_file, count(*)", "_file").fetchall()})
    if not accepted:
        return Published([], accepted)
    exprs = [duckdb.ColumnExpression(c) for c in (*spec.schema.names, "_file")]
    exprs.append(duckdb.ConstantExpression(seq).cast(BIGINT).alias("_commit"))
    out.parent.mkdir(parents=True, exist_ok=True)
    kept.select(*exprs).write_parquet(str(out), compression=compression)
    return Published([out], accepted)


_DUCK_TYPES = {pa.bool_(): "BOOLEAN", pa.string(): "VARCHAR", pa.date32(): "DATE",
               pa.int64(): "BIGINT", pa.float64(): "DOUBLE"}


def _widened(rel: duckdb.DuckDBPyRelation, spec: TableSpec) -> duckdb.DuckDBPyRelation:
    """Stored files written before a column joined the schema, with that column null
    (so the content hash compares like with like)."""
    missing = [f for f in spec.schema if f.name not in rel.columns]
    if not missing:
        return rel
    nulls = ", ".join(f"NULL::{_DUCK_TYPES.get(f.type, 'VARCHAR')} AS {quote(f.name)}"
                      for f in missing)
    return rel.select(f"*, {nulls}")
