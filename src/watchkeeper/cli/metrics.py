"""`watchkeeper metrics`: time to detect, acknowledge and resolve, SLA compliance,
volumes, backlog, hand-off acknowledgement and alert-to-case conversion of one period
(docs/operations.md, "Metrics"), within 80 columns."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.text import Text

from watchkeeper.cli.ops_render import table
from watchkeeper.cli.period import PeriodOpt, chosen
from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:
    from watchkeeper.ops.metrics import Metrics, Volume

TOP = 8   # groups shown per volume table (--json has them all)
KEY_WIDTH = 40


def metrics_cmd(ctx: typer.Context, period: PeriodOpt = None,
                team: Annotated[str | None, typer.Option(
                    "--team", metavar="TEAM",
                    help="One team's alerts, cases and hand-offs (default: all).")] = None,
                who: Annotated[str | None, typer.Option(
                    "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
                    help="Act as this account (else the one named like your login).")
                ] = None,
                json: Annotated[bool, typer.Option(
                    "--json", help="Print one JSON document.")] = False) -> None:
    """Operations metrics of a period: time to detect, acknowledge and resolve
    (median and p90), SLA compliance, volumes, backlog, hand-offs, conversion.

    Counts what the account's regions see; default period: the last 30 days.
    docs/operations.md says where each clock starts and stops.

    Example: watchkeeper -w ws metrics --period 2025-Q1
      watchkeeper -w ws metrics --period 2025-01-01..2025-03-31 --team soc-eu
      watchkeeper -w ws metrics --period 2025-03 --json
    """
    asked = chosen(period)
    ws = ctx.obj.open(create=False)
    found = ws.metrics(ws.case_viewer(who), asked, team=team)
    if json:
        emit_json(asdict(found))
    else:
        show(found)


def span(seconds: float | None) -> str:
    """``2d4h``, ``3h05m``, ``12m``, ``40s``; ``-`` for none."""
    if seconds is None:
        return "-"
    s = round(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def show(m: Metrics) -> None:
    who = f"team {m.team}" if m.team else "all teams"
    out.print(Text(f"Metrics {m.period}: {m.start:%Y-%m-%d %H:%M} to {m.end:%Y-%m-%d %H:%M} "
                   f"UTC, {who}, as of {m.at:%Y-%m-%d %H:%M} UTC"))
    out.print(Text(f"{m.alerts:,} alert(s) received, {m.cases:,} case(s) created"))
    out.print()
    clocks = table("clock", "measured", "not yet", "median", "p90")
    for name, c, why in (("detect", m.detect, "unknown"), ("acknowledge", m.acknowledge,
                                                           "open"),
                         ("resolve", m.resolve, "open"),
                         ("hand-off ack", m.handoffs.acknowledge, "open")):
        clocks.add_row(name, f"{c.measured:,}", f"{c.unmeasured:,} {why}",
                       span(c.median_seconds), span(c.p90_seconds))
    out.print(clocks)
    _summary(m)
    for title, rows in (("rule", m.volumes.rules), ("source", m.volumes.sources),
                        ("severity", m.volumes.severities), ("team", m.volumes.teams),
                        ("region", m.volumes.regions)):
        _volumes(title, rows)


def _summary(m: Metrics) -> None:
    s, b, h, c = m.sla, m.backlog, m.handoffs, m.conversion
    out.print()
    out.print(Text(f"SLA ({m.sla_cases:,} case(s) with a policy): acknowledge "
                   f"{_pct(s.ack_compliance)} ({s.ack_met} met, {s.ack_breached} late), "
                   f"resolve {_pct(s.resolve_compliance)} ({s.resolve_met} met, "
                   f"{s.resolve_breached} late)"))
    out.print(Text(f"Backlog: {b.open_cases:,} open case(s), median age "
                   f"{span(b.case_median_age_seconds)}, oldest "
                   f"{span(b.case_oldest_age_seconds)}; {b.untriaged_alerts:,} untriaged "
                   f"alert(s), oldest {span(b.alert_oldest_age_seconds)}"))
    out.print(Text(f"Hand-offs: {h.handoffs} ({h.in_time} acknowledged in time, {h.late} "
                   f"late, {h.open} open; {h.flagged} flagged)"))
    out.print(Text(f"Conversion: {c.in_cases:,} of {c.alerts:,} unsuppressed alert(s) in a "
                   f"case ({_pct(c.rate)}); {c.cases_from_alerts:,} case(s) from alerts"))


def _volumes(title: str, rows: tuple[Volume, ...]) -> None:
    if not rows:
        return
    out.print()
    found = table(title, "alerts", "suppressed", "in cases")
    for v in rows[:TOP]:
        key = v.key if len(v.key) <= KEY_WIDTH else v.key[:KEY_WIDTH - 1] + "…"
        found.add_row(escape(key), f"{v.alerts:,}", f"{v.suppressed:,}", f"{v.in_cases:,}")
    if len(rows) > TOP:
        found.add_row(f"({len(rows) - TOP} more: --json)", "", "", "")
    out.print(found)


def register(root: typer.Typer) -> None:
    root.command("metrics")(metrics_cmd)
