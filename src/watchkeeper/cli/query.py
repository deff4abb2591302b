"""`watchkeeper query "SQL"`: hunt with read-only SQL over the lake's views."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.audit import record_read
from watchkeeper.cli.render import emit_json, out
from watchkeeper.errors import InputError

if TYPE_CHECKING:
    from watchkeeper.hunt import QueryResult

#: Characters of a value shown in the table (CSV and JSON have them whole).
CELL_WIDTH = 40


def register(app: typer.Typer) -> None:
    @app.command("query")
    def query_cmd(
        ctx: typer.Context,
        sql: Annotated[str, typer.Argument(
            metavar="SQL", help="One SELECT over the views: authentication, peripheral, "
                                "file, email, web, datastore, process, finding(s), windows, "
                                "people, devices, data_assets (assets).")],
        limit: Annotated[int, typer.Option(
            "--limit", min=0, help="Most rows returned (0: all).")] = 100,
        csv_file: Annotated[Path | None, typer.Option(
            "--csv", metavar="FILE", help="Write the rows to FILE as CSV.")] = None,
        json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Hunt: run one read-only SQL query over the lake's views.

        The dialect is DuckDB's; anything but a SELECT is refused.

        Example: watchkeeper -w ws query "SELECT user, count(*) AS n FROM findings GROUP BY user ORDER BY n DESC"
        watchkeeper -w ws query "SELECT * FROM web WHERE domain LIKE '%leak%'" --csv hits.csv --limit 0
        """  # noqa: E501
        workspace = ctx.obj.open(create=False)
        result = workspace.query(sql, limit)
        record_read(workspace, "query.run", "query", sql_digest(sql),
                    {"rows": len(result.rows), "truncated": result.truncated,
                     "limit": limit, "csv": csv_file is not None})
        if csv_file is not None:
            write_csv(result, csv_file)
        if json:
            emit_json({"columns": list(result.columns),
                       "rows": [[_json_value(v) for v in r] for r in result.rows],
                       "truncated": result.truncated, "limit": result.limit})
            return
        if csv_file is not None:
            out.print(f"{len(result.rows):,} rows written to {escape(str(csv_file))}"
                      + _more(result), highlight=False)
            return
        show(result)


def sql_digest(sql: str) -> str:
    """What the audit log records of a query: the SHA-256 of its text (which may name
    people), so a query is recognised without being kept."""
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


def write_csv(result: QueryResult, path: Path) -> None:
    """The rows as CSV with a header; null as an empty field."""
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(result.columns)
            writer.writerows(["" if v is None else v for v in row] for row in result.rows)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None


def _more(result: QueryResult) -> str:
    return (f" (stopped at --limit {result.limit:,}; more rows exist)"
            if result.truncated else "")


def show(result: QueryResult) -> None:
    table = Table(show_lines=False)
    for name in result.columns:
        table.add_column(escape(name), overflow="ellipsis", no_wrap=True,
                         max_width=CELL_WIDTH)
    for row in result.rows:
        table.add_row(*[escape(_cell(v)) for v in row])
    out.print(table)
    out.print(f"{len(result.rows):,} rows" + _more(result), highlight=False)


def _json_value(value: object) -> object:
    """JSON-native values as they are, dates as ISO text, anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= CELL_WIDTH else text[:CELL_WIDTH - 1] + "…"
