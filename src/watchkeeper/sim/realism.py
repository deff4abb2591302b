"""The realistic profile's benign population: every indicator the scenarios leave, shown
by people who do nothing wrong, at the rates offices show them.

Shares are per person over a year (`RATES`); each look-alike is spread over weeks like
the subtle incidents (`sim.scenarios_subtle`), so neither a count nor a maximum per day
singles an insider out.
"""

from __future__ import annotations

from watchkeeper.sim import vocab
from watchkeeper.sim.builder import Builder
from watchkeeper.sim.datastore import HABITS
from watchkeeper.sim.org import LEADER_ROLES, NEVER
from watchkeeper.sim.scenarios_cert import usb_copies
from watchkeeper.sim.scenarios_subtle import evening_session, record_paste

RATES: dict[str, float] = {
    "job_browsing": 0.15,      # several pages on several days over weeks
    "shift_change": 0.10,      # evening sessions for weeks after a change of shift
    "usb_project": 0.08,       # start using a thumb drive for a project
    "cloud_upload": 0.10,      # uploads to cloud storage on several days
    "mail_home": 0.08,         # documents mailed to one's personal address
    "large_prompt": 0.15,      # long pasted documents in an AI assistant
    "record_prompt": 0.12,     # data roles: a customer record or two in a prompt
    "competitor_mail": 0.01,   # mail to the competitor (partners, former colleagues)
    "tool_download": 0.15,     # admins and engineers: monitoring tools from the same sites
    "leak_reading": 0.03,      # reading (not uploading to) wikileaks.org
}
TOOL_ROLES = frozenset({"SystemAdministrator", "ITAdmin", "SoftwareEngineer", "DataEngineer"})
MASS_MAILERS: dict[str, tuple[int, int, int]] = {
    # role: (mails per year, fewest recipients, most recipients)
    "Director": (12, 20, 80), "HRSpecialist": (10, 30, 150), "ChiefExecutive": (6, 60, 200),
    "MarketingSpecialist": (8, 25, 120), "ITAdmin": (6, 40, 150), "Manager": (6, 8, 40),
}


def _sample(b: Builder, share: float, skip: frozenset[int]) -> list[int]:
    people = [p.index for p in b.world.org.people if p.index not in skip]
    scale = b.world.calendar.days / 365
    picks = b.rng.random(len(people)) < min(1.0, share * max(scale, 0.25))
    return [p for p, hit in zip(people, picks, strict=True) if hit]


