"""Staging a JSON-lines file through a compiled mapping (`mapped_sql`), like `CertSource`.

A clean file (valid UTF-8, no NUL or CR) is read by the mapping's one DuckDB query; lines
the query cannot decide exactly are re-read by `MappedSource` itself, and a file that is
not clean goes through `MappedSource` whole. Results equal `MappedSource.read`.
"""

from __future__ import annotations

import codecs
import itertools
from collections import Counter
from pathlib import Path

import duckdb

from watchkeeper.errors import InputError
from watchkeeper.lake import Transaction
from watchkeeper.sources.base import Reject, SourceContext
from watchkeeper.sources.cert import StagedFile
from watchkeeper.sources.mapped import MappedSource
from watchkeeper.sources.mapped_sql import DEFER, SqlMapping, _bind, _lit, _top_keys, build_query
from watchkeeper.sources.rows import ChunkBuffer, iter_lines

__all__ = ["MappedSqlSource"]


def _clean(path: Path) -> bool:
    """True when the file is valid UTF-8 without NUL bytes or carriage returns, so that
    DuckDB's strict CSV reader splits it into exactly Python's lines (it refuses mixed
    line ends, so CRLF files take the Python path too)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 24):
                if b"\x00" in chunk or b"\r" in chunk:
                    return False
                if not chunk.isascii() or decoder.getstate()[0]:
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as exc:
        raise InputError(path, exc.strerror or type(exc).__name__) from None
    return True


class MappedSqlSource:
    """Stages a JSON-lines file through a compiled mapping, like `CertSource.stage`."""

    def __init__(self, source: MappedSource, plan: SqlMapping) -> None:
        self.source = source
        self.plan = plan
        self.name = source.name
        self.table = f"events/{plan.cls.value}"
        self._scans = itertools.count()

    def stage(self, path: Path, ctx: SourceContext, txn: Transaction,
              file_no: int) -> StagedFile:
        if not _clean(path):
            return self._python(path, ctx, txn, file_no)
        tz = self.plan.mapping.time.timezone or ctx.timezone
        sql = build_query(self.plan, tz, self._unique_keys(txn, path))
        scan = f"wk_mapped_{id(self)}_{next(self._scans)}"
        params = {**self.plan.params, "path": str(path), "delim": "\x1f", "tz": tz,
                  "rtable": f"{scan}_rejects", "rscan": f"{scan}_scans", "file_no": file_no,
                  "p_defer": DEFER}
        relation = txn.con.sql(sql, params=_bind(sql, params))
        try:
            staged = txn.stage_relation(self.table, relation)
            unread = int(txn.con.sql(f"SELECT count(DISTINCT line) FROM {scan}_rejects")
                         .fetchall()[0][0])
        except duckdb.Error as exc:
            raise InputError(path, f"cannot read with mapping {self.name}: {exc}") from exc
        finally:
            txn.con.execute(f"DROP TABLE IF EXISTS {scan}_rejects; "
                            f"DROP TABLE IF EXISTS {scan}_scans")
        keys = Counter(str(key) for key, _ in staged.problems)
        rows, rejects = self._recheck(path, ctx, txn, file_no, (keys, unread))
        return StagedFile(self.table, staged.rows - len(staged.problems) + rows, rejects)

    def _unique_keys(self, txn: Transaction, path: Path) -> bool:
        """True when DuckDB's JSON reader reads every line as an object without a repeated
        key among those the mapping reads (it refuses such a line). Any refusal (a bad line,
        a repeated key) only means the query checks each line's keys itself."""
        keys = _top_keys(self.plan)
        columns = "{" + ", ".join(f"{_lit(k)}: 'JSON'" for k in keys) + "}"
        try:
            # every column is read (a bare count(*) would not look at the keys)
            txn.con.sql(f"SELECT count(COLUMNS(*)) FROM read_json($path, format = "
                        f"'newline_delimited', columns = {columns})",
                        params={"path": str(path)}).fetchall()
        except duckdb.Error:
            return False
        return True

    def _recheck(self, path: Path, ctx: SourceContext, txn: Transaction, file_no: int,
                 todo: tuple[Counter[str], int]) -> tuple[int, list[Reject]]:
        """Read the lines the SQL left undecided with the Python path: problem rows
        (found by their text) and lines DuckDB's reader refused (they hold `\\x1f`)."""
        keys, unread = todo
        wanted = Counter({k.encode(): n for k, n in keys.items()})
        if not wanted and not unread:
            return 0, []
        buffer, rows, rejects = ChunkBuffer(), 0, list[Reject]()
        for number, raw in iter_lines(path):
            if b"\x1f" in raw:
                unread -= 1
            elif wanted.get(raw):
                wanted[raw] -= 1
            else:
                continue
            self.source.add_line(buffer, (path, number, raw), ctx)
            if buffer.count >= self.source.chunk_size:
                rows += self._flush(buffer, txn, file_no, rejects)
        rows += self._flush(buffer, txn, file_no, rejects)
        if unread or any(wanted.values()):
            raise InputError(path, "the SQL and Python readings of this file disagree; "
                                   "please report this file")
        rejects.sort(key=lambda r: r.line or 0)
        return rows, rejects

    @staticmethod
    def _flush(buffer: ChunkBuffer, txn: Transaction, file_no: int,
               rejects: list[Reject]) -> int:
        rows = 0
        for parsed in buffer.flush():
            txn.stage(parsed.table, parsed.rows, file_no)
            rows += parsed.rows.num_rows
            rejects += parsed.rejects
        return rows

    def _python(self, path: Path, ctx: SourceContext, txn: Transaction,
                file_no: int) -> StagedFile:
        """The whole file through `MappedSource` (binary garbage, stray CRs)."""
        rows, rejects = 0, list[Reject]()
        for parsed in self.source.read(path, ctx):
            txn.stage(parsed.table, parsed.rows, file_no)
            rows += parsed.rows.num_rows
            rejects += parsed.rejects
        return StagedFile(self.table, rows, rejects)
