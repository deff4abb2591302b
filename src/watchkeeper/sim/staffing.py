"""Joiners and benign leavers: people who start or give notice during the run."""

from __future__ import annotations

import numpy as np

from watchkeeper.sim.org import LEADER_ROLES, NEVER, Org, Person

ANNUAL_TURNOVER = 0.12


def _rank(rng: np.random.Generator, pool: list[Person]) -> list[Person]:
    order = rng.permutation(len(pool))
    return [pool[int(i)] for i in order]


def _ordinary(org: Org) -> list[Person]:
    return [p for p in org.people if p.role not in LEADER_ROLES and p.index > 4]


def add_joiners(rng: np.random.Generator, org: Org, days: int,
                turnover: float = ANNUAL_TURNOVER) -> None:
    """A few people are hired during the run: they appear from their hire day on."""
    count = max(1, round(len(org.people) * turnover * days / 365))
    for p in _rank(rng, _ordinary(org))[:count]:
        p.hire_day = int(rng.integers(1, max(2, days - 7)))


def add_leavers(rng: np.random.Generator, org: Org, days: int,
                turnover: float = ANNUAL_TURNOVER) -> list[int]:
    """Benign leavers: notice given, then gone; a few leave after the run ends."""
    count = max(2, round(len(org.people) * turnover * days / 365))
    pool = [p for p in _ordinary(org) if p.hire_day < 0 and p.end_day == NEVER]
    chosen = _rank(rng, pool)[:count]
    for p in chosen:
        give_notice(p, int(rng.integers(7, days + 30)), int(rng.integers(14, 43)))
    return [p.index for p in chosen]


def give_notice(person: Person, end_day: int, notice_days: int) -> None:
    """Record a resignation or dismissal: notice date, last day, watchlist tag."""
    person.end_day = end_day
    person.notice_day = end_day - notice_days
    if "departing" not in person.watchlists:
        person.watchlists.append("departing")
