"""`watchkeeper shifts set|show|holiday|handoff|ack`: teams' shift hours in their time
zones, holidays, and the hand-offs written at each shift's end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from watchkeeper.cli import ops_render as render
from watchkeeper.cli.render import out, parse_day

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

app = typer.Typer(no_args_is_help=True, help="""Shifts: each team's time zone, weekly
hours and holidays; the hand-offs at each shift's end.

A new case goes to the team on shift that may see its regions, else the next
to start. Times are shown in UTC.

Example: watchkeeper shifts set eu --tz Europe/Paris -H "mon-fri 8:00-16:00"
  watchkeeper -w ws shifts show
  watchkeeper -w ws shifts handoff --team soc-eu
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
    help="Act as this account (else the one named like your login).")]
TeamArg = Annotated[str, typer.Argument(metavar="TEAM", help="The team's name.")]


def _ws(ctx: typer.Context) -> Workspace:
    return ctx.obj.open(create=False)  # type: ignore[no-any-return]


@app.command("set")
def set_cmd(ctx: typer.Context, team: TeamArg,
            tz: Annotated[str, typer.Option("--tz", metavar="ZONE",
                                            help="IANA time zone, e.g. Europe/Berlin.")],
            hours: Annotated[list[str], typer.Option(
                "--hours", "-H", metavar="DAYS HH:MM-HH:MM",
                help="Shift hours, local time (repeatable): 'mon-fri 08:00-16:00', "
                     "'sat,sun 10:00-14:00', 'daily 22:00-06:00' (past midnight).")],
            grace: Annotated[int | None, typer.Option(
                "--grace", metavar="MINUTES",
                help="Minutes the next team has to acknowledge a hand-off.")] = None,
            json: JsonOpt = False) -> None:
    """Give a team its time zone and weekly shift hours (replacing the old ones).

    Example: watchkeeper shifts set us --tz US/Eastern -H "mon-fri 9:00-17:00"
      watchkeeper shifts set apac --tz Asia/Tokyo -H "daily 22:00-06:00" --grace 45
    """
    shown = _ws(ctx).shifts_set(team, tz, hours, grace_minutes=grace)
    if json:
        render.emit(shown)
        return
    render.show_shifts((shown,))


@app.command("show")
def show_cmd(ctx: typer.Context,
             team: Annotated[str | None, typer.Argument(
                 metavar="[TEAM]", help="One team (default: every team).")] = None,
             json: JsonOpt = False) -> None:
    """Show teams' shift hours, holidays, and who is on shift now.

    Example: watchkeeper -w ws shifts show
      watchkeeper -w ws shifts show soc-eu --json
    """
    found = _ws(ctx).shifts_show(team)
    if json:
        render.emit_all(found)
        return
    render.show_shifts(found)


@app.command("holiday")
def holiday_cmd(ctx: typer.Context, team: TeamArg,
                day: Annotated[str, typer.Argument(metavar="DAY",
                                                   help="The team's local day, YYYY-MM-DD.")],
                name: Annotated[str, typer.Option("--name", help="What the day is.")] = "",
                remove: Annotated[bool, typer.Option(
                    "--remove", help="It is a working day again.")] = False,
                json: JsonOpt = False) -> None:
    """Make a day a holiday for a team (no shift that day), or not any more.

    Example: watchkeeper -w ws shifts holiday soc-eu 2025-12-25 --name "Christmas Day"
      watchkeeper -w ws shifts holiday soc-eu 2025-12-25 --remove
    """
    ws, when = _ws(ctx), parse_day(day, "DAY")
    found = ws.holiday_remove(team, when) if remove else ws.holiday_add(team, when, name)
    if json:
        render.emit(found)
        return
    verb = "No longer a holiday" if remove else "Holiday"
    out.print(Text(f"{verb} for {team}: {found.day.isoformat()}"
                   + (f" ({found.name})" if found.name else "")))


@app.command("handoff")
def handoff_cmd(ctx: typer.Context,
                ident: Annotated[int | None, typer.Argument(
                    metavar="[ID]", help="A hand-off (default: the team's latest).")] = None,
                team: Annotated[str | None, typer.Option(
                    "--team", metavar="TEAM", help="The team handing off.")] = None,
                listing: Annotated[bool, typer.Option(
                    "--list", help="List hand-offs (from or to --team) instead.")] = False,
                pending: Annotated[bool, typer.Option(
                    "--pending", help="With --list: only those not acknowledged.")] = False,
                who: AsOpt = None, json: JsonOpt = False) -> None:
    """Print a hand-off: open cases, their SLA clocks, last notes and next step.

    Reading it is recorded in the audit log.

    Example: watchkeeper -w ws shifts handoff --team soc-eu
      watchkeeper -w ws shifts handoff 12 --json
      watchkeeper -w ws shifts handoff --list --pending
    """
    ws = _ws(ctx)
    if listing:
        found = ws.handoffs(team, pending=pending)
        if json:
            render.emit_all(found)
        else:
            render.show_handoffs(found)
        return
    view = ws.handoff_show(ws.case_viewer(who), ident, team=team)
    if json:
        render.emit(view)
        return
    render.show_handoff(view)


@app.command("ack")
def ack_cmd(ctx: typer.Context,
            ident: Annotated[int, typer.Argument(metavar="ID", help="The hand-off.")],
            who: AsOpt = None, json: JsonOpt = False) -> None:
    """Acknowledge a hand-off for the receiving team (a member, a lead or an admin).

    Example: watchkeeper -w ws shifts ack 12 --as uma
    """
    ws = _ws(ctx)
    render.show_handoff_ack(ws.handoff_acknowledge(ws.case_viewer(who), ident), json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="shifts")
