"""Human output of the `cases` commands, within 80 columns; user text is never markup."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:
    from watchkeeper.cases.detail import CaseDetail
    from watchkeeper.cases.views import CaseView

TIMELINE_LINES = 30   # timeline events shown (marked ones first); --json has them all
HISTORY_LINES = 15


def _t(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"


def show_view(view: CaseView, json: bool, verb: str) -> None:
    if json:
        doc = asdict(view)
        doc["severity_name"] = view.severity_name
        emit_json(doc)
        return
    out.print(f"[bold]{verb} case {view.id}[/]: {escape(view.title)}", soft_wrap=True)
    out.print(f"  {view.status}, severity {view.severity_name}, priority "
              f"{view.priority or '-'}, verdict {view.verdict or '-'}, assignee "
              f"{escape(view.assignee or '-')}", soft_wrap=True, highlight=False)


def show_list(items: tuple[CaseView, ...], cursor: str | None) -> None:
    if not items:
        out.print("no cases")
        return
    table = Table(title=f"Cases ({len(items)}, most recently changed first)",
                  title_justify="left")
    for name in ("id", "status", "sev", "assignee", "updated", "title"):
        table.add_column(name, overflow="fold")
    for v in items:
        table.add_row(str(v.id), v.status, v.severity_name,
                      escape(v.assignee or "-"), _t(v.updated_at), escape(v.title))
    out.print(table)
    if cursor:
        out.print(f"More: --cursor {cursor}", highlight=False, soft_wrap=True)


def show_detail(d: CaseDetail) -> None:
    c = d.case
    out.print(f"[bold]Case {c.id}[/]: {escape(c.title)}", soft_wrap=True)
    out.print(f"  status {c.status}, severity {c.severity_name}, priority "
              f"{c.priority or '-'}, verdict {c.verdict or '-'}", highlight=False)
    out.print(f"  assignee {escape(c.assignee or '-')}, team {escape(c.team or '-')}"
              f"{', restricted to ' + escape(', '.join(d.access)) if c.restricted else ''}",
              highlight=False, soft_wrap=True)
    out.print(f"  people {escape(', '.join(d.people) or '-')}; hosts "
              f"{escape(', '.join(d.hosts) or '-')}", highlight=False, soft_wrap=True)
    _section("Summary")
    out.print(d.summary.strip(), markup=False, highlight=False)
    _section(f"Alerts ({len(d.alerts)})")
    for a in d.alerts:
        out.print(f"  {a.id:>5} {_t(a.event_time)} sev {a.severity} {a.title}",
                  markup=False, highlight=False)
    _timeline(d)
    _section(f"Tasks ({len(d.tasks)})")
    for t in d.tasks:
        out.print(f"  {t.id:>5} [{'x' if t.done else ' '}] {t.title}"
                  f"{' (' + t.assignee + ')' if t.assignee else ''}", markup=False,
                  highlight=False)
    _section(f"Notes ({len(d.notes)})")
    for n in d.notes:
        out.print(f"  {n.id:>5} {_t(n.created_at)} {n.author}", markup=False,
                  highlight=False)
        out.print(n.body.strip(), markup=False, highlight=False)
    _section(f"History (last {min(HISTORY_LINES, len(d.events))} of {len(d.events)})")
    for e in d.events[-HISTORY_LINES:]:
        out.print(f"  {_t(e.at)} {e.actor} {e.action}", markup=False, highlight=False)


def _timeline(d: CaseDetail) -> None:
    tl = d.timeline
    _section(f"Timeline {_t(tl.start)} to {_t(tl.end)} UTC: {tl.total:,} events, "
             f"{len(tl.marked)} marked")
    shown = sorted(sorted(tl.events, key=lambda e: not e.marked)[:TIMELINE_LINES],
                   key=lambda e: (e.time, e.cls, e.event_id))
    for e in shown:
        out.print(f"  {'*' if e.marked else ' '} {_t(e.time)} {e.cls:<14} "
                  f"{e.user or e.host or ''}: {e.summary}", markup=False, highlight=False)
    if len(tl.events) > len(shown):
        out.print(f"  … {len(tl.events) - len(shown):,} more (--json has them all)",
                  highlight=False)


def _section(title: str) -> None:
    out.print()
    out.print(f"[bold]{escape(title)}[/]")
