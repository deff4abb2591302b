"""Scenario templates: boost risk when a known story's signals occur together and in order."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from watchkeeper.risk.config import Context, ScenarioTemplate
from watchkeeper.risk.context import Grid, PersonContext


@dataclass(frozen=True)
class ScenarioMatch:
    """A template completed by a user on a day, with the days of its steps."""

    user: str
    scenario: str
    completed: dt.date
    step_days: tuple[dt.date, ...]


def match_in_order(template: ScenarioTemplate, kinds: Mapping[dt.date, set[str]],
                   end: dt.date, ordered: list[dt.date] | None = None
                   ) -> tuple[dt.date, ...] | None:
    """Days of the template's steps if it completes on `end`, else None.

    The last step must be seen on `end`; the earlier ones greedily, in order, within the
    window ending there. Steps may share a day (a day's events are not ordered further);
    a later step never counts on a day before an earlier step.
    """
    if not template.steps[-1] & kinds.get(end, set()):
        return None
    start = end - dt.timedelta(days=template.window_days - 1)
    need = template.steps[:-1]
    found: list[dt.date] = []
    if not need:
        return (end,)
    days = ordered if ordered is not None else sorted(kinds)
    window = days[bisect.bisect_left(days, start):bisect.bisect_right(days, end)]
    for day in window:
        while len(found) < len(need) and need[len(found)] & kinds[day]:
            found.append(day)
    return (*found, end) if len(found) == len(need) else None


def _context_holds(template: ScenarioTemplate, ctx: PersonContext, i: int, j: int) -> bool:
    flags = {Context.LEAVING: ctx.leaving, Context.PRIVILEGED: ctx.privileged}
    return all(bool(flags[c][i, j]) for c in template.requires) and not any(
        bool(flags[c][i, j]) for c in template.excludes)


def find_matches(kind_days: Mapping[str, Mapping[dt.date, set[str]]], grid: Grid,
                 ctx: PersonContext, templates: tuple[ScenarioTemplate, ...]
                 ) -> list[ScenarioMatch]:
    """Every completion of every template, using only signals up to the completing day."""
    index = grid.index()
    out: list[ScenarioMatch] = []
    for user in sorted(kind_days):
        i = index.get(user)
        if i is None:
            continue
        days = kind_days[user]
        ordered = sorted(days)
        for template in templates:
            last = template.steps[-1]
            for end in [d for d in ordered if not last.isdisjoint(days[d])]:
                steps = match_in_order(template, days, end, ordered)
                j = grid.col(end)
                if steps and 0 <= j < grid.days and _context_holds(template, ctx, i, j):
                    out.append(ScenarioMatch(user, template.name, end, steps))
    return out


def boost_arrays(matches: list[ScenarioMatch], grid: Grid,
                 templates: tuple[ScenarioTemplate, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per person-day boost factor and index of the boosting template (-1: none)."""
    shape = (len(grid.users), grid.days)
    boost, which = np.ones(shape), np.full(shape, -1, dtype=np.int32)
    by_name = {t.name: (k, t) for k, t in enumerate(templates)}
    index = grid.index()
    for m in matches:
        k, template = by_name[m.scenario]
        i, lo = index[m.user], grid.col(m.completed)
        cols = slice(max(lo, 0), min(lo + template.hold_days, grid.days))
        better = boost[i, cols] < template.boost
        boost[i, cols] = np.where(better, template.boost, boost[i, cols])
        which[i, cols] = np.where(better, k, which[i, cols])
    return boost, which
