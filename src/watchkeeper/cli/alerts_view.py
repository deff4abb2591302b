"""How `watchkeeper alerts` shows the queue to a person (80 columns, text escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import out

if TYPE_CHECKING:
    from watchkeeper.cases.alerts import IntakeResult
    from watchkeeper.cases.grouping import GroupingRuleInfo
    from watchkeeper.cases.queue import AlertDetail, AlertPage
    from watchkeeper.cases.suppression import SuppressionInfo
    from watchkeeper.cases.sync import SyncReport

TITLE_WIDTH = 60


def intake_lines(result: IntakeResult) -> None:
    out.print(f"  {result.new:,} new, {result.updated:,} updated, {result.duplicates:,} "
              f"already queued; {result.suppressed:,} suppressed, {result.grouped:,} "
              "joined a group", highlight=False)


def queued_line(sync: SyncReport | None) -> None:
    """What `detect` or `analyze` put in the alert queue, one line."""
    if sync is not None and sync.intake.received:
        got = sync.intake
        out.print(f"[bold]Queued[/] {got.new:,} new and {got.updated:,} changed alert(s): "
                  "watchkeeper alerts list", highlight=False)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def _clip(text: str | None, width: int = TITLE_WIDTH) -> str:
    value = " ".join((text or "").split())
    return escape(value if len(value) <= width else value[:width - 1] + "…")


def alert_table(found: AlertPage) -> None:
    if not found.items:
        out.print("no alerts match")
        return
    total = f"{found.total:,}" + ("" if found.total_exact else "+")
    table = Table(title=f"Alerts ({len(found.items):,} of {total})",
                  title_justify="left")
    for name in ("id", "activity", "sev", "status", "alert / people"):
        table.add_column(name, overflow="fold")
    for a in found.items:
        people = ", ".join(a.subjects) or ", ".join(a.hosts)
        table.add_row(str(a.id), _when(a.event_time), a.severity_name[:4], escape(a.status),
                      f"{_clip(a.title, 44)}\n[dim]{_clip(people, 44)}[/]")
    out.print(table)
    if found.next_cursor is not None:
        out.print(f"more: --cursor {found.next_cursor}", highlight=False, soft_wrap=True)


def alert_detail(d: AlertDetail) -> None:
    out.print(f"[bold]Alert {d.id}[/] {escape(d.title)}", soft_wrap=True)
    rows = [
        ("status", f"{d.status} (source says {d.source_status})"
         if d.status != d.source_status else d.status),
        ("severity", d.severity_name), ("rule", f"{d.rule or '-'} ({d.rule_id or '-'})"),
        ("source", f"{d.source} {d.source_ref}"), ("activity", f"{_when(d.first_seen)} .. "
                                                              f"{_when(d.last_seen)}"),
        ("event time", _when(d.event_time)), ("received", _when(d.received_at)),
        ("people", ", ".join(d.subjects) or "-"), ("hosts", ", ".join(d.hosts) or "-"),
        ("region", d.region or "-"), ("re-sent", f"{d.duplicates:,} time(s) unchanged"),
    ]
    if d.observables:
        rows.append(("observables", ", ".join(f"{o.type}:{o.value}" for o in d.observables)))
    if d.finding_ids:
        rows.append(("findings", " ".join(d.finding_ids)))
    if d.event_refs:
        rows.append(("events", " ".join(d.event_refs)))
    if d.group is not None:
        rows.append(("group", f"{d.group.id} by {d.group.rule or '(removed rule)'}: "
                              f"{d.group.alert_count:,} alert(s), {_when(d.group.first_at)}"
                              f" .. {_when(d.group.last_at)}"))
    if d.case_id is not None:
        rows.append(("case", str(d.case_id)))
    if d.suppression is not None:
        rows.append(("suppressed", f"by {d.suppression.id} ({d.suppression.owner}): "
                                   f"{d.suppression.reason}"))
    for name, value in rows:
        out.print(f"  {name:<12}{escape(value)}", highlight=False, soft_wrap=True)
    if d.description:
        out.print(f"  {'description':<12}{escape(d.description)}", highlight=False)
    for change in d.changes:
        fields = ", ".join(f"{k}: {v.before!r} -> {v.after!r}" for k, v in change.fields.items())
        out.print(f"  changed {_when(change.at)}: {escape(fields or 'payload only')}",
                  highlight=False)


def suppression_table(found: Sequence[SuppressionInfo], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("id", "matches", "until", "owner", "alerts", "reason"):
        table.add_column(name, overflow="fold")
    for s in found:
        match = " ".join(f"{k}={v}" for k, v in sorted(s.match.items()))
        until = _when(s.expires_at) if s.active else f"ended {_when(s.expires_at)}"
        table.add_row(str(s.id), escape(match), until, escape(s.owner), f"{s.alerts:,}",
                      _clip(s.reason, 30))
    out.print(table)


def rule_table(found: Sequence[GroupingRuleInfo], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("name", "keys", "window", "groups", "alerts"):
        table.add_column(name, overflow="fold")
    for r in found:
        table.add_row(escape(r.name), escape(", ".join(r.keys)), r.window, f"{r.groups:,}",
                      f"{r.alerts:,}")
    out.print(table)
