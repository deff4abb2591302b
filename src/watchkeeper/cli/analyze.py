"""`watchkeeper analyze`, `risk top|explain|history` and `evaluate`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pyarrow.csv as pacsv
import typer
from rich.table import Table

from watchkeeper.cli.render import emit_json, out
from watchkeeper.errors import ConfigError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DayOpt = Annotated[str | None, typer.Option("--day", help="Day (YYYY-MM-DD); default: last.")]
risk_app = typer.Typer(no_args_is_help=True, help="Who is risky, why, and since when.")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--day {value!r}: expected YYYY-MM-DD") from None


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
        """Behaviour analytics and risk scoring (incremental on new days)."""
        report = ctx.obj.open(create=False).analyze(full=full, wait=wait)
        if json:
            emit_json(report.to_dict())
            return
        out.print(f"[bold]Analysed[/] {report.people:,} people, {report.first_day} to "
                  f"{report.last_day} ({report.new_days} new days): {report.alerts} risk "
                  f"alerts on {report.alerted_people} people, "
                  f"{sum(report.seconds.values()):.1f}s")
        for family, reason in report.skipped.items():
            out.print(f"[yellow]skipped[/] {family}: {reason}")
        show_top(report.top)

    @app.command("evaluate")
    def evaluate(ctx: typer.Context,
                 answers: Annotated[Path, typer.Option(
                     "--answers", help="CERT-format answers/ folder.")],
                 json: JsonOpt = False) -> None:
        """Score the stored risk history against an answer key."""
        report = ctx.obj.open(create=False).evaluate(answers)
        if json:
            emit_json(report.to_dict())
        else:
            out.print(report.to_markdown())

    app.add_typer(risk_app, name="risk")


def show_top(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Highest risk")
    for col in ("rank", "user", "score", "scenario", "reasons"):
        table.add_column(col, justify="right" if col in ("rank", "score") else "left")
    for r in rows:
        table.add_row(str(r["rank"]), str(r["user"]), f"{r['score']:.1f}",
                      str(r.get("scenario") or ""), "; ".join(r.get("reasons", [])[:3]))
    out.print(table)


@risk_app.command("top")
def risk_top(ctx: typer.Context,
             limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 20,
             day: DayOpt = None, json: JsonOpt = False) -> None:
    """The riskiest people on a day."""
    rows = ctx.obj.open(create=False).risk_top(_day(day), limit)
    if json:
        emit_json(rows)
    else:
        show_top(rows)


@risk_app.command("explain")
def risk_explain(ctx: typer.Context, user: str, day: DayOpt = None,
                 json: JsonOpt = False) -> None:
    """Why a person scores what they score: sources, modifiers, scenario, anomalies."""
    doc = ctx.obj.open(create=False).risk_explain(user, _day(day))
    if json:
        emit_json(doc)
        return
    for key, value in doc.items():
        out.print(f"[bold]{key}[/]: {value}")


@risk_app.command("history")
def risk_history(ctx: typer.Context,
                 csv: Annotated[Path | None, typer.Option(
                     "--csv", help="Write every person-day to this CSV file.")] = None,
                 json: JsonOpt = False) -> None:
    """Every person-day: user, day, score, alert, scenario (as known that day)."""
    history = ctx.obj.open(create=False).analysis.table("risk_history")
    if csv is not None:
        pacsv.write_csv(history, csv)
    if json:
        emit_json({"rows": history.num_rows, "csv": str(csv) if csv else None,
                   "history": None if csv else history.to_pylist()})
    elif csv is not None:
        out.print(f"Wrote {history.num_rows:,} person-days to {csv}")
    else:
        out.print(history.to_pandas().to_string(index=False))
