"""How rule statistics, allow-list proposals and watchlists show on the command line
(80 columns, text escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import out

if TYPE_CHECKING:
    from watchkeeper.ops.allowlist import ProposalInfo
    from watchkeeper.ops.rulestats import RuleCount, RuleStats
    from watchkeeper.ops.watchlists import WatchlistInfo

GROUPS = {"rule": "rules", "source": "sources", "team": "rule_teams"}
TEAM_WIDTH = 12


def duration(seconds: float | None) -> str:
    """``45m``, ``3.2h``, ``2.1d``; ``-`` for none."""
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def stats_table(st: RuleStats, by: str) -> None:
    """One row per group of `by` (rule, source or team: rule x team), the total last."""
    groups: Sequence[RuleCount] = getattr(st, GROUPS[by])
    period = " ".join(p for p in (f"from {st.since:%Y-%m-%d}" if st.since else "",
                                  f"before {st.until:%Y-%m-%d}" if st.until else "") if p)
    table = Table(title=f"Rule precision by {by}{' ' + period if period else ''}",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, collapse_padding=True,
                  caption="prec = TP / (TP + FP); benign counts as FP, see "
                          "docs/operations.md", caption_justify="left")
    heads = ("rule", "team") if by == "team" else (by,)
    numbers = ("alerts", "supp", "judged", "TP", "FP", "prec", "median")
    rows = [[*_labels(c, by, c is st.total), *_numbers(c)] for c in [*groups, st.total]]
    widths = [max(len(h), *(len(r[k + len(heads)]) for r in rows))
              for k, h in enumerate(numbers)]
    team = max((len(r[1]) for r in rows), default=4) if by == "team" else 0
    # between columns: one space of (collapsed) padding and the box's blank divider
    name_width = max(12, out.width - 2 * (len(heads) + len(numbers) - 1) - sum(widths)
                     - team)
    for col in (*heads, *numbers):
        table.add_column(col, no_wrap=True, justify="left" if col in heads else "right")
    for r in rows:
        table.add_row(escape(_cut(r[0], name_width)), *(escape(v) for v in r[1:]))
    out.print(table)


def _labels(c: RuleCount, by: str, total: bool) -> list[str]:
    if total:
        return ["total", ""] if by == "team" else ["total"]
    name = (c.source if by == "source" else c.rule) or "-"
    return [name, _cut(c.team or "(none)", TEAM_WIDTH)] if by == "team" else [name]


def _numbers(c: RuleCount) -> list[str]:
    return [f"{c.alerts:,}", _share(c.suppressed_share), f"{c.judged:,}",
            f"{c.true_positives:,}", f"{c.false_positives:,}", _share(c.precision),
            duration(c.median_seconds_to_verdict)]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment is not None else "-"


def proposal_table(found: Sequence[ProposalInfo], title: str) -> None:
    if not found:
        out.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, collapse_padding=True)
    for col in ("id", "case", "status", "rule / field=value", "by", "reason"):
        table.add_column(col, overflow="fold", no_wrap=col == "rule / field=value")
    for p in found:
        who = p.proposer if p.reviewer is None else f"{p.proposer}\n{p.reviewer}"
        status = p.status if p.expires_at is None else \
            f"{p.status}\nto {_when(p.expires_at)}"
        table.add_row(str(p.id), str(p.case_id or "-"), status,
                      f"{escape(p.rule)}\n{p.field}={escape(p.value)}", escape(who),
                      escape(_cut(p.review_note or p.reason, 40)))
    out.print(table)


def proposal_line(p: ProposalInfo) -> None:
    state = {"pending": "pending a lead's review", "accepted":
             f"accepted by {p.reviewer}: suppression {p.suppression_id} until "
             f"{_when(p.expires_at)}", "rejected": f"rejected by {p.reviewer}"}[p.status]
    out.print(f"Allow-list proposal {p.id} (case {p.case_id}): {escape(p.rule)} for "
              f"{p.field} {escape(p.value)}, {state}", highlight=False)


def watch_table(found: Sequence[WatchlistInfo], title: str) -> None:
    if not found:
        out.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, collapse_padding=True)
    for col in ("id", "person", "list", "by", "days", "reason"):
        table.add_column(col, overflow="fold", no_wrap=col in ("person", "list", "days"))
    for w in found:
        days = f"{w.since}\n{'to ' + str(w.until) if w.until else 'onward'}"
        if w.removed_at is not None:
            days += f"\nremoved {_when(w.removed_at)}"
        by = w.origin if w.origin == "hr" and w.id is None else \
            f"{w.origin}\n{escape(w.added_by)}"
        table.add_row(str(w.id) if w.id is not None else "HR", w.person,
                      escape(w.watchlist), by, days, escape(w.reason))
    out.print(table)


def watch_line(w: WatchlistInfo, verb: str) -> None:
    span = f"{w.since} to {w.until}" if w.until else f"from {w.since}"
    out.print(f"{verb} {w.person} on {escape(w.watchlist)} {span} (entry {w.id}, "
              f"{w.origin})", highlight=False)
    out.print("The next `watchkeeper analyze` applies it to risk.", highlight=False)
