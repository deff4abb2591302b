"""`watchkeeper sla policy|show|ack|pause|resume|report` and `watchkeeper notifications`:
SLA policies per severity, a case's clocks, pauses waiting on an external party,
compliance per team, severity and region, and one's in-app notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli import ops_render as render
from watchkeeper.cli.period import PeriodOpt, chosen
from watchkeeper.ops.period import Period

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

app = typer.Typer(no_args_is_help=True, help="""SLAs: time to acknowledge and to resolve,
per severity, on the wall clock or the owning team's business hours.

A breach raises the case's priority, escalates it, reassigns it if the policy
says so, and notifies its assignee and team leads (once).

Example: watchkeeper sla policy high --ack 1h --resolve 8h --clock business
  watchkeeper -w ws sla show 12
  watchkeeper -w ws sla report --period 2025-03
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
    help="Act as this account (else the one named like your login).")]
CaseArg = Annotated[int, typer.Argument(metavar="CASE", help="The case id.")]
REPORT_DAYS = 30


def _ws(ctx: typer.Context) -> Workspace:
    return ctx.obj.open(create=False)  # type: ignore[no-any-return]


@app.command("policy")
def policy_cmd(ctx: typer.Context,
               severity: Annotated[str, typer.Argument(
                   metavar="SEVERITY", help="informational, low, medium, high, critical, "
                                            "fatal (or 0-6).")],
               ack: Annotated[str | None, typer.Option(
                   "--ack", metavar="DURATION", help="Time to acknowledge: 15m, 4h, 1h30m, "
                                                     "2d.")] = None,
               resolve: Annotated[str | None, typer.Option(
                   "--resolve", metavar="DURATION", help="Time to resolve.")] = None,
               clock: Annotated[str, typer.Option(
                   "--clock", metavar="CLOCK",
                   help="wall, or business: the owning team's shift hours.")] = "wall",
               escalate_team: Annotated[str | None, typer.Option(
                   "--escalate-team", metavar="TEAM",
                   help="On breach, move the case to this team (if it may see it).")] = None,
               escalate_to: Annotated[str | None, typer.Option(
                   "--escalate-to", metavar="USER",
                   help="On breach, assign the case to this account.")] = None,
               keep_priority: Annotated[bool, typer.Option(
                   "--keep-priority", help="On breach, leave the priority as it is.")] = False,
               remove: Annotated[bool, typer.Option(
                   "--remove", help="Remove the policy for this severity.")] = False,
               json: JsonOpt = False) -> None:
    """Set (or remove) the SLA policy for cases of one severity.

    Example: watchkeeper sla policy high --ack 1h --resolve 8h --clock business
      watchkeeper -w ws sla policy critical --ack 15m --resolve 4h --escalate-to lee
      watchkeeper -w ws sla policy low --remove
    """
    ws = _ws(ctx)
    if remove:
        found = ws.sla_policy_remove(severity)
    else:
        if ack is None or resolve is None:
            from watchkeeper.errors import ConfigError
            raise ConfigError("sla policy: give --ack and --resolve (or --remove)")
        found = ws.sla_policy_set(severity, ack, resolve, clock,
                                  raise_priority=not keep_priority,
                                  escalate_team=escalate_team, escalate_assignee=escalate_to)
    if json:
        render.emit(found)
        return
    render.show_policies((found,))


@app.command("show")
def show_cmd(ctx: typer.Context,
             case: Annotated[int | None, typer.Argument(
                 metavar="[CASE]", help="A case (default: list the policies).")] = None,
             who: AsOpt = None, json: JsonOpt = False) -> None:
    """Show the SLA policies, or one case's clocks, pauses and breaches.

    Example: watchkeeper -w ws sla show
      watchkeeper -w ws sla show 12 --json
    """
    ws = _ws(ctx)
    if case is None:
        policies = ws.sla_policies()
        if json:
            render.emit_all(policies)
        else:
            render.show_policies(policies)
        return
    view = ws.case_sla(ws.case_viewer(who), case)
    if json:
        render.emit(view)
        return
    render.show_case_sla(view)


