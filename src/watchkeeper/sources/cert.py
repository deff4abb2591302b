"""CERT Insider Threat Test Dataset files (releases r4.2 to r6.2), parsed by DuckDB.

The five activity logs, LDAP monthly snapshots and psychometric scores are read with
DuckDB's CSV reader, which streams in bounded memory and records every malformed line
(wrong column count, bad date, bad number, invalid UTF-8) with its line number and raw
text; those become quarantine rows. Rows that parse but lack a required value (id, user,
date) are found after staging and located in the file by a second, targeted pass.

CERT times are naive local times; `SourceContext.timezone` says which zone they are in.
Column layouts differ between releases; the header (or, for header-less files, the
column count) picks the layout.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from watchkeeper.errors import InputError
from watchkeeper.lake import Transaction
from watchkeeper.sources.base import Reject, SourceContext
from watchkeeper.sources.cert_layouts import LAYOUTS, Layout, select_sql
from watchkeeper.sources.csv_lines import clean_copy, is_clean

CERT_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"
LOG_FILES = ("logon", "device", "file", "email", "http")
_ACTIVITY = re.compile(r"^(WWW \w+|File \w+|Send|View|Connect|Disconnect|Logon|Logoff)$")
_LDAP_NAME = re.compile(r"^(\d{4})-(\d{2})\.csv$")


@dataclass(frozen=True)
class StagedFile:
    """What one CERT file contributed to a transaction."""

    table: str
    candidates: int  # rows staged that passed the semantic checks
    rejects: list[Reject]

    @property
    def read(self) -> int:
        return self.candidates + len(self.rejects)


def cert_kind(path: Path) -> str | None:
    """The CERT file kind by name: a log name, ``ldap`` or ``psychometric``."""
    name = path.name.lower()
    stem = name.removesuffix(".csv")
    if name.endswith(".csv") and stem in (*LOG_FILES, "psychometric"):
        return stem
    if _LDAP_NAME.match(name) and path.parent.name.upper() == "LDAP":
        return "ldap"
    return None


def ldap_snapshot_day(path: Path) -> date:
    m = _LDAP_NAME.match(path.name)
    if not m:
        raise InputError(path, "LDAP snapshot file names must look like YYYY-MM.csv")
    return date(int(m.group(1)), int(m.group(2)), 1)


def _first_line(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.readline(65536)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    return head.decode("utf-8", errors="replace").strip().lstrip("\ufeff")


def pick_layout(path: Path, kind: str) -> tuple[Layout, bool]:
    """The column layout of a file and whether its first line is a header."""
    first = _first_line(path)
    if not first:
        return LAYOUTS[kind][0], True
    if not first.startswith("{"):
        header = [c.strip().strip('"').lower() for c in next(csv.reader([first]))]
        for layout in LAYOUTS[kind]:
            if tuple(header) == tuple(c.lower() for c in layout.columns):
                return layout, True
        known = " | ".join(",".join(lay.columns) for lay in LAYOUTS[kind])
        raise InputError(path, f"unrecognized {kind} header {','.join(header)!r} "
                               f"(expected one of: {known})", line=1)
    fields = next(csv.reader([first]))
    fitting = [lay for lay in LAYOUTS[kind] if len(lay.columns) == len(fields)]
    for layout in fitting:  # same width, different columns: the activity value decides
        if "activity" not in layout.columns or len(fitting) == 1:
            continue
        if _ACTIVITY.match(fields[layout.columns.index("activity")]):
            return layout, False
    fitting = [lay for lay in fitting if "activity" not in lay.columns] or fitting
    if fitting:
        return fitting[0], False
    width = len(fields)
    raise InputError(path, f"header-less {kind} file with {width} columns matches no "
                           "known CERT layout", line=1)


_FOUND = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CAST = re.compile(r'Could not convert string "(.*)" to \'(\w+)\'', re.S)


def _reason(kind: str, column: str | None, message: str) -> str:
    """DuckDB's reject message as one short line naming the field at fault."""
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        m = _FOUND.search(message)
        if m:
            return f"wrong column count: {m.group(2)} fields, expected {m.group(1)}"
    if kind == "CAST":
        m = _CAST.search(message)
        if m:
            want = {"TIMESTAMP": f"a date ({CERT_TIME_FORMAT})", "BIGINT": "an integer",
                    "SMALLINT": "an integer", "BOOLEAN": "True/False"}.get(m.group(2),
                                                                          m.group(2).lower())
            return f"field {column!r}: cannot parse {m.group(1)[:60]!r} as {want}"
    if kind == "INVALID ENCODING":
        return "invalid UTF-8"
    if kind == "UNQUOTED VALUE" or "quote" in message.lower():
        return "unterminated or misplaced quote"
    return message.splitlines()[0][:200]


