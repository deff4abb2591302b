"""`watchkeeper status`: what the workspace holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:
    from watchkeeper.workspace import Status


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(ctx: typer.Context,
               json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
               ) -> None:
        """Sources, events per class, time range, people, quarantine.

        Example: watchkeeper -w ws status
          watchkeeper -w ws status --json
        """
        st = ctx.obj.open(create=False).status()
        if json:
            emit_json(st.to_dict())
        else:
            show(st)


def show(st: Status) -> None:
    out.print(f"[bold]Workspace[/] {escape(st.workspace)}: {st.events:,} events, "
              f"{st.people:,} people, {st.devices:,} devices, {st.data_assets:,} data assets, "
              f"{st.commits} commits")
    table = Table(title="Events per class")
    for col in ("class", "events", "first", "last", "sources"):
        table.add_column(col, justify="right" if col == "events" else "left")
    for name, c in st.classes.items():
        table.add_row(escape(name), f"{c.events:,}", c.first or "", c.last or "",
                      escape(", ".join(f"{s} {n:,}" for s, n in c.sources.items())))
    out.print(table)
    if st.quarantine:
        out.print(f"[yellow]Quarantine[/]: {st.quarantine:,} rows")
        for reason, n in st.quarantine_reasons.items():
            out.print(f"  {n:>8,}  {reason}", markup=False, highlight=False)
    else:
        out.print("Quarantine: empty")
