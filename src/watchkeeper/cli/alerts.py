"""`watchkeeper alerts ...`: the alert queue (intake, listing, grouping, suppression)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli import alerts_view as view
from watchkeeper.cli.render import emit_json, out, parse_day
from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.cases.queue import AlertQuery

app = typer.Typer(name="alerts", no_args_is_help=True, help="""\
The alert queue: take alerts in, list them, group and suppress them.

The workspace's own findings and risk alerts enter the queue after
`detect` and `analyze`; alerts of other tools come in by `alerts import`.
People show as pseudonyms.

Example: watchkeeper -w ws alerts list --status new --severity high
  watchkeeper -w ws alerts import sentinel-incidents.json
""")
group_rules = typer.Typer(name="group-rule", no_args_is_help=True, help="""\
Grouping rules: alerts with equal keys within a window share a group.

Example: watchkeeper -w ws alerts group-rule add same-person --key subject --window 24h
  watchkeeper -w ws alerts group-rule list
""")
app.add_typer(group_rules)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
SEVERITIES = ("unknown", "informational", "low", "medium", "high", "critical", "fatal")


@app.command("sync")
def sync_cmd(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Queue the workspace's findings and risk alerts not queued yet.

    `detect` and `analyze` do this when they end; run it after either said that
    their alerts could not be queued. Running it again queues nothing twice.

    Example: watchkeeper -w ws alerts sync
      watchkeeper -w ws alerts sync --json
    """
    report = ctx.obj.open(create=False).alerts_sync()
    if json:
        emit_json(asdict(report))
        return
    out.print(f"[bold]Synced[/] {report.findings:,} finding(s) and {report.risk_alerts:,} "
              "risk alert(s)")
    view.intake_lines(report.intake)


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE...", help="JSON or JSON-lines files of alerts.")],
    fmt: Annotated[str | None, typer.Option(
        "--format", metavar="FORMAT",
        help="ocsf, splunk, sentinel or elastic (default: recognized per alert).")] = None,
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", metavar="FILE", help="Alert mapping (YAML) for any other JSON.")] = None,
    json: JsonOpt = False,
) -> None:
    """Take in alert files: OCSF 2004/2006, Splunk, Sentinel, Elastic, or mapped JSON.

    All files are one batch: a malformed or unknown alert stores nothing and is named
    (file, line, field). An alert sent before is counted, not stored again; one whose
    content changed is updated and the change recorded.

    Example: watchkeeper -w ws alerts import incidents.json dlp.jsonl
      watchkeeper -w ws alerts import acme.json --mapping acme.yaml --json
    """
    result = ctx.obj.open(create=False).alerts_import(files, fmt, mapping)
    if json:
        emit_json(asdict(result))
        return
    out.print(f"[bold]Imported[/] {result.received:,} alert(s) from {len(files):,} file(s)")
    view.intake_lines(result)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option(
        "--status", help="new, in_progress, suppressed, resolved, … (repeatable).")] = None,
    severity: Annotated[list[str] | None, typer.Option(
        "--severity", help="informational … critical, or 0-6 (repeatable).")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Rule name or id.")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="watchkeeper.detect, watchkeeper.risk, sentinel, …")] = None,
    person: Annotated[str | None, typer.Option(
        "--person", metavar="PSEUDONYM", help="Alerts about this person.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Host name.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="First day of activity (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", help="Last day of activity (YYYY-MM-DD, UTC).")] = None,
    group: Annotated[int | None, typer.Option("--group", help="Alert group id.")] = None,
    sort: Annotated[str, typer.Option(
        "--sort", help="-time, time, -severity, severity, -received, received.")] = "-time",
    limit: Annotated[int, typer.Option("--limit", help="Alerts per page (1-1000).")] = 50,
    cursor: Annotated[str | None, typer.Option(
        "--cursor", help="Continue where a page ended (its next_cursor).")] = None,
    json: JsonOpt = False,
) -> None:
    """List the queue, newest activity first, filtered and paged.

    Example: watchkeeper -w ws alerts list --status new --severity high --severity critical
      watchkeeper -w ws alerts list --person P-7KQ2-M9XD --since 2024-06-01 --json
      watchkeeper -w ws alerts list --status suppressed --sort -received
    """
    query = alert_query(status or [], severity or [], rule, source, host, since, until,
                        group, sort, limit, cursor)
    found = ctx.obj.open(create=False).alerts_list(query, person=person)
    if json:
        emit_json(asdict(found))
    else:
        view.alert_table(found)


@app.command("show")
def show_cmd(ctx: typer.Context, alert_id: Annotated[int, typer.Argument(
        metavar="ID", help="Alert id (see `alerts list`).")], json: JsonOpt = False) -> None:
    """Show one alert in full: findings and events behind it, changes, group.

    Example: watchkeeper -w ws alerts show 42
      watchkeeper -w ws alerts show 42 --json
    """
    detail = ctx.obj.open(create=False).alert(alert_id)
    if json:
        emit_json(asdict(detail))
    else:
        view.alert_detail(detail)


@app.command("suppress")
def suppress_cmd(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    owner: Annotated[str, typer.Option("--owner", help="Who answers for it (required).")],
    expires: Annotated[str, typer.Option(
        "--expires", help="Last day it applies (YYYY-MM-DD, UTC; required).")],
    rule: Annotated[str | None, typer.Option("--rule", help="Rule name or id.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", metavar="PSEUDONYM", help="A person, by pseudonym.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Host name.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Alert source.")] = None,
    json: JsonOpt = False,
) -> None:
    """Suppress matching alerts until a day: still stored, counted and listed.

    Alerts received while it is in force that match every field given are marked
    suppressed (`alerts list --status suppressed`) instead of waiting in the queue.

    Example: watchkeeper -w ws alerts suppress --rule first_usb_use --host PC-1
        --reason "USB pilot" --owner lead --expires 2024-07-31
      watchkeeper -w ws alerts suppress --subject P-7KQ2-M9XD --reason "on leave"
        --owner hr --expires 2024-08-15
    """
    info = ctx.obj.open(create=False).suppress(
        reason=reason, owner=owner, expires=parse_day(expires, "--expires"), rule=rule,
        person=subject, host=host, source=source)
    if json:
        emit_json(asdict(info))
    else:
        view.suppression_table((info,), "Suppression added")


@app.command("suppressions")
def suppressions_cmd(ctx: typer.Context, ended: Annotated[bool, typer.Option(
        "--all", help="Also expired and lifted ones.")] = False,
                     json: JsonOpt = False) -> None:
    """List suppressions in force, with the alerts each marked.

    Example: watchkeeper -w ws alerts suppressions
      watchkeeper -w ws alerts suppressions --all --json
    """
    found = ctx.obj.open(create=False).suppressions(ended=ended)
    if json:
        emit_json([asdict(s) for s in found])
    elif not found:
        out.print("no suppressions" + ("" if ended else " in force"))
    else:
        view.suppression_table(found, "Suppressions")


@app.command("lift")
def lift_cmd(ctx: typer.Context, ident: Annotated[int, typer.Argument(
        metavar="ID", help="Suppression id (see `alerts suppressions`).")],
             json: JsonOpt = False) -> None:
    """End a suppression now; the alerts it marked stay marked.

    Example: watchkeeper -w ws alerts lift 3
    """
    info = ctx.obj.open(create=False).lift_suppression(ident)
    if json:
        emit_json(asdict(info))
    else:
        view.suppression_table((info,), "Suppression lifted")


@group_rules.command("add")
def rule_add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The rule's name.")],
    key: Annotated[list[str], typer.Option(
        "--key", help="rule, rule_id, subject, host, source, severity, title, region, "
        "class_uid (repeatable, required).")],
    window: Annotated[str, typer.Option(
        "--window", help="Time window: 30m, 24h, 7d, 1d12h (required).")],
    json: JsonOpt = False,
) -> None:
    """Add a grouping rule; alerts received from now on are grouped by it.

    Example: watchkeeper -w ws alerts group-rule add by-rule --key rule --window 24h
      watchkeeper -w ws alerts group-rule add per-person --key rule --key subject --window 7d
    """
    from watchkeeper.cases.grouping import parse_window
    info = ctx.obj.open(create=False).grouping_rule_add(name, key, parse_window(window))
    if json:
        emit_json(asdict(info))
    else:
        view.rule_table((info,), "Grouping rule added")


@group_rules.command("list")
def rule_list_cmd(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List grouping rules, with the groups and alerts each made.

    Example: watchkeeper -w ws alerts group-rule list --json
    """
    found = ctx.obj.open(create=False).grouping_rules()
    if json:
        emit_json([asdict(r) for r in found])
    elif not found:
        out.print("no grouping rules")
    else:
        view.rule_table(found, "Grouping rules")


@group_rules.command("remove")
def rule_remove_cmd(ctx: typer.Context, name: Annotated[str, typer.Argument(
        metavar="NAME", help="The rule's name.")], json: JsonOpt = False) -> None:
    """Remove a grouping rule; the groups it made stay.

    Example: watchkeeper -w ws alerts group-rule remove per-person
    """
    info = ctx.obj.open(create=False).grouping_rule_remove(name)
    if json:
        emit_json(asdict(info))
    else:
        out.print(f"removed grouping rule {escape(info.name)} ({info.groups:,} group(s) "
                  "stay)", highlight=False)


def alert_query(status: list[str], severity: list[str], rule: str | None,
                source: str | None, host: str | None, since: str | None, until: str | None,
                group: int | None, sort: str, limit: int,
                cursor: str | None) -> AlertQuery:
    from watchkeeper.cases.queue import AlertQuery
    first = _midnight(parse_day(since, "--since")) if since is not None else None
    last = _midnight(parse_day(until, "--until")) + timedelta(days=1) \
        if until is not None else None
    return AlertQuery(status=tuple(status), severity=tuple(severity_of(s) for s in severity),
                      rule=rule, source=source, host=host, since=first, until=last,
                      group_id=group, sort=sort, limit=limit, cursor=cursor)


def severity_of(text: str) -> int:
    """A severity name (``high``) or number (0-6)."""
    value = text.strip().lower()
    if value.isdigit() and int(value) < len(SEVERITIES):
        return int(value)
    names = {"info": "informational", "med": "medium", "crit": "critical"}
    value = names.get(value, value)
    if value not in SEVERITIES:
        raise ConfigError(f"--severity {text!r}: expected one of {', '.join(SEVERITIES)} "
                          "or 0-6")
    return SEVERITIES.index(value)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
