"""`watchkeeper ingest …`: one sub-command per input format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from watchkeeper.cli.render import emit_json, out, progress_bar

if TYPE_CHECKING:
    from watchkeeper.ingest import IngestReport

app = typer.Typer(no_args_is_help=True, help="""Load telemetry into the lake (makes the workspace).

Example: watchkeeper -w ws ingest auto data/
  watchkeeper -w ws ingest mapped proxy.jsonl -m proxy.yml
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
Paths = Annotated[list[Path], typer.Argument(help="Input files or folders.")]
WaitOpt = Annotated[float, typer.Option(
    "--wait", min=0, metavar="SECONDS",
    help="Wait this long for another process writing the lake (default: fail at once).")]


def _run(ctx: typer.Context, inputs: list[Path], fmt: str, json: bool,
         mapping: Path | None = None, wait: float = 0.0) -> None:
    workspace = ctx.obj.open(create=True)  # the one job that may create it
    with progress_bar(f"ingest {fmt}", enabled=not json) as progress:
        report = workspace.ingest(inputs, fmt, mapping=mapping, progress=progress, wait=wait)
    if json:
        emit_json(report.to_dict())
    else:
        show(report)


def show(report: IngestReport) -> None:
    commit = f"commit {report.commit}" if report.commit is not None else "no commit"
    table = Table(title=f"Ingest ({commit}, {report.seconds:.1f}s)")
    for col in ("file", "format", "read", "accepted", "duplicates", "quarantined"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for f in report.files:
        name = Text(Path(f.path).name)
        if f.note:
            name.append(f" ({f.note})", style="yellow")
        table.add_row(name, Text(f.format), f"{f.read:,}", f"{f.accepted:,}",
                      f"{f.duplicates:,}", f"{f.quarantined:,}")
    table.add_row("[bold]total", "", f"{report.read:,}", f"{report.accepted:,}",
                  f"{report.duplicates:,}", f"{report.quarantined:,}")
    out.print(table)
    if report.no_commit:
        out.print(f"[yellow]no commit[/]: {escape(report.no_commit)}")
    by_reason: dict[str, list[str]] = {}
    for s in report.skipped:
        by_reason.setdefault(s["reason"], []).append(s["path"])
    for reason, paths in by_reason.items():
        shown = paths[0] if len(paths) == 1 else f"{len(paths)} files ({paths[0]}, …)"
        out.print(f"[yellow]skipped[/] {escape(shown)}: {escape(reason)}", soft_wrap=True)


@app.command("auto")
def auto(ctx: typer.Context, inputs: Paths, json: JsonOpt = False,
         wait: WaitOpt = 0.0) -> None:
    """Recognize each file's format (CERT, OCSF, EVTX, HR feed, simulator sources).

    Example: watchkeeper -w ws ingest auto data/ logs/2025-01/
    """
    _run(ctx, inputs, "auto", json, wait=wait)


@app.command("cert")
def cert(ctx: typer.Context, inputs: Paths, json: JsonOpt = False,
         wait: WaitOpt = 0.0) -> None:
    """A CERT Insider Threat dataset folder (or some of its files).

    Example: watchkeeper -w ws ingest cert r4.2/
    """
    _run(ctx, inputs, "cert", json, wait=wait)


@app.command("ocsf")
def ocsf(ctx: typer.Context, inputs: Paths, json: JsonOpt = False,
         wait: WaitOpt = 0.0) -> None:
    """OCSF JSON-lines files.

    Example: watchkeeper -w ws ingest ocsf events.jsonl
    """
    _run(ctx, inputs, "ocsf", json, wait=wait)


@app.command("mapped")
def mapped(ctx: typer.Context, inputs: Paths,
           mapping: Annotated[Path, typer.Option("--mapping", "-m",
                                                 help="YAML source mapping.")],
           json: JsonOpt = False, wait: WaitOpt = 0.0) -> None:
    """Any JSON-lines or CSV log, through a declarative YAML mapping.

    Example: watchkeeper -w ws ingest mapped proxy.jsonl --mapping proxy.yml
    """
    _run(ctx, inputs, "mapped", json, mapping=mapping, wait=wait)


@app.command("hr")
def hr(ctx: typer.Context, inputs: Paths, json: JsonOpt = False,
       wait: WaitOpt = 0.0) -> None:
    """An HR feed CSV.

    Example: watchkeeper -w ws ingest hr hr_feed.csv
    """
    _run(ctx, inputs, "hr", json, wait=wait)


@app.command("evtx")
def evtx(ctx: typer.Context, inputs: Paths, json: JsonOpt = False,
         wait: WaitOpt = 0.0) -> None:
    """Windows event logs (.evtx files or folders of them).

    Example: watchkeeper -w ws ingest evtx Security.evtx
    """
    _run(ctx, inputs, "evtx", json, wait=wait)


@app.command("assets")
def assets(ctx: typer.Context, inputs: Paths, json: JsonOpt = False,
           wait: WaitOpt = 0.0) -> None:
    """A data-asset catalogue CSV, with its VIP flag (docs/access.md).

    Columns: dataset,region,sensitivity,owner_team,description,vip or the short form
    id,name,region,sensitivity,vip.

    Example: watchkeeper -w ws ingest assets assets.csv
    """
    _run(ctx, inputs, "assets", json, wait=wait)
