"""Analyst feedback risk scoring reads: false-positive verdicts and watchlists.

The facade reads them from the state store and hands them in as plain values (a
`Feedback`); risk never imports the store or the case service (docs/architecture.md).

- A **false positive** (`FalsePositive`): a person's alert for a rule was closed as a
  false positive, so that rule adds no risk to that person from the day of the judged
  alert to the end of the configured period. Its findings (or, for a risk alert naming
  a scenario, ``risk.<template>``, that template's completions) are taken out of the
  scoring and kept aside (`muted_table`) so `explain` can say what was not counted
  and why.
- A **watchlist** entry (`Watch`): one notion whether HR put the person there (the
  people history's ``watchlists``, `hr_watches`) or an analyst did (the store): being on
  one multiplies risk by the watchlist's factor (`RiskConfig.watchlist_factors`, the
  largest of the lists in force that day), and `explain` names it with its origin.

Feedback is applied whole on every run (risk is rescored over the whole history), so
a verdict given or withdrawn, or a watchlist entry added or removed, shows in the next
`analyze`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa

from watchkeeper.risk.config import RiskConfig

if TYPE_CHECKING:
    from watchkeeper.risk.scenarios import ScenarioMatch

HR = "hr"
ANALYST = "analyst"
ORIGINS = (HR, ANALYST)
SCENARIO_RULE = "risk."   # a risk alert's rule id: risk.<template> or risk.threshold

MUTED_SCHEMA = pa.schema([
    pa.field("user", pa.string(), nullable=False),
    pa.field("day", pa.date32(), nullable=False),
    pa.field("rule", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("case_id", pa.int64(), nullable=False),
    pa.field("first_day", pa.date32(), nullable=False),
    pa.field("last_day", pa.date32(), nullable=False),
    pa.field("judged_on", pa.date32(), nullable=False),
    pa.field("judged_by", pa.string(), nullable=False),
])

WATCH_SCHEMA = pa.schema([
    pa.field("user", pa.string(), nullable=False),
    pa.field("watchlist", pa.string(), nullable=False),
    pa.field("origin", pa.string(), nullable=False),
    pa.field("since", pa.date32(), nullable=False),
    pa.field("until", pa.date32()),
    pa.field("factor", pa.float64(), nullable=False),
    pa.field("added_by", pa.string()),
    pa.field("reason", pa.string()),
])


@dataclass(frozen=True)
class FalsePositive:
    """`rule` adds no risk to `user` from `first_day` to `last_day` (inclusive): case
    `case_id` judged their alert for it a false positive on `judged_on`."""

    user: str
    rule: str
    first_day: dt.date
    last_day: dt.date
    case_id: int
    judged_on: dt.date
    judged_by: str

    def covers(self, user: str, rule: str, day: dt.date) -> bool:
        return (user, rule) == (self.user, self.rule) and \
            self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Watch:
    """`user` on watchlist `watchlist` from `since` to `until` (inclusive; None: until
    removed), put there by HR (origin ``hr``) or an analyst (``analyst``)."""

    user: str
    watchlist: str
    origin: str
    since: dt.date
    until: dt.date | None = None
    added_by: str | None = None
    reason: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


class Feedback(Protocol):
    """What the analysts said that risk scoring takes into account."""

    @property
    def false_positives(self) -> Sequence[FalsePositive]: ...

    @property
    def watches(self) -> Sequence[Watch]: ...


@dataclass(frozen=True)
class AnalystFeedback:
    """Feedback as plain values (what the facade builds from the store)."""

    false_positives: tuple[FalsePositive, ...] = ()
    watches: tuple[Watch, ...] = ()


NO_FEEDBACK = AnalystFeedback()

Row = dict[str, Any]


# -- false positives -----------------------------------------------------------------------

def mute(rows: Iterable[Row], verdicts: Sequence[FalsePositive]
         ) -> tuple[list[Row], list[Row]]:
    """Split risk-event rows (each with its ``rule_id``) into those that count and those
    a false-positive verdict mutes (each given the verdict's ``muted_by``)."""
    by_key: dict[tuple[str, str], list[FalsePositive]] = defaultdict(list)
    for v in verdicts:
        by_key[(v.user, v.rule)].append(v)
    kept: list[Row] = []
    muted: list[Row] = []
    for row in rows:
        found = by_key.get((row["user"], row.get("rule_id") or ""))
        verdict = next((v for v in found or () if v.covers(row["user"], v.rule, row["day"])),
                       None)
        if verdict is None:
            kept.append(row)
        else:
            muted.append({**row, "muted_by": verdict})
    return kept, muted


def scenario_rule(name: str) -> str:
    """The rule id a risk alert of scenario template `name` carries (``risk.<name>``)."""
    return f"{SCENARIO_RULE}{name}"


def mute_matches(matches: Iterable[ScenarioMatch], verdicts: Sequence[FalsePositive]
                 ) -> tuple[list[ScenarioMatch], list[ScenarioMatch]]:
    """Split scenario completions into those that count and those a verdict on the
    template's risk alerts (``risk.<template>``) mutes: a muted completion neither
    scores nor boosts."""
    kept: list[ScenarioMatch] = []
    muted: list[ScenarioMatch] = []
    for m in matches:
        rule = scenario_rule(m.scenario)
        hit = any(v.covers(m.user, rule, m.completed) for v in verdicts)
        (muted if hit else kept).append(m)
    return kept, muted


def muted_table(rows: Iterable[Row]) -> pa.Table:
    """The muted risk events with the verdict that muted each (`MUTED_SCHEMA`)."""
    out = []
    for r in rows:
        v: FalsePositive = r["muted_by"]
        out.append({"user": r["user"], "day": r["day"], "rule": v.rule,
                    "source": r["source"], "score": r["score"], "reason": r["reason"],
                    "case_id": v.case_id, "first_day": v.first_day, "last_day": v.last_day,
                    "judged_on": v.judged_on, "judged_by": v.judged_by})
    out.sort(key=lambda r: (r["user"], r["day"], r["rule"], r["reason"]))
    return pa.Table.from_pylist(out, schema=MUTED_SCHEMA)


# -- watchlists ------------------------------------------------------------------------------

def hr_watches(people: pa.Table) -> list[Watch]:
    """HR's watchlists as entries: per person and tag, each run of consecutive
    people-history rows carrying the tag is one entry (as known from each row's day)."""
    spans: dict[tuple[str, str], list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    if "watchlists" not in people.column_names:
        return []
    cols = people.select(["user", "valid_from", "valid_to", "watchlists"]).to_pylist()
    for row in cols:
        for tag in dict.fromkeys(row["watchlists"] or []):
            spans[(row["user"], tag)].append((row["valid_from"], row["valid_to"]))
    out = []
    for (user, tag), found in sorted(spans.items()):
        found.sort(key=lambda s: s[0])
        start, end = found[0]
        for lo, hi in found[1:]:
            if end is None or lo <= end:   # overlapping or adjoining: one entry
                end = None if end is None or hi is None else max(end, hi)
                continue
            out.append(_hr_watch(user, tag, start, end))
            start, end = lo, hi
        out.append(_hr_watch(user, tag, start, end))
    return out


def _hr_watch(user: str, tag: str, start: dt.date, stop: dt.date | None) -> Watch:
    until = None if stop is None else stop - dt.timedelta(days=1)
    return Watch(user, tag, HR, start, until, "HR", "people history")


def tag_factor(watchlist: str, config: RiskConfig) -> float:
    """The factor of one watchlist: the largest pattern of `watchlist_factors` it
    matches, else the ``*`` default."""
    factors = [f for pat, f in config.watchlist_factors.items()
               if pat != "*" and fnmatch.fnmatchcase(watchlist, pat)]
    return max(factors) if factors else config.watchlist_factors.get("*", 1.0)


def watch_factors(watches: Iterable[Watch], users: Sequence[str], first: dt.date,
                  days: int, config: RiskConfig) -> np.ndarray:
    """Per person-day (users x days from `first`) the largest factor of the watchlists
    in force (1.0 on none)."""
    out = np.ones((len(users), days))
    index = {u: i for i, u in enumerate(users)}
    for w in watches:
        i = index.get(w.user)
        if i is None:
            continue
        lo = max((w.since - first).days, 0)
        hi = days if w.until is None else min((w.until - first).days + 1, days)
        if lo < hi:
            out[i, lo:hi] = np.maximum(out[i, lo:hi], tag_factor(w.watchlist, config))
    return out


def watch_table(watches: Iterable[Watch], users: Iterable[str],
                config: RiskConfig) -> pa.Table:
    """The watchlist entries of the scored people with their factors (`WATCH_SCHEMA`)."""
    known = set(users)
    rows = [{"user": w.user, "watchlist": w.watchlist, "origin": w.origin,
             "since": w.since, "until": w.until, "factor": tag_factor(w.watchlist, config),
             "added_by": w.added_by, "reason": w.reason}
            for w in watches if w.user in known]
    rows.sort(key=lambda r: (r["user"], r["since"], r["watchlist"], r["origin"]))
    return pa.Table.from_pylist(rows, schema=WATCH_SCHEMA)
