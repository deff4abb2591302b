"""`watchkeeper quarantine list|show|export|purge`: the records ingest rejected."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from watchkeeper.cli.render import emit_json, out, parse_day

if TYPE_CHECKING:  # the lake loads DuckDB: `--help` must start without it
    from watchkeeper.lake.quarantine import QuarantineList, QuarantineRow

DEFAULT_LIMIT = 50  # as watchkeeper.lake.quarantine.DEFAULT_LIMIT (a test checks)
SHORT_ID = 12  # as watchkeeper.lake.quarantine.SHORT_ID

app = typer.Typer(no_args_is_help=True, help="""Records ingest rejected: list, show, export
for fixing, purge.

Example: watchkeeper -w ws quarantine list --reason time
  watchkeeper -w ws quarantine export fix.jsonl
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
FileOpt = Annotated[str | None, typer.Option(
    "--file", help="Only records whose input path contains this text.")]
ReasonOpt = Annotated[str | None, typer.Option(
    "--reason", help="Only records whose reason contains this text (any case).")]
FILE_WIDTH = 24  # the file column keeps the end of the path: the name matters most
LINE_WIDTH = 8


def _doc(row: QuarantineRow) -> dict[str, Any]:
    return asdict(row)


@app.command("list")
def list_records(ctx: typer.Context, file: FileOpt = None, reason: ReasonOpt = None,
                 limit: Annotated[int, typer.Option(
                     "--limit", "-n", min=1, help="Show at most this many records.")]
                 = DEFAULT_LIMIT,
                 json: JsonOpt = False) -> None:
    """Quarantined records by input file and line: id, file, line and reason.

    Example: watchkeeper -w ws quarantine list --file logon.csv --reason date
    """
    found = ctx.obj.open(create=False).quarantine_list(file, reason, limit)
    if json:
        emit_json({"total": found.total, "shown": len(found.rows),
                   "rows": [_doc(r) for r in found.rows]})
        return
    _show_list(found)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _shorten(path: str, width: int = FILE_WIDTH) -> str:
    return path if len(path) <= width else "…" + path[len(path) - width + 1:]


def _show_list(found: QuarantineList) -> None:
    if not found.rows:
        out.print("No quarantined records match.", markup=False)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("id", no_wrap=True, width=SHORT_ID)
    table.add_column("file", no_wrap=True, width=FILE_WIDTH)
    table.add_column("line", justify="right", no_wrap=True, width=LINE_WIDTH)
    # what is left of the terminal (80 columns when output is not one) goes to the reason
    reason_width = max(12, out.width - SHORT_ID - FILE_WIDTH - LINE_WIDTH - 3 * 2)
    table.add_column("reason", no_wrap=True, overflow="ellipsis", width=reason_width)
    for r in found.rows:
        table.add_row(Text(r.short_id), Text(_shorten(r.file)),
                      "" if r.line is None else str(r.line),
                      Text(" ".join(r.reason.split())))
    out.print(table)
    if found.total > len(found.rows):
        out.print(f"{len(found.rows):,} of {_count(found.total, 'record')} shown "
                  "(--limit for more).", markup=False)
    out.print("Full record: watchkeeper quarantine show ID", markup=False)


@app.command("show")
def show(ctx: typer.Context,
         ident: Annotated[str, typer.Argument(
             metavar="ID", help="The record's id, or a unique start of it (as `list` shows).")],
         json: JsonOpt = False) -> None:
    """One quarantined record whole: full path, line, reason and raw record.

    ID is the id `list` shows, or any start of it that is unique.

    Example: watchkeeper -w ws quarantine show q:7c39aad4b5
    """
    row = ctx.obj.open(create=False).quarantine_show(ident)
    if json:
        emit_json(_doc(row))
        return
    fields = [("id", row.id), ("source", row.source), ("file", row.file),
              ("line", "" if row.line is None else str(row.line)),
              ("recorded", f"{row.recorded} (commit {row.commit})"), ("reason", row.reason)]
    for name, value in fields:
        out.print(f"{name:<9}{value}", markup=False, highlight=False, soft_wrap=True)
    out.print("raw:", markup=False)
    out.print(row.raw, markup=False, highlight=False, soft_wrap=True)


@app.command("export")
def export(ctx: typer.Context,
           path: Annotated[Path, typer.Argument(metavar="FILE", help="The file to write.")],
           file: FileOpt = None, reason: ReasonOpt = None,
           fmt: Annotated[str, typer.Option(
               "--format", help="jsonl: one JSON object per record (id, file, line, reason, "
                                "raw); raw: the raw records of one input file.")] = "jsonl",
           json: JsonOpt = False) -> None:
    """Write quarantined records to FILE (readable by you only) to fix and re-ingest them.

    Example: watchkeeper -w ws quarantine export bad.jsonl --reason date
    watchkeeper -w ws quarantine export logon.csv --file logon.csv --format raw
    """
    report = ctx.obj.open(create=False).quarantine_export(path, file=file, reason=reason,
                                                          fmt=fmt)
    if json:
        emit_json(asdict(report))
        return
    out.print(f"Wrote {_count(report.rows, 'record')} from "
              f"{_count(report.files, 'input file')} to {report.path} "
              f"({report.format}).", markup=False, highlight=False, soft_wrap=True)


@app.command("purge")
def purge(ctx: typer.Context,
          before: Annotated[str, typer.Option(
              "--before", help="Remove records recorded in commits before this day "
                               "(YYYY-MM-DD, UTC).")],
          dry_run: Annotated[bool, typer.Option(
              "--dry-run", help="Only say what would be removed.")] = False,
          json: JsonOpt = False) -> None:
    """Remove quarantined records recorded before a day, as one commit.

    The commit's summary in the lake's log lists the rows and files removed.

    Example: watchkeeper -w ws quarantine purge --before 2025-01-01 --dry-run
    """
    day = parse_day(before, "--before")
    report = ctx.obj.open(create=False).quarantine_purge(day, dry_run=dry_run)
    if json:
        emit_json(asdict(report))
        return
    verb = "Would remove" if report.dry_run else "Removed"
    done = f" (commit {report.commit})" if report.commit is not None else ""
    out.print(f"{verb} {_count(report.rows, 'record')} recorded before {day} by "
              f"{_count(len(report.commits), 'commit')}{done}.", markup=False, highlight=False,
              soft_wrap=True)
