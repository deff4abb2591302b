"""One simulated day: who is in, on which machine, and their logon sessions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.sim.rhythm import Sessions, day_sessions, sample_times
from watchkeeper.sim.world import World

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Today:
    """The present people of one day (rows) and where they work."""

    day: int
    rng: np.random.Generator
    sessions: Sessions
    hosts: I64
    short: npt.NDArray[np.bool_]

    @property
    def people(self) -> I64:
        return self.sessions.people

    def counts(self, rates: npt.NDArray[np.float64]) -> I64:
        """Poisson event counts per present person; weekend days are quieter."""
        lam = rates[self.people] * np.where(self.short, 0.4, 1.0)
        return np.asarray(self.rng.poisson(lam), dtype=np.int64)

    def expand(self, counts: I64) -> tuple[I64, I64]:
        """Row indices repeated by count, and a session time for each."""
        rows = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        return rows, sample_times(self.rng, self.sessions, rows)


def build_today(world: World, day: int, rng: np.random.Generator,
                payroll: tuple[I64, I64]) -> Today:
    """Present people are planned presence minus those not (or no longer) employed."""
    hire, end = payroll
    active = (hire <= day) & (day <= end)
    people = np.flatnonzero(world.presence[day] & active).astype(np.int64)
    region = world.region[people]
    midnight = world.calendar.midnight[day] - world.calendar.offset_sec[day, region]
    short = ~world.calendar.workday[day, region]
    hosts = world.own_host[people].copy()
    for r, pool in enumerate(world.shared_hosts):
        need = (hosts < 0) & (region == r)
        hosts[need] = pool[rng.integers(0, len(pool), int(need.sum()))]
    sessions = day_sessions(rng, world.habits, people, midnight, short)
    if world.profile.borrow_day_prob > 0:
        borrow = (rng.random(len(people)) < world.profile.borrow_day_prob) & (hosts >= 0)
        hosts[borrow] = colleague_hosts(world, rng, people[borrow])
    return Today(day, rng, sessions, hosts, short)


def colleague_hosts(world: World, rng: np.random.Generator, people: I64) -> I64:
    """A usual correspondent's PC for each person (mostly a team mate's), or a shared PC
    of the person's office when that colleague has none: someone else's machine."""
    slot = rng.integers(0, world.contacts.shape[1], len(people))
    mate = world.contacts[people, slot]
    hosts = world.own_host[mate].copy()
    for r, pool in enumerate(world.shared_hosts):
        need = (hosts < 0) & (world.region[people] == r)
        hosts[need] = pool[rng.integers(0, len(pool), int(need.sum()))]
    return np.asarray(hosts, dtype=np.int64)
