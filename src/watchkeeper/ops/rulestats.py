"""Rule statistics from the queue and the verdicts: per rule, per source and per rule and
team, the alerts received, how many were suppressed, the verdicts, precision and the
median time from an alert's arrival to its case's verdict.

Counts are of the alerts a viewer's scope sees, received in an optional [since, until).
An alert's team is the team of its case (none outside a case). Verdicts count as
`watchkeeper.ops.verdicts` documents; precision is true / (true + false positives).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from watchkeeper.ops.verdicts import OUTCOMES, Judged, Outcome, count_alerts, judged_alerts, outcome
from watchkeeper.security.roles import Scope


@dataclass(frozen=True)
class RuleCount:
    """One group's alerts and verdicts. `rule`, `source` and `team` name the group (None
    where it does not split by it; `team` None in a rule x team row: no team)."""

    rule: str | None
    source: str | None
    team: str | None
    alerts: int
    suppressed: int
    judged: int
    true_positives: int
    false_positives: int
    undecided: int
    not_counted: int
    precision: float | None
    median_seconds_to_verdict: float | None
    suppressed_share: float


@dataclass(frozen=True)
class RuleStats:
    """Rule statistics of one period (`since`/`until` None: open)."""

    since: dt.datetime | None
    until: dt.datetime | None
    total: RuleCount
    rules: tuple[RuleCount, ...]
    sources: tuple[RuleCount, ...]
    rule_teams: tuple[RuleCount, ...]
    verdicts: dict[str, str]   # verdict word -> how it counts


Key = tuple[str | None, str | None, str | None]


@dataclass
class _Tally:
    alerts: int = 0
    suppressed: int = 0

    def __post_init__(self) -> None:
        self.outcomes: dict[Outcome, int] = defaultdict(int)
        self.seconds: list[float] = []


def rule_stats(session: Session, scope: Scope, *, since: dt.datetime | None = None,
               until: dt.datetime | None = None) -> RuleStats:
    """Per rule, source and rule x team: volume, suppressed share, verdicts, precision
    and median time to verdict, of the alerts `scope` sees received in [since, until)."""
    cells = count_alerts(session, scope, since=since, until=until)
    judged = judged_alerts(session, scope, since=since, until=until)
    groups: dict[str, Callable[[str, str, str | None], Key]] = {
        "total": lambda r, s, t: (None, None, None),
        "rules": lambda r, s, t: (r, None, None),
        "sources": lambda r, s, t: (None, s, None),
        "rule_teams": lambda r, s, t: (r, None, t),
    }
    out: dict[str, tuple[RuleCount, ...]] = {}
    for name, key in groups.items():
        tallies: dict[Key, _Tally] = defaultdict(_Tally)
        for rule, source, team, n, suppressed in cells:
            t = tallies[key(rule, source, team)]
            t.alerts += n
            t.suppressed += suppressed
        _add_verdicts(tallies, judged, key)
        out[name] = tuple(sorted((_count(k, t) for k, t in tallies.items()), key=_order))
    total = out["total"][0] if out["total"] else _count((None, None, None), _Tally())
    return RuleStats(since, until, total, out["rules"], out["sources"], out["rule_teams"],
                     {v.word: o.value for v, o in OUTCOMES.items()})


def _add_verdicts(tallies: dict[Key, _Tally], judged: Iterable[Judged],
                  key: Callable[[str, str, str | None], Key]) -> None:
    for j in judged:
        t = tallies[key(j.rule, j.source, j.team)]
        t.outcomes[outcome(j.verdict)] += 1
        t.seconds.append(max(0.0, (j.resolved_at - j.received_at).total_seconds()))


def _count(key: Key, t: _Tally) -> RuleCount:
    tp, fp = t.outcomes[Outcome.TRUE_POSITIVE], t.outcomes[Outcome.FALSE_POSITIVE]
    return RuleCount(
        rule=key[0], source=key[1], team=key[2], alerts=t.alerts, suppressed=t.suppressed,
        judged=len(t.seconds), true_positives=tp, false_positives=fp,
        undecided=t.outcomes[Outcome.UNDECIDED], not_counted=t.outcomes[Outcome.NOT_COUNTED],
        precision=tp / (tp + fp) if tp + fp else None,
        median_seconds_to_verdict=statistics.median(t.seconds) if t.seconds else None,
        suppressed_share=t.suppressed / t.alerts if t.alerts else 0.0)


def _order(c: RuleCount) -> tuple[int, str, str, str]:
    return (-c.alerts, c.rule or "", c.source or "", c.team or "")
