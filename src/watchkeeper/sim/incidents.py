"""Choosing who does what and when: the incidents of a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from watchkeeper.sim import scenarios_cert as cert
from watchkeeper.sim import scenarios_data as data
from watchkeeper.sim import scenarios_subtle as subtle
from watchkeeper.sim.builder import Builder, Injection
from watchkeeper.sim.org import LEADER_ROLES, NEVER, PRIVILEGED_ROLES, Person
from watchkeeper.sim.world import World

Place = Callable[[Builder, int, int, int], bool]
Eligible = Callable[[World, Person], bool]
DATA_ROLES = frozenset({"Analyst", "DataEngineer", "FraudAnalyst", "SupportAgent"})


def _ordinary(w: World, p: Person) -> bool:
    return p.role not in LEADER_ROLES and p.host >= 0


def _quiet(w: World, p: Person) -> bool:
    h = w.habits
    return (_ordinary(w, p) and h.usb_daily_prob[p.index] == 0
            and h.start_min[p.index] + h.length_min[p.index] < 19 * 60
            and not h.weekend_worker[p.index])


def _in_big_team(w: World, p: Person) -> bool:
    return _ordinary(w, p) and w.team_sizes[p.team] >= 5


@dataclass(frozen=True)
class Scenario:
    """How to place one scenario: who qualifies, how many days it wants, the steps."""

    number: int
    span: int
    eligible: Eligible
    place: Place
    subtle_span: int = 0
    subtle_place: Place | None = None
    """The realistic profile's version: longer, quieter (None: the same as `place`)."""

    def plan(self, subtle_profile: bool) -> tuple[int, Place]:
        if subtle_profile and self.subtle_place is not None:
            return self.subtle_span, self.subtle_place
        return self.span, self.place


SCENARIOS: dict[int, Scenario] = {s.number: s for s in (
    Scenario(1, 21, _quiet, cert.leak_site, 49, subtle.leak_site),
    Scenario(2, 56, lambda w, p: _ordinary(w, p) and w.habits.usb_daily_prob[p.index] < 0.3,
             cert.job_hunt, 77, subtle.job_hunt),
    Scenario(3, 10, lambda w, p: p.role in ("SystemAdministrator", "ITAdmin") and p.host >= 0,
             cert.keylogger),
    Scenario(4, 84, _ordinary, cert.snooping, 90, subtle.snooping),
    Scenario(5, 35, _in_big_team, cert.layoff_upload, 35, subtle.layoff_upload),
    Scenario(6, 5, lambda w, p: _ordinary(w, p) and p.role in DATA_ROLES,
             data.cross_region_export, 21, subtle.cross_region_export),
    Scenario(7, 35, lambda w, p: _ordinary(w, p) and p.role in PRIVILEGED_ROLES,
             data.no_ticket_reads, 49, subtle.no_ticket_reads),
    Scenario(8, 28, _ordinary, data.departing_exfiltration, 35, subtle.departing_exfiltration),
    Scenario(9, 28, lambda w, p: _ordinary(w, p) and p.role in DATA_ROLES,
             subtle.genai_record_paste),
)}


@dataclass(frozen=True)
class Incident:
    """One injected incident; `tag` marks its events in the batches."""

    tag: int
    scenario: int
    person: int


def warmup(days: int) -> int:
    """Quiet days before any incident starts: 14, or less for very short test runs."""
    return 14 if days >= 28 else days // 2


def _candidates(world: World, eligible: Eligible, used: set[int]) -> list[int]:
    return [p.index for p in world.org.people if p.index not in used and p.hire_day < 0
            and p.end_day == NEVER and eligible(world, p)]


def plan_incidents(world: World, rng: np.random.Generator, injection: Injection,
                   numbers: tuple[int, ...], count: int) -> list[Incident]:
    """Place `count` incidents, cycling through the scenarios, spread over the run."""
    days, first = world.calendar.days, warmup(world.calendar.days)
    used: set[int] = set()
    incidents: list[Incident] = []
    for k in range(count):
        scenario = SCENARIOS[numbers[k % len(numbers)]]
        wanted, place = scenario.plan(world.profile.subtle)
        span = max(3, min(wanted, days - first - 2))
        slot = (k + rng.random()) / max(count, 1)
        start = first + int(slot * max(0, days - first - span - 1))
        placed = _place(world, rng, injection, place, scenario.eligible, start, span, used,
                        len(incidents))
        if placed is not None:
            incidents.append(Incident(len(incidents), scenario.number, placed))
    return incidents


def _place(world: World, rng: np.random.Generator, injection: Injection, place: Place,
           eligible: Eligible, start: int, span: int, used: set[int], tag: int) -> int | None:
    """Try a few candidates; a failed attempt leaves no events behind."""
    for _ in range(5):
        pool = _candidates(world, eligible, used)
        if not pool:
            return None
        person = pool[int(rng.integers(len(pool)))]
        used.add(person)
        if place(Builder(world, injection, rng, tag=tag), person, start, span):
            return person
        injection.rows = {key: [r for r in rows if r["tag"] != tag]
                          for key, rows in injection.rows.items()}
    return None
