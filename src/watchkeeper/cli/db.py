"""`watchkeeper db upgrade|status`, `watchkeeper backup FILE`, `watchkeeper restore FILE`:
the state store's schema, and the store with the workspace's keys in one file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:  # the store loads SQLAlchemy and Alembic: `--help` starts without them
    from watchkeeper.store import BackupReport, RestoreReport, UpgradeReport
    from watchkeeper.store.state import DbStatus

app = typer.Typer(no_args_is_help=True, help="""The state store's schema migrations.

The store is SQLite state.db in the workspace, or the PostgreSQL database given
by --database-url, WATCHKEEPER_DATABASE_URL or [state] database_url.

Example: watchkeeper -w ws db status
  watchkeeper -w ws --database-url postgresql+psycopg://wk@db/wk db upgrade
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="The backup file.")]


@app.command("upgrade")
def upgrade(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Apply the state store's pending schema migrations.

    A SQLite store also upgrades itself when opened; a PostgreSQL store refuses to
    start until this has run. Running it again changes nothing.

    Example: watchkeeper -w ws db upgrade
      watchkeeper -w ws --database-url postgresql+psycopg://wk@db/wk db upgrade --json
    """
    report = ctx.obj.open(create=False).db_upgrade()
    if json:
        emit_json(asdict(report))
    else:
        show_upgrade(report)


@app.command("status")
def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Show the state store's location, schema revision and pending migrations.

    Example: watchkeeper -w ws db status
      watchkeeper -w ws db status --json
    """
    st = ctx.obj.open(create=False).db_status()
    if json:
        emit_json(asdict(st))
    else:
        show_status(st)


@app.command("rollups")
def rollups(ctx: typer.Context, json: JsonOpt = False,
            rebuild: Annotated[bool, typer.Option(
                "--rebuild", help="Recompute the counts from the alerts first.")] = False,
            ) -> None:
    """Show the dashboard's alert counts (per day, severity, source, region).

    The intake and suppressions keep them up to date; --rebuild recomputes them,
    and the operations metrics' rollups, from every alert stored, in one
    transaction (after restoring alerts by hand, say). The counted and stored
    totals differ only when something wrote alerts past the intake.

    Example: watchkeeper -w ws db rollups
      watchkeeper -w ws db rollups --rebuild --json
    """
    report = ctx.obj.open(create=False).rollups(rebuild=rebuild)
    if json:
        emit_json(asdict(report))
        return
    done = "Rebuilt" if report.rebuilt else "Rollups"
    out.print(f"[bold]{done}[/]: {report.rows:,} row(s) counting {report.alerts:,} "
              f"alert(s); {report.stored:,} stored")
    if report.alerts != report.stored:
        out.print("  the counts differ: run `watchkeeper db rollups --rebuild`")


def register(root: typer.Typer) -> None:
    @root.command("backup")
    def backup(ctx: typer.Context, file: FileArg, json: JsonOpt = False) -> None:
        """Write the state store and the workspace's keys to one file.

        SQLite is copied with its online backup API, PostgreSQL dumped table by table
        in one snapshot, so the copy is consistent while the service runs. The file
        is created readable by its owner only; it holds secrets.

        Example: watchkeeper -w ws backup ws-2024-06-01.tar.gz
          watchkeeper -w ws backup nightly.tar.gz --json
        """
        report = ctx.obj.open(create=False).backup(file)
        if json:
            emit_json(asdict(report))
        else:
            show_backup(report)

    @root.command("restore")
    def restore(ctx: typer.Context, file: FileArg, json: JsonOpt = False,
                force: Annotated[bool, typer.Option(
                    "--force", help="Replace a store that holds data, and differing keys.")
                ] = False) -> None:
        """Replace the state store and the workspace's keys with a backup's.

        The whole file is checked first; a store that holds data, or a key that
        differs from the backup's, is replaced only with --force. The store changes
        in one transaction: an error leaves it as it was. Either kind of backup
        restores into SQLite or PostgreSQL.

        Example: watchkeeper -w ws restore ws-2024-06-01.tar.gz
          watchkeeper -w ws restore nightly.tar.gz --force --json
        """
        report = ctx.obj.open(create=False).restore(file, force=force)
        if json:
            emit_json(asdict(report))
        else:
            show_restore(report)


def show_upgrade(report: UpgradeReport) -> None:
    where = escape(report.database)
    if not report.applied:
        out.print(f"[bold]State store[/] {where}: at revision {report.after}, nothing to do",
                  soft_wrap=True)
        return
    out.print(f"[bold]State store[/] {where}: {report.before or 'empty'} -> {report.after}",
              soft_wrap=True)
    for revision in report.applied:
        out.print(f"  applied {escape(revision)}")


def show_status(st: DbStatus) -> None:
    out.print(f"[bold]State store[/] {escape(st.database)}", soft_wrap=True)
    out.print(f"  from      {escape(st.origin)}")
    out.print(f"  revision  {st.revision or 'none (empty)'} (newest {st.head})")
    out.print(f"  pending   {', '.join(st.pending) or 'none'}")
    out.print(f"  rows      {st.rows:,}")


def show_backup(report: BackupReport) -> None:
    rows = sum(report.tables.values())
    out.print(f"[bold]Backup[/] {escape(report.path)}: {rows:,} rows in "
              f"{len(report.tables)} tables, {len(report.keys)} key(s), "
              f"{report.size:,} bytes", soft_wrap=True)
    out.print(f"  from {escape(report.database)} (revision {report.revision})",
              soft_wrap=True)


def show_restore(report: RestoreReport) -> None:
    rows = sum(report.tables.values())
    out.print(f"[bold]Restored[/] {escape(report.path)}: {rows:,} rows, "
              f"{len(report.keys)} key(s), revision {report.revision}", soft_wrap=True)
    out.print(f"  into {escape(report.database)}", soft_wrap=True)
    if report.replaced_rows:
        out.print(f"  replaced {report.replaced_rows:,} rows the store held")
