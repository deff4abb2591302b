"""`watchkeeper lake check|repair`: is the lake whole, and make it whole again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:  # the lake loads DuckDB: `--help` must start without it
    from watchkeeper.lake.check import CheckReport
    from watchkeeper.lake.repair import RepairReport

app = typer.Typer(no_args_is_help=True, help="""Check and repair the Parquet lake.

Example: watchkeeper -w ws lake check
  watchkeeper -w ws lake repair --json
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DeepOpt = Annotated[bool, typer.Option(
    "--deep", help="Also decode every page of every file (reads all the data).")]


@app.command("check")
def check(ctx: typer.Context, json: JsonOpt = False, deep: DeepOpt = False) -> None:
    """Check the lake's files against its manifest.

    Every listed file must exist and be readable Parquet with its table's columns
    and row count; every data file must be listed (or be a crashed writer's
    leftover). Exit code 1 when a problem is found.

    Example: watchkeeper -w ws lake check --json
    """
    report = ctx.obj.open(create=False).lake_check(deep=deep)
    if json:
        emit_json(report.to_dict())
    else:
        show_check(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command("repair")
def repair(ctx: typer.Context, json: JsonOpt = False, deep: DeepOpt = False,
           wait: Annotated[float, typer.Option(
               "--wait", min=0, metavar="SECONDS",
               help="Wait this long for another process writing the lake.")] = 0.0,
           ) -> None:
    """Rebuild a lost manifest; move damaged files to lake/damaged/.

    The manifest is rebuilt from the commit records; damaged files are taken out
    with a report; a crashed writer's leftovers are removed. Running it again
    changes nothing. Exit code 1 when the repaired lake still fails the check.

    Example: watchkeeper -w ws lake repair
             watchkeeper -w ws lake repair --deep --json
    """
    workspace = ctx.obj.open(create=False)
    report = workspace.lake_repair(wait=wait, deep=deep)
    after = workspace.lake_check(deep=deep)
    if json:
        emit_json({**report.to_dict(), "check": after.to_dict()})
    else:
        show_repair(report)
        show_check(after)
    if not after.ok:
        raise typer.Exit(1)


def show_check(report: CheckReport) -> None:
    problems = [i for i in report.issues if i.problem]
    notes = [i for i in report.issues if not i.problem]
    verdict = "[green]ok[/]" if report.ok else f"[red]{len(problems)} problem(s)[/]"
    out.print(f"[bold]Lake[/] {escape(report.lake)}: commit {report.seq}, {report.files:,} "
              f"files, {report.rows:,} rows: {verdict}")
    for issue in problems + notes:
        tag = "[red]problem[/]" if issue.problem else "[yellow]note[/]"
        where = f"{escape(issue.path)}: " if issue.path else ""
        out.print(f"  {tag} {issue.kind}: {where}{escape(issue.detail)}", soft_wrap=True)


def show_repair(report: RepairReport) -> None:
    if not report.changed:
        out.print("[bold]Repair[/]: nothing to do")
        return
    head = "manifest rebuilt from the commit records" if report.rebuilt else "manifest kept"
    out.print(f"[bold]Repair[/]: {head}; commit {report.seq}, {report.commits} commits")
    for m in report.moved:
        where = f"moved to {escape(m.to)}" if m.to else "unlisted (missing)"
        out.print(f"  {escape(m.path)}: {where} ({escape(m.reason)})", soft_wrap=True)
    for path in report.relisted:
        out.print(f"  {escape(path)}: listed again", soft_wrap=True)
    if report.removed:
        out.print(f"  removed {len(report.removed)} file(s) a crashed writer left")
    if report.rolled_back:
        out.print(f"  rolled back {len(report.rolled_back)} crashed commit record(s)")
