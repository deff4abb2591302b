"""`watchkeeper findings list|show`: read the findings detection stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.audit import record_read
from watchkeeper.cli.detect import findings_table
from watchkeeper.cli.render import emit_json, out, parse_day

if TYPE_CHECKING:
    from watchkeeper.detect.review import FindingDetail

app = typer.Typer(name="findings", no_args_is_help=True,
                  help="""List stored findings and show one in full.

Example: watchkeeper -w ws findings list --rule insider.exfil.first_usb_use
  watchkeeper -w ws findings show 3f2a9c
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
#: Characters of a field value shown in the human view (the JSON has them whole).
VALUE_WIDTH = 120


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    rule: Annotated[str | None, typer.Option(
        "--rule", help="Rule id, or a dotted prefix of rule ids (insider.exfil).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="User id.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Host name.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="First day (YYYY-MM-DD, UTC).")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, help="Most findings shown, newest first (0: all).")] = 50,
    json: JsonOpt = False,
) -> None:
    """List stored findings, newest first, filtered by rule, user, host and day.

    Example: watchkeeper -w ws findings list --user ACM2278 --since 2010-06-01
    """
    day = parse_day(since, "--since") if since is not None else None
    found = ctx.obj.open(create=False).findings(rule=rule, user=user, host=host, since=day,
                                                limit=limit)
    if json:
        emit_json([f.to_dict() for f in found])
        return
    if not found:
        out.print("no findings match")
        return
    findings_table(found, f"Findings ({len(found):,}, newest first)")
    out.print("Show one in full: watchkeeper findings show ID (an id prefix is enough)",
              highlight=False)


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(
        metavar="ID", help="Finding id, or an unambiguous prefix of it.")],
    json: JsonOpt = False,
) -> None:
    """Show one finding in full.

    The rule, its level and ATT&CK tags, the person and host, the matched event(s), and
    which of the rule's selections matched which field and value, as the engine recorded
    it.

    Example: watchkeeper -w ws findings show wk:3f2a91c0
    """
    workspace = ctx.obj.open(create=False)
    detail = workspace.finding(finding_id)
    record_read(workspace, "finding.read", "finding", detail.finding.id)
    if json:
        emit_json(detail.to_dict())
    else:
        show(detail)


def _line(label: str, value: str) -> None:
    out.print(f"  {label:<10}{value}", markup=False, highlight=False, soft_wrap=True)


def show(detail: FindingDetail) -> None:
    f = detail.finding
    out.print(f"[bold]Finding {escape(f.id)}[/]", highlight=False)
    _line("rule", f.rule_id)
    _line("title", f.title)
    _line("level", f.severity)
    _line("ATT&CK", ", ".join(f.attack) or "-")
    _line("time", f.time.isoformat())
    person = dict(detail.person)
    known = ", ".join(person[k] for k in ("name", "department", "role") if k in person)
    _line("user", (f.user or "-") + (f" ({known})" if known else ""))
    _line("host", f.host or "-")
    for key, value in detail.context:
        _line(key, _short(value))
    if detail.matched:
        out.print("[bold]Matched[/] (as the engine evaluated the rule's selections)")
        for selection in detail.matched:
            state = "matched" if selection.matched else "did not match"
            out.print(f"  {selection.name}: {state}", markup=False, highlight=False)
            for m in selection.fields:
                value = "" if m.value is None else f" <- {_short(m.value)!r}"
                out.print(f"    {m.field}|{m.test}: {m.pattern!r}{value}", markup=False,
                          highlight=False, soft_wrap=True)
    shown = len(detail.events)
    out.print(f"[bold]Events[/] ({shown:,} of {detail.event_count:,} shown)")
    for event in detail.events:
        out.print(f"  {event.event_id}", markup=False, highlight=False)
        for key, value in event.fields:
            if key != "event_id":
                out.print(f"    {key}: {_short(value)}", markup=False, highlight=False,
                          soft_wrap=True)


def _short(value: str) -> str:
    return value if len(value) <= VALUE_WIDTH else value[:VALUE_WIDTH - 1] + "…"


def register(app_: typer.Typer) -> None:
    """Add the `findings` group to the main app."""
    app_.add_typer(app, name="findings")