def _first_field(line: str) -> str:
    if not line.startswith('"'):
        return line.split(",", 1)[0]
    try:
        return next(csv.reader([line]), [""])[0]
    except csv.Error:  # a field beyond the csv module's size limit
        return ""


class CertSource:
    """Stages CERT files into a lake transaction."""

    name = "cert"

    def __init__(self) -> None:
        self._scans = itertools.count()

    def stage(self, path: Path, ctx: SourceContext, txn: Transaction,
              file_no: int) -> StagedFile:
        kind = cert_kind(path)
        if kind is None:
            raise InputError(path, "not a CERT file name (logon.csv, device.csv, file.csv, "
                                   "email.csv, http.csv, psychometric.csv, LDAP/YYYY-MM.csv)")
        layout, header = pick_layout(path, kind)
        read, early = self._readable(path, txn, file_no)
        try:
            staged, rejects = self._stage(read, path, (kind, layout, header), ctx, txn,
                                          file_no)
        finally:
            if read != path:
                read.unlink(missing_ok=True)
        rejects += early
        rejects.sort(key=lambda r: r.line or 0)
        return StagedFile(layout.table, staged, rejects)

    @staticmethod
    def _readable(path: Path, txn: Transaction, file_no: int) -> tuple[Path, list[Reject]]:
        """The file DuckDB can frame line by line: the input itself when it is clean,
        else a copy with its bad lines left empty, plus those lines as rejects."""
        if is_clean(path):
            return path, []
        copy = txn.dir / "clean" / f"{file_no}.csv"
        copy.parent.mkdir(parents=True, exist_ok=True)
        return copy, clean_copy(path, copy)

    def _stage(self, read: Path, path: Path, shape: tuple[str, Layout, bool],
               ctx: SourceContext, txn: Transaction, file_no: int) -> tuple[int, list[Reject]]:
        """Stage the (clean) file `read`: rows staged, and rejects naming the input `path`."""
        kind, layout, header = shape
        con = txn.con
        scan = next(self._scans)
        reject_table, reject_scan = f"wk_rejects_{scan}", f"wk_scans_{scan}"
        params: dict[str, object] = {
            "path": str(read), "header": header, "columns": dict(layout.read_types),
            "tformat": CERT_TIME_FORMAT, "rtable": reject_table, "rscan": reject_scan,
            "tz": ctx.timezone, "file_no": file_no,
            "domains": [d.lower() for d in ctx.company_domains],
        }
        if kind == "ldap":
            params["as_of"] = ldap_snapshot_day(path)
        sql = select_sql(layout)
        relation = con.sql(sql, params={k: v for k, v in params.items()
                                        if f"${k}" in sql})
        try:
            staged = txn.stage_relation(layout.table, relation)
        except duckdb.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "DuckDB error"
            raise InputError(path, f"cannot parse as CERT {kind}: {reason}") from exc
        rejects = self._scan_rejects(con, path, reject_table)
        problems: dict[str, list[str]] = {}
        for key, reason in staged.problems:
            problems.setdefault("" if key is None else key, []).append(reason)
        rejects += self._locate(read, path, header, problems, {r.line for r in rejects})
        return staged.rows - len(staged.problems), rejects

    @staticmethod
    def _scan_rejects(con: duckdb.DuckDBPyConnection, path: Path,
                      table: str) -> list[Reject]:
        rows = con.table(table).aggregate(
            "line, first(error_type ORDER BY column_idx NULLS FIRST) AS kind, "
            "first(column_name ORDER BY column_idx NULLS FIRST) AS col, "
            "first(error_message ORDER BY column_idx NULLS FIRST) AS message, "
            "first(csv_line) AS raw", "line").fetchall()
        con.execute(f"DROP TABLE {table}")
        # the raw line comes with the empty lines before it, if any (left by `clean_copy`)
        return [Reject.of(path, int(line), _reason(str(kind), col, str(msg)),
                          str(raw or "").lstrip("\r\n")) for line, kind, col, msg, raw in rows]

    @staticmethod
    def _locate(read: Path, path: Path, header: bool, problems: dict[str, list[str]],
                rejected: set[int | None]) -> list[Reject]:
        """Find the lines of rows that parsed but failed a semantic check (rare). Every
        record of `read` is one physical line (`csv_lines`), so a line is found by its
        first field (among lines DuckDB did not reject) and keeps its raw text."""
        if not problems:
            return []
        found: list[Reject] = []
        with open(read, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
                if (number == 1 and header) or not text or number in rejected:
                    continue
                reasons = problems.get(_first_field(text))
                if reasons:
                    found.append(Reject.of(path, number, reasons.pop(0), text))
        found += [Reject.of(path, None, reason, key)
                  for key, reasons in problems.items() for reason in reasons]
        return found
