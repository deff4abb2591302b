"""`watchkeeper detect`: run the rule pack over the lake and store findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import emit_json, out, parse_day, progress_bar

if TYPE_CHECKING:  # the engine (Ibis, pySigma) loads only when a command needs it
    from watchkeeper.detect.engine import DetectReport


def parse_since(value: str | None) -> date | None:
    """``all``/``beginning`` → everything; ``YYYY-MM-DD`` → from that day; None → incremental."""
    if value is None:
        return None
    if value.lower() in ("all", "beginning"):
        from watchkeeper.detect.engine import BEGINNING
        return BEGINNING
    return parse_day(value, "--since")


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        ctx: typer.Context,
        rules: Annotated[list[Path] | None, typer.Option(
            "--rules", help="Rule file or folder (repeatable; default: the shipped pack).")
        ] = None,
        since: Annotated[str | None, typer.Option(
            "--since", help="First day to scan (YYYY-MM-DD) or 'all'; default: since the "
                            "last run, minus one day of overlap.")] = None,
        json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        wait: Annotated[float, typer.Option(
            "--wait", min=0, metavar="SECONDS",
            help="Wait this long for another process writing the lake.")] = 0.0,
    ) -> None:
        """Run Sigma, SQL and correlation rules over the lake and store their findings.

        Findings are never stored twice; matches allowed by a rule's `allow:` or the
        workspace's exceptions.yml are counted as suppressed.

        Example: watchkeeper -w ws detect
          watchkeeper -w ws detect --since all --rules my-rules/ --json
        """
        workspace = ctx.obj.open(create=False)
        with progress_bar("Detecting", enabled=not json, count=True) as progress:
            report = workspace.detect(rules or None, parse_since(since), progress=progress,
                                      wait=wait)
        if json:
            emit_json(report.to_dict())
        else:
            show(report)


def show(report: DetectReport) -> None:
    out.print(f"[bold]Detection[/] since {report.since}: {report.total:,} alerts, "
              f"{report.stored:,} new findings stored, {report.seconds:.1f}s")
    table = Table(title="Alerts per rule")
    table.add_column("rule")
    table.add_column("alerts", justify="right")
    table.add_column("suppressed", justify="right")
    for rule_id, n in sorted(report.alerts.items()):
        table.add_row(escape(rule_id), f"{n:,}", f"{report.suppressed.get(rule_id, 0):,}")
    out.print(table)
    for e in report.errors:
        out.print(f"[yellow]rule error[/]: {escape(str(e))}")
