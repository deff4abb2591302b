"""Human output of the `shifts`, `sla` and `teams seed` commands, within 80 columns;
user text is never markup. Times are UTC."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:
    from watchkeeper.ops.casesla import CaseSlaView
    from watchkeeper.ops.compliance import SlaReport
    from watchkeeper.ops.handoff import HandoffSummary, HandoffView
    from watchkeeper.ops.notify import NotificationView
    from watchkeeper.ops.seed import SeedReport
    from watchkeeper.ops.shifts import TeamShifts
    from watchkeeper.ops.sla import ClockView, SlaPolicyInfo

NOTE_CHARS = 160


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else "-"


def duration(seconds: int | None) -> str:
    """``1d4h``, ``45m``, ``-2h10m`` (overdue)."""
    if seconds is None:
        return "-"
    sign, left = ("-" if seconds < 0 else ""), abs(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    text = "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (left // 60, "m")) if v)
    return sign + (text or "0m")


def table(*columns: str) -> Table:
    found = Table(box=None, pad_edge=False, header_style="bold")
    for name in columns:
        found.add_column(name, overflow="fold")
    return found


def emit(value: Any) -> None:
    emit_json(asdict(value))


def emit_all(values: tuple[Any, ...]) -> None:
    emit_json([asdict(v) for v in values])


# -- shifts ------------------------------------------------------------------------------

def show_shifts(found: tuple[TeamShifts, ...]) -> None:
    if not found:
        out.print("No teams (watchkeeper teams add NAME --region R).", markup=False)
        return
    for t in found:
        state = (f"on shift until {when(t.shift_ends)}" if t.on_shift
                 else f"off shift, next from {when(t.next_start)}" if t.next_start
                 else "no shift hours" if t.timezone is None else "no shift ahead")
        out.print(Text.assemble((t.team, "bold"), f" ({', '.join(t.regions) or '-'}): ",
                                state))
        if t.timezone is not None:
            out.print(Text(f"  {t.timezone}; hand-off acknowledged within "
                           f"{t.handoff_grace_minutes} min"))
            out.print(Text("  " + "; ".join(_compact(t.hours))))
        for h in t.holidays[:5]:
            out.print(Text(f"  holiday {h.day.isoformat()}" + (f" {h.name}" if h.name else "")))
        if len(t.holidays) > 5:
            out.print(Text(f"  and {len(t.holidays) - 5} more holidays (--json)"))


def _compact(hours: tuple[str, ...]) -> list[str]:
    """``mon 08:00-16:00``..``fri 08:00-16:00`` → ``mon,tue,wed,thu,fri 08:00-16:00``."""
    by_span: dict[str, list[str]] = {}
    for text in hours:
        day, span = text.split(" ", 1)
        by_span.setdefault(span, []).append(day)
    return [f"{','.join(days)} {span}" for span, days in by_span.items()]


# -- hand-offs ---------------------------------------------------------------------------

def show_handoff(view: HandoffView) -> None:
    h = view.handoff
    out.print(Text.assemble((f"Hand-off {h.id}", "bold"),
                            f": {h.team} -> {h.to_team or '-'}, shift ended {when(h.shift_end)}"))
    state = {"acknowledged": f"acknowledged by {h.acknowledged_by} at "
                             f"{when(h.acknowledged_at)}",
             "flagged": f"FLAGGED: not acknowledged by {when(h.ack_due_at)}",
             "pending": f"to acknowledge by {when(h.ack_due_at)}"}[h.state]
    out.print(Text(f"  {state}; {h.cases} open case(s)"
                   + (f", {view.withheld} you may not open" if view.withheld else "")))
    for i in view.items:
        out.print()
        where = f"passed to {h.to_team}" if i.moved else f"stays with {h.team}"
        out.print(Text.assemble((f"Case {i.case_id}", "bold"),
                                f" [{_severity(i.severity)}, {i.status}, priority "
                                f"{i.priority or '-'}] {i.title} ({where})"))
        out.print(Text(f"  assignee {i.assignee or '-'}; acknowledge {i.ack_state}"
                       f"{', due ' + when(i.ack_due_at) if i.ack_due_at else ''}; resolve "
                       f"{i.resolve_state}"
                       f"{', due ' + when(i.resolve_due_at) if i.resolve_due_at else ''}"))
        out.print(Text(f"  next: {i.next_step}"))
        for n in i.notes:
            body = " ".join(n.body.split())
            body = body if len(body) <= NOTE_CHARS else body[:NOTE_CHARS - 1] + "…"
            out.print(Text(f"  note {n.created_at:%Y-%m-%d %H:%M} {n.author}: {body}"))


def show_handoffs(found: tuple[HandoffSummary, ...]) -> None:
    if not found:
        out.print("No hand-offs.", markup=False)
        return
    rows = table("id", "from", "to", "shift end (UTC)", "cases", "state")
    for h in found:
        rows.add_row(str(h.id), escape(h.team), escape(h.to_team or "-"),
                     f"{h.shift_end:%Y-%m-%d %H:%M}", str(h.cases), h.state)
    out.print(rows)


def show_handoff_ack(h: HandoffSummary, json: bool) -> None:
    if json:
        emit(h)
        return
    late = " (after it was flagged)" if h.flagged_at is not None else ""
    out.print(Text(f"Acknowledged hand-off {h.id} from {h.team}{late}"))


# -- SLAs --------------------------------------------------------------------------------

def _severity(value: int) -> str:
    names = ("unknown", "informational", "low", "medium", "high", "critical", "fatal")
    return names[value] if 0 <= value < len(names) else str(value)


def show_policies(found: tuple[SlaPolicyInfo, ...]) -> None:
    if not found:
        out.print("No SLA policies (watchkeeper sla policy high --ack 1h --resolve 8h).",
                  markup=False)
        return
    rows = table("severity", "acknowledge", "resolve", "clock", "on breach")
    for p in found:
        then = ["raise priority"] if p.raise_priority else []
        then += [f"team {p.escalate_team}"] if p.escalate_team else []
        then += [f"assign {p.escalate_assignee}"] if p.escalate_assignee else []
        rows.add_row(p.severity_name, duration(p.acknowledge_seconds),
                     duration(p.resolve_seconds), p.clock,
                     escape(", ".join(["escalate", *then])))
    out.print(rows)


def show_case_sla(view: CaseSlaView, verb: str = "Case") -> None:
    policy = view.policy
    head = (f"{policy.severity_name}: {duration(policy.acknowledge_seconds)} to acknowledge, "
            f"{duration(policy.resolve_seconds)} to resolve, {policy.clock} clock"
            if policy is not None else f"no SLA policy for severity {_severity(view.severity)}")
    out.print(Text.assemble((f"{verb} {view.case_id}", "bold"), f" ({view.team or 'no team'})"
                            f": {head}"))
    for clock in (view.acknowledge, view.resolve):
        out.print(Text(f"  {clock.kind}: {_clock(clock)}"))
    if view.acknowledged_at is not None:
        out.print(Text(f"  acknowledged by {view.acknowledged_by} at "
                       f"{when(view.acknowledged_at)}"))
    if view.waiting_on is not None:
        out.print(Text(f"  waiting on {view.waiting_on}"))
    for b in view.breaches:
        out.print(Text(f"  breached {b.kind} (due {when(b.due_at)}): "
                       f"{'; '.join(b.actions) or 'recorded'}"))


def _clock(c: ClockView) -> str:
    if c.state == "none":
        return "no policy"
    ran = f"{duration(c.elapsed_seconds)} of {duration(c.target_seconds)}"
    if c.state == "running":
        return f"running, {ran}, due {when(c.due_at)}"
    if c.state == "breached":
        return f"BREACHED at {when(c.due_at)} ({ran})"
    if c.state == "paused":
        return f"paused, {ran}"
    return f"met at {when(c.stopped_at)} ({ran})"


def show_report(report: SlaReport) -> None:
    out.print(Text(f"SLA compliance of {report.cases} case(s) created "
                   f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} (as of "
                   f"{when(report.at)}); {report.uncovered} without a policy"))
    for title, rows in (("team", report.by_team), ("severity", report.by_severity),
                        ("region", report.by_region), ("", (report.overall,))):
        if not rows:
            continue
        out.print()
        found = table(title or "overall", "cases", "ack met", "ack late", "ack %",
                      "res met", "res late", "res %")
        for r in rows:
            found.add_row(escape(r.group), str(r.cases), str(r.ack_met), str(r.ack_breached),
                          _pct(r.ack_compliance), str(r.resolve_met),
                          str(r.resolve_breached), _pct(r.resolve_compliance))
        out.print(found)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


# -- seeding and notifications -------------------------------------------------------------

def show_seed(report: SeedReport) -> None:
    out.print(Text(f"Seeded from {report.path}"))
    for t in report.teams:
        parts = ["created" if t.created else "exists", f"calendar {t.calendar}",
                 f"{t.holidays_added} holiday(s) added"]
        if t.regions_kept:
            parts.append("regions differ from the file: the store's kept")
        out.print(Text(f"  team {t.name}: {', '.join(parts)}"))
    if report.policies:
        out.print(Text(f"  SLA policies set: {', '.join(report.policies)}"))
    if report.policies_kept:
        out.print(Text(f"  SLA policies kept: {', '.join(report.policies_kept)} "
                       "(--replace to overwrite)"))


def show_notifications(found: tuple[NotificationView, ...]) -> None:
    if not found:
        out.print("No notifications.", markup=False)
        return
    rows = table("id", "at (UTC)", "kind", "message")
    for n in found:
        rows.add_row(str(n.id), f"{n.created_at:%m-%d %H:%M}", n.kind, escape(n.message))
    out.print(rows)
