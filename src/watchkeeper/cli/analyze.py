"""`watchkeeper analyze` and `evaluate`; `risk …` lives in `cli/risk.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.alerts_view import queued_line
from watchkeeper.cli.render import emit_json, out, progress_bar, warning_line
from watchkeeper.cli.risk import JsonOpt, risk_app, show_top


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze(ctx: typer.Context,
                full: Annotated[bool, typer.Option(
                    "--full", help="Recompute every day, not only new ones.")] = False,
                json: JsonOpt = False,
                wait: Annotated[float, typer.Option(
                    "--wait", min=0, metavar="SECONDS",
                    help="Wait this long for another analysis run to finish.")] = 0.0,
                ) -> None:
        """Behaviour analytics and risk scoring (incremental on new days).

        Example: watchkeeper -w ws analyze
          watchkeeper -w ws analyze --full --json
        """
        workspace = ctx.obj.open(create=False)
        with progress_bar("Analysing", enabled=not json, count=True) as progress:
            report = workspace.analyze(full=full, progress=progress, wait=wait)
        if json:
            emit_json(report.to_dict())
            return
        out.print(f"[bold]Analysed[/] {report.people:,} people, {report.first_day} to "
                  f"{report.last_day} ({report.new_days} new days): {report.alerts} risk "
                  f"alerts on {report.alerted_people} people, "
                  f"{sum(report.seconds.values()):.1f}s")
        queued_line(workspace.last_sync)
        if report.muted_events or report.watchlist_entries:
            out.print(f"[bold]Feedback[/] {report.muted_events:,} risk event(s) muted by "
                      f"false-positive verdicts, {report.watchlist_entries:,} watchlist "
                      "entries applied", highlight=False)
        for family, reason in report.skipped.items():
            out.print(f"[yellow]skipped[/] {escape(family)}: {escape(reason)}")
        show_top(report.top)

    @app.command("evaluate")
    def evaluate(ctx: typer.Context,
                 answers: Annotated[Path, typer.Option(
                     "--answers", help="CERT-format answers/ folder.")],
                 dataset: Annotated[str | None, typer.Option(
                     "--dataset", help="Release to score (r6.2 or 6.2); default: every "
                     "row whose person is in the lake.")] = None,
                 by_source: Annotated[bool, typer.Option(
                     "--by-source", help="Analyse again with each source family left "
                     "out and each added to the base set (logons + LDAP/HR); report "
                     "each metric's change. One analysis per run.")] = False,
                 json: JsonOpt = False) -> None:
        """Score the stored risk history against an answer key, with two naive
        baselines and the early-warning figures.

        Example: watchkeeper -w ws evaluate --answers sim/answers
          watchkeeper -w ws evaluate --answers cert/answers --dataset r6.2
          watchkeeper -w ws evaluate --answers sim/answers --by-source --json
        """
        workspace = ctx.obj.open(create=False)
        if by_source:
            with progress_bar("Analysing per source", enabled=not json,
                              count=True) as progress:
                runs = workspace.evaluate_by_source(answers, dataset, progress=progress)
            if json:
                emit_json(runs.to_dict())
            else:
                out.print(runs.to_text(), markup=False, highlight=False)
            return
        with progress_bar("Evaluating", enabled=not json, count=True) as progress:
            report = workspace.evaluate(answers, dataset, progress=progress)
        for warning in report.warnings:
            warning_line(warning.message)
        if json:
            emit_json(report.to_dict())
        else:
            out.print(report.to_markdown(), markup=False, highlight=False)

    app.add_typer(risk_app, name="risk")
