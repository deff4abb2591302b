"""Benign behaviour that resembles the scenarios, so detection has something to get wrong."""

from __future__ import annotations

from watchkeeper.sim.builder import Builder
from watchkeeper.sim.clock import REGIONS
from watchkeeper.sim.org import NEVER

ON_CALL_ROLES = frozenset({"SystemAdministrator", "DataEngineer"})
ON_CALL_PER_YEAR = 0.6  # benign no-ticket incident bursts per privileged person and year


def _sample(b: Builder, share: float, skip: frozenset[int]) -> list[int]:
    people = [p.index for p in b.world.org.people if p.index not in skip]
    picks = b.rng.random(len(people)) < share
    return [p for p, hit in zip(people, picks, strict=True) if hit]


def _some_days(b: Builder, person: int, count: int) -> list[int]:
    days = b.workdays(person, 0, b.world.calendar.days - 1)
    if not days:
        return []
    return sorted(set(days[int(i)] for i in b.rng.integers(0, len(days), count)))


def add_lookalikes(b: Builder, insiders: frozenset[int]) -> None:
    """Job-site browsing, leak-site reading, cloud uploads, late evenings, notice periods."""
    for p in _sample(b, 0.06, insiders):
        for day in _some_days(b, p, int(b.rng.integers(1, 3))):
            b.http(p, day, b.work_minute(p), "job", "WWW Visit")
    for p in _sample(b, 0.02, insiders):
        for day in _some_days(b, p, 1):
            b.http(p, day, b.work_minute(p), "leak", "WWW Visit")
    for p in _sample(b, 0.04, insiders):
        for day in _some_days(b, p, int(b.rng.integers(1, 5))):
            b.http(p, day, b.work_minute(p), "cloud", "WWW Upload")
    for p in _sample(b, 0.03, insiders):
        for day in _some_days(b, p, 1):
            minute = float(b.rng.uniform(21 * 60, 23 * 60))
            b.logon(p, day, minute)
            b.logon(p, day, minute + float(b.rng.uniform(10, 60)), activity="Logoff")
    _announcements(b, insiders)
    _leavers(b, insiders)
    _on_call(b, insiders)


def _announcements(b: Builder, insiders: frozenset[int]) -> None:
    """Directors and HR mail large groups now and then (a benign mass e-mail)."""
    people = b.world.org.people
    senders = [p.index for p in people if p.index not in insiders
               and p.role in ("Director", "HRSpecialist", "ChiefExecutive")]
    for p in senders:
        for day in _some_days(b, p, max(1, b.world.calendar.days // 45)):
            picks = sorted(set(int(i) for i in b.rng.integers(0, len(people), 40)))
            to = [people[i].email for i in picks if i != p]
            b.email(p, day, b.work_minute(p), to, [],
                    content="announcement all staff update policy meeting schedule")


def _leavers(b: Builder, insiders: frozenset[int]) -> None:
    """Most leavers are innocent; some look for jobs during their notice period."""
    for person in b.world.org.people:
        if person.index in insiders or person.notice_day == NEVER:
            continue
        if b.rng.random() < 0.5:
            days = b.workdays(person.index, person.notice_day - 20, person.end_day)
            for day in days[:: max(1, len(days) // 3)]:
                b.http(person.index, day, b.work_minute(person.index), "job", "WWW Visit")
        if b.rng.random() < 0.3:
            days = b.workdays(person.index, person.notice_day, person.end_day)
            if days:
                b.email(person.index, days[-1], b.work_minute(person.index),
                        [person.personal_email], [], content="contacts farewell thanks")


def _on_call(b: Builder, insiders: frozenset[int]) -> None:
    """On-call bursts: a privileged person fixing an outage reads user records for a day
    or two without a ticket or a declared purpose (a benign look-alike of scenario 7)."""
    rate = ON_CALL_PER_YEAR * b.world.calendar.days / 365
    for person in b.world.org.people:
        if person.index in insiders or person.role not in ON_CALL_ROLES:
            continue
        p = person.index
        region = REGIONS[int(b.world.region[p])].lower()
        for first in _some_days(b, p, int(b.rng.poisson(rate))):
            days = b.workdays(p, first, first + 3)[: int(b.rng.integers(1, 3))]
            for day in days:
                evening = b.rng.random() < 0.3
                for _ in range(int(b.rng.integers(2, 13))):
                    minute = (float(b.rng.uniform(18 * 60, 23 * 60)) if evening
                              else b.work_minute(p))
                    kind = "user_profiles" if b.rng.random() < 0.75 else "messages"
                    b.datastore(p, day, minute, f"{kind}_{region}", "read",
                                int(b.rng.integers(1, 4)), None, None)
