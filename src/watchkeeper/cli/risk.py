"""`watchkeeper risk top|explain|history`: who is risky, why, and since when."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.audit import record_read
from watchkeeper.cli.explain import explanation_lines
from watchkeeper.cli.render import emit_json, out, parse_day

if TYPE_CHECKING:
    from datetime import date

    from watchkeeper.risk import HistorySummary, RiskRank

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DayOpt = Annotated[str | None, typer.Option(
    "--day", help="Day (YYYY-MM-DD) among the analysed ones; default: the last.")]

risk_app = typer.Typer(no_args_is_help=True, help="""Who is risky, why, and since when.

Example: watchkeeper -w ws risk top
  watchkeeper -w ws risk explain ACM2278
""")


def _day(value: str | None) -> date | None:
    return None if value is None else parse_day(value, "--day")


def reason_summary(reasons: tuple[str, ...], shown: str | None = None) -> str:
    """The kinds of a person's strongest reasons, without dates and details:
    ``scenario data-leak, rule insider.exfil.leak_site_upload, anomaly``; the scenario
    `shown` in its own column is left out."""
    labels: list[str] = [f"scenario {shown}"] if shown else []
    for reason in reasons:
        words = reason.split(" ", 1)[-1].split(":", 1)[0].split(" (", 1)[0].split()
        if words and words[0] in ("scenario", "rule", "indicator"):
            label = " ".join(words[:2])
        else:
            label = " ".join(words[:2]) if words[:1] == ["sustained"] else " ".join(words[:1])
        if label and label not in labels:
            labels.append(label)
    return ", ".join(labels[1:] if shown else labels)


def show_top(rows: list[RiskRank]) -> None:
    """One line per person, 80 columns: the reasons in short; `risk explain` has them all."""
    table = Table(title="Highest risk", caption="Details: watchkeeper risk explain USER",
                  caption_justify="left")
    scenarios = [_cut(r.scenario or "", 22) for r in rows]
    fixed = max((len(r.user) for r in rows), default=4) + max(map(len, scenarios), default=8)
    room = max(out.width - fixed - 3 - 5 - 16, 10)   # rank, score, borders and padding
    for col in ("#", "user", "score", "scenario", "why"):
        table.add_column(col, justify="right" if col in ("#", "score") else "left",
                         no_wrap=True)
    for r, scenario in zip(rows, scenarios, strict=True):
        table.add_row(str(r.rank), escape(r.user), f"{r.score:.2f}", escape(scenario),
                      escape(_cut(reason_summary(r.reasons, r.scenario), room)))
    out.print(table)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


@risk_app.command("top")
def risk_top(ctx: typer.Context,
             limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                                help="How many people.")] = 20,
             day: DayOpt = None, json: JsonOpt = False) -> None:
    """The riskiest people on a day, with the kinds of their strongest reasons.

    Example: watchkeeper -w ws risk top -n 10
      watchkeeper -w ws risk top --day 2025-02-03 --json
    """
    rows = ctx.obj.open(create=False).risk_top(_day(day), limit)
    if json:
        emit_json([asdict(r) for r in rows])
    else:
        show_top(rows)


@risk_app.command("explain")
def risk_explain(ctx: typer.Context,
                 user: Annotated[str, typer.Argument(help="Person (user id).")],
                 day: DayOpt = None,
                 everything: Annotated[bool, typer.Option(
                     "--all", help="Every event, deviation and evidence filter, not one "
                                   "screen.")] = False,
                 json: JsonOpt = False) -> None:
    """Why a person scores what they score: sources, modifiers, scenario, events, anomalies.

    Example: watchkeeper -w ws risk explain ACM2278
      watchkeeper -w ws risk explain ACM2278 --day 2025-02-03 --all
    """
    workspace = ctx.obj.open(create=False)
    doc = workspace.risk_explain(user, _day(day))
    record_read(workspace, "risk.explain", "person",
                workspace.pseudonymizer().pseudonym(doc.user), {"day": doc.day.isoformat()})
    if json:
        emit_json(doc.to_dict())
        return
    for line in explanation_lines(doc, everything=everything, width=out.width):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


@risk_app.command("history")
def risk_history(ctx: typer.Context,
                 csv: Annotated[Path | None, typer.Option(
                     "--csv", help="Write every person-day to this CSV file.")] = None,
                 json: JsonOpt = False) -> None:
    """A summary of every person-day's risk; --csv writes the person-days themselves.

    Example: watchkeeper -w ws risk history
      watchkeeper -w ws risk history --csv risk.csv
    """
    workspace = ctx.obj.open(create=False)
    summary = workspace.risk_history()
    written = workspace.write_risk_history(csv) if csv is not None else None
    if json:
        emit_json({"rows": summary.person_days, "csv": str(csv) if csv else None,
                   "summary": asdict(summary)})
        return
    show_history(summary)
    if csv is not None:
        out.print(f"Wrote {written:,} person-days to {escape(str(csv))}")


def show_history(s: HistorySummary) -> None:
    out.print(f"[bold]Risk history[/]: {s.people:,} people, {s.days:,} days "
              f"({s.first_day} to {s.last_day}), {s.person_days:,} person-days")
    out.print(f"{s.alerts:,} risk alerts on {s.alerted_people:,} people"
              + (": " + ", ".join(f"{escape(k)} {n:,}" for k, n in s.alerts_by_scenario.items())
                 if s.alerts_by_scenario else ""))
    if not s.most_alerted:
        return
    table = Table(title="Most alerted people", caption="Every person-day: --csv FILE",
                  caption_justify="left")
    for col in ("user", "alerts", "max score", "last alert", "scenario"):
        table.add_column(col, justify="right" if col in ("alerts", "max score") else "left",
                         no_wrap=True, overflow="ellipsis")
    for p in s.most_alerted:
        table.add_row(escape(p.user), f"{p.alerts:,}", f"{p.max_score:.2f}",
                      p.last_alert.isoformat(), escape(p.scenario or ""))
    out.print(table)