@app.command("ack")
def ack_cmd(ctx: typer.Context, case: CaseArg, who: AsOpt = None,
            json: JsonOpt = False) -> None:
    """Acknowledge a case: its acknowledge clock stops.

    Example: watchkeeper -w ws sla ack 12 --as ana
    """
    ws = _ws(ctx)
    view = ws.case_acknowledge(ws.case_viewer(who), case)
    if json:
        render.emit(view)
        return
    render.show_case_sla(view, "Acknowledged case")


@app.command("pause")
def pause_cmd(ctx: typer.Context, case: CaseArg,
              party: Annotated[str, typer.Option(
                  "--party", metavar="WHO", help="The external party the case waits on.")],
              reason: Annotated[str, typer.Option(
                  "--reason", metavar="TEXT", help="What the case waits for.")],
              who: AsOpt = None, json: JsonOpt = False) -> None:
    """Stop a case's SLA clocks while it waits on an external party.

    Example: watchkeeper -w ws sla pause 12 --party HR --reason "last working day"
    """
    ws = _ws(ctx)
    view = ws.sla_pause(ws.case_viewer(who), case, party, reason)
    if json:
        render.emit(view)
        return
    render.show_case_sla(view, "Paused case")


@app.command("resume")
def resume_cmd(ctx: typer.Context, case: CaseArg, who: AsOpt = None,
               json: JsonOpt = False) -> None:
    """Start a paused case's SLA clocks again.

    Example: watchkeeper -w ws sla resume 12
    """
    ws = _ws(ctx)
    view = ws.sla_resume(ws.case_viewer(who), case)
    if json:
        render.emit(view)
        return
    render.show_case_sla(view, "Resumed case")


@app.command("report")
def report_cmd(ctx: typer.Context, period: PeriodOpt = None,
               since: Annotated[str | None, typer.Option(
                   "--since", metavar="DAY",
                   help=f"First day (UTC) of cases created (default: {REPORT_DAYS} days "
                        "ago).")] = None,
               until: Annotated[str | None, typer.Option(
                   "--until", metavar="DAY", help="Last day, included (default: today).")
               ] = None,
               json: JsonOpt = False) -> None:
    """SLA compliance of the cases created in a period, per team, severity and region.

    Compliance is met / (met + breached); open clocks are counted apart.

    Example: watchkeeper -w ws sla report
      watchkeeper -w ws sla report --period 2025-03 --json
      watchkeeper -w ws sla report --since 2025-03-01 --until 2025-03-31
    """
    ws = _ws(ctx)
    now = ws.clock.now()
    start, end = (chosen(period, since, until) or Period.last_days(REPORT_DAYS, now)) \
        .closed(now)
    report = ws.sla_report(start, end)
    if json:
        render.emit(report)
        return
    render.show_report(report)


def notifications_cmd(ctx: typer.Context,
                      everything: Annotated[bool, typer.Option(
                          "--all", help="Read ones too.")] = False,
                      read: Annotated[list[int] | None, typer.Option(
                          "--read", metavar="ID", help="Mark as read (repeatable).")] = None,
                      who: AsOpt = None, json: JsonOpt = False) -> None:
    """Your in-app notifications: SLA breaches, hand-offs not acknowledged in time.

    Example: watchkeeper -w ws notifications --as lee
      watchkeeper -w ws notifications --read 4 --read 5
    """
    ws = _ws(ctx)
    viewer = ws.case_viewer(who)
    for ident in read or ():
        ws.notification_read(viewer, ident)
    found = ws.notifications(viewer, unread=not everything)
    if json:
        render.emit_all(found)
        return
    render.show_notifications(found)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sla")
    root.command("notifications")(notifications_cmd)
