"""Scenarios 6-8: misuse of customer data stores and departing-employee exfiltration."""

from __future__ import annotations

from watchkeeper.sim.builder import Builder
from watchkeeper.sim.clock import REGIONS
from watchkeeper.sim.staffing import give_notice

PERSONAL_CLOUD = "cloud"


def cross_region_export(b: Builder, p: int, start: int, span: int) -> bool:
    """6: bulk export of user records from another region's store, without a ticket."""
    own = int(b.world.region[p])
    other = REGIONS[(own + 1 + int(b.rng.integers(2))) % 3].lower()
    days = b.workdays(p, start, start + span - 1)[:3]
    if not days:
        return False
    for day in days:
        minute = b.work_minute(p, 0.5, 0.9)
        for _ in range(int(b.rng.integers(1, 4))):
            minute += float(b.rng.uniform(1, 8))
            b.datastore(p, day, minute, f"user_profiles_{other}", "query",
                        int(b.rng.integers(50, 2000)), None, None)
        for _ in range(int(b.rng.integers(1, 3))):
            minute += float(b.rng.uniform(2, 15))
            b.datastore(p, day, minute, f"user_profiles_{other}", "export",
                        int(b.rng.integers(20_000, 250_000)), None, "analytics")
    return True


def no_ticket_reads(b: Builder, p: int, start: int, span: int) -> bool:
    """7: a privileged employee reads user records without tickets, more each week."""
    region = REGIONS[int(b.world.region[p])].lower()
    days = b.workdays(p, start, start + span - 1)
    if len(days) < 3:
        return False
    for day in days:
        week = (day - start) // 7
        for _ in range(int(b.rng.poisson(2 + 4 * week))):
            kind = "user_profiles" if b.rng.random() < 0.75 else "messages"
            b.datastore(p, day, b.work_minute(p), f"{kind}_{region}", "read",
                        int(b.rng.integers(1, 4)), None, None)
    return True


def departing_exfiltration(b: Builder, p: int, start: int, span: int) -> bool:
    """8: after giving notice, moves documents to personal cloud storage or mail."""
    person = b.world.org.people[p]
    end = min(start + span, b.world.calendar.days - 1)
    days = b.workdays(p, start, end - 1)
    if not days:
        return False
    give_notice(person, end, end - start + int(b.rng.integers(3, 15)))
    by_mail = b.rng.random() < 0.5
    for day in sorted(set(days[int(i)] for i in b.rng.integers(0, len(days), 5))):
        minute = b.work_minute(p)
        docs = [b.doc() for _ in range(int(b.rng.integers(1, 4)))]
        for name, content, _ in docs:
            path = f"C:\\Users\\{person.user_id}\\Documents\\{name}"
            b.file(p, day, minute, path, "File Open", content=content)
            minute += float(b.rng.uniform(0.5, 3))
            if not by_mail:
                b.http(p, day, minute, PERSONAL_CLOUD, "WWW Upload")
        if by_mail:
            files = [f"C:\\docs\\{name}({size})" for name, _, size in docs]
            b.email(p, day, minute + 1, [person.personal_email], files)
    return True