def _period(b: Builder, person: int, weeks: tuple[int, int]) -> list[int]:
    """The person's workdays in a random stretch of `weeks` weeks."""
    length = 7 * int(b.rng.integers(weeks[0], weeks[1] + 1))
    first = int(b.rng.integers(0, max(1, b.world.calendar.days - length // 2)))
    return b.workdays(person, first, first + length)


def _pick(b: Builder, days: list[int], share: float) -> list[int]:
    return [d for d in days if b.rng.random() < share]


def add_realistic(b: Builder, insiders: frozenset[int]) -> None:
    """Everything below, for people who are not insiders."""
    _job_browsing(b, insiders)
    _shift_changes(b, insiders)
    _usb_projects(b, insiders)
    _uploads_and_mail_home(b, insiders)
    _prompts(b, insiders)
    _mass_mail(b, insiders)
    for p in _sample(b, RATES["competitor_mail"], insiders):
        for day in _pick(b, _period(b, p, (2, 8)), 0.1)[:2]:
            b.email(p, day, b.work_minute(p), [f"info@{vocab.COMPETITOR_DOMAIN}"], [])
    roles = b.world.roles
    for p in _sample(b, RATES["tool_download"], insiders):
        if roles[p] in TOOL_ROLES:
            for day in _pick(b, _period(b, p, (1, 6)), 0.1)[:3]:
                b.http(p, day, b.work_minute(p), "hacking", "WWW Download")
    for p in _sample(b, RATES["leak_reading"], insiders):
        for day in _pick(b, _period(b, p, (1, 8)), 0.2)[:4]:
            b.http(p, day, b.work_minute(p), "leak", "WWW Visit")


def _job_browsing(b: Builder, skip: frozenset[int]) -> None:
    """Job sites: a few pages on several days over weeks (a real search, or curiosity)."""
    for p in _sample(b, RATES["job_browsing"], skip):
        for day in _pick(b, _period(b, p, (2, 12)), float(b.rng.uniform(0.1, 0.4))):
            minute = b.work_minute(p)
            for _ in range(int(b.rng.integers(1, 9))):
                minute += float(b.rng.uniform(0.5, 5))
                b.http(p, day, minute, "job", "WWW Visit")


def _shift_changes(b: Builder, skip: frozenset[int]) -> None:
    """People who move to evening work (a new shift, a project across time zones)."""
    for p in _sample(b, RATES["shift_change"], skip):
        for day in _pick(b, _period(b, p, (3, 14)), float(b.rng.uniform(0.3, 0.8))):
            _, minute = evening_session(b, p, day)
            b.logon(p, day, minute + float(b.rng.uniform(5, 60)), activity="Logoff")


def _usb_projects(b: Builder, skip: frozenset[int]) -> None:
    """People without a USB habit who start using a drive for a project."""
    usb = b.world.habits.usb_daily_prob
    for p in _sample(b, RATES["usb_project"], skip):
        if usb[p] > 0:
            continue
        for day in _pick(b, _period(b, p, (2, 10)), float(b.rng.uniform(0.2, 0.6))):
            usb_copies(b, p, day, b.work_minute(p), int(b.rng.integers(1, 7)))


def _uploads_and_mail_home(b: Builder, skip: frozenset[int]) -> None:
    """Cloud uploads and documents mailed home, now and then over weeks; some from a
    colleague's PC (hot-desking)."""
    people = b.world.org.people
    for p in _sample(b, RATES["cloud_upload"], skip):
        for day in _pick(b, _period(b, p, (2, 16)), 0.15):
            b.http(p, day, b.work_minute(p), "cloud", "WWW Upload")
    for p in _sample(b, RATES["mail_home"], skip):
        for day in _pick(b, _period(b, p, (2, 16)), 0.12):
            name, _, size = b.doc()
            b.email(p, day, b.work_minute(p), [people[p].personal_email],
                    [f"C:\\docs\\{name}({size})"])


def _prompts(b: Builder, skip: frozenset[int]) -> None:
    """Long pasted documents, and (data roles) a customer's record or two in a prompt."""
    for p in _sample(b, RATES["large_prompt"], skip):
        for day in _pick(b, _period(b, p, (2, 20)), 0.1):
            _, content, _ = b.doc()
            text = " ".join([content] * int(b.rng.integers(10, 80)))
            b.http(p, day, b.work_minute(p), "genai", "WWW Upload", content=text)
    data = [p.index for p in b.world.org.people if p.role in HABITS]
    for p in _sample(b, RATES["record_prompt"], skip | frozenset(
            i for i in range(len(b.world.org.people)) if i not in set(data))):
        for day in _pick(b, _period(b, p, (2, 16)), 0.15):
            rows = int(b.rng.integers(1, 12))
            b.http(p, day, b.work_minute(p), "genai", "WWW Upload",
                   content=record_paste(b, rows, int(b.rng.integers(10**6, 10**7))))


def _mass_mail(b: Builder, skip: frozenset[int]) -> None:
    """Announcements and newsletters by role, to many colleagues at once."""
    people = b.world.org.people
    scale = b.world.calendar.days / 365
    for person in people:
        plan = MASS_MAILERS.get(person.role)
        if plan is None or person.index in skip:
            continue
        per_year, lo, hi = plan
        days = b.workdays(person.index, 0, b.world.calendar.days - 1)
        for _ in range(int(b.rng.poisson(per_year * scale)) if days else 0):
            day = days[int(b.rng.integers(len(days)))]
            picks = sorted(set(int(i) for i in b.rng.integers(0, len(people),
                                                              int(b.rng.integers(lo, hi + 1)))))
            b.email(person.index, day, b.work_minute(person.index),
                    [people[i].email for i in picks if i != person.index], [],
                    content="announcement all staff update newsletter schedule")


def add_hr_noise(b: Builder) -> None:
    """HR data as it arrives: notices recorded late, managers missing, team moves."""
    people = b.world.org.people
    days = b.world.calendar.days
    teams: dict[int, set[str]] = {}
    for q in people:
        teams.setdefault(q.department, set()).add(q.team)
    for q in people:
        if q.notice_day != NEVER and b.rng.random() < 0.4:
            q.hr_lag = int(b.rng.integers(3, 22))
        if q.role != "ChiefExecutive" and b.rng.random() < 0.04:
            q.hr_no_manager = True
        if q.role not in LEADER_ROLES and b.rng.random() < 0.1 * days / 365:
            others = sorted(t for t in teams[q.department] if t != q.team)
            if others:
                q.previous_team = others[int(b.rng.integers(len(others)))]
                q.move_day = int(b.rng.integers(1, days))
