"""Scenarios 1-5, after the CERT insider-threat dataset's scenarios."""

from __future__ import annotations

from watchkeeper.sim import vocab
from watchkeeper.sim.builder import Builder
from watchkeeper.sim.org import NEVER
from watchkeeper.sim.staffing import give_notice


def usb_copies(b: Builder, p: int, day: int, minute: float, copies: int,
                host: int | None = None) -> float:
    """Connect a drive, copy documents onto it, disconnect; returns the end minute."""
    b.device(p, day, minute, True, host)
    for _ in range(copies):
        minute += float(b.rng.uniform(0.5, 4))
        name, content, _ = b.doc()
        b.file(p, day, minute, f"R:\\{name}", "File Copy", to_removable=True, host=host,
               content=content)
    minute += float(b.rng.uniform(1, 5))
    b.device(p, day, minute, False, host)
    return minute


def leak_site(b: Builder, p: int, start: int, span: int) -> bool:
    """1: after-hours logons, a thumb drive and uploads to a leak site; then leaves."""
    days = sorted(set(int(d) for d in b.rng.integers(start, start + max(2, span - 5), 5)))
    for day in days:
        minute = float(b.rng.uniform(21.5 * 60, 23.5 * 60))
        b.logon(p, day, minute)
        end = usb_copies(b, p, day, minute + 3, int(b.rng.integers(2, 6)))
        for _ in range(int(b.rng.integers(1, 4))):
            end += float(b.rng.uniform(1, 6))
            b.http(p, day, end, "leak", "WWW Upload")
        b.logon(p, day, end + float(b.rng.uniform(2, 20)), activity="Logoff")
    leave = min(days[-1] + int(b.rng.integers(2, 8)), b.world.calendar.days - 1)
    give_notice(b.world.org.people[p], leave, int(b.rng.integers(0, 3)))
    return True


def job_hunt(b: Builder, p: int, start: int, span: int) -> bool:
    """2: job sites and a competitor, notice, then heavy thumb-drive copying; leaves."""
    hunt_end = start + int(span * 0.6)
    hunt = b.workdays(p, start, hunt_end)
    steal = b.workdays(p, hunt_end + 2, start + span - 2)
    if len(hunt) < 2 or not steal:
        return False
    for day in hunt:
        if b.rng.random() < 0.6:
            for _ in range(int(b.rng.integers(2, 7))):
                b.http(p, day, b.work_minute(p), "job", "WWW Visit")
    for day in sorted(set(hunt[int(i)] for i in b.rng.integers(0, len(hunt), 3))):
        resume = f"C:\\docs\\resume_{b.world.org.people[p].user_id.lower()}.pdf(184320)"
        b.email(p, day, b.work_minute(p), [f"careers@{vocab.COMPETITOR_DOMAIN}"], [resume])
    for day in steal:
        for _ in range(int(b.rng.integers(3, 7))):
            usb_copies(b, p, day, b.work_minute(p), int(b.rng.integers(4, 11)))
    person = b.world.org.people[p]
    give_notice(person, min(steal[-1] + int(b.rng.integers(1, 4)), b.world.calendar.days - 1),
                0)
    person.notice_day = hunt_end + 1
    return True


def keylogger(b: Builder, p: int, start: int, span: int) -> bool:
    """3: an admin plants a keylogger on the supervisor's PC, then mails as them; leaves."""
    people = b.world.org.people
    boss = people[p].manager
    days = b.workdays(p, start, start + span - 2)
    if boss is None or people[boss].host < 0 or not days:
        return False
    day, target = days[0], people[boss].host
    minute = b.work_minute(p, 0.1, 0.3)
    b.http(p, day, minute, "hacking", "WWW Download")
    b.device(p, day, minute + 4, True)
    b.file(p, day, minute + 5, "R:\\keylogger.exe", "File Copy", to_removable=True,
           content="keylogger stealth capture keystrokes")
    b.device(p, day, minute + 7, False)
    visit = float(b.world.habits.start_min[boss] + b.world.habits.length_min[boss] + 45)
    b.logon(p, day, visit, host=target)
    b.device(p, day, visit + 2, True, host=target)
    b.file(p, day, visit + 3, f"C:\\Users\\{people[boss].user_id}\\AppData\\svc.exe",
           "File Copy", from_removable=True, host=target, content="keylogger stealth capture")
    b.device(p, day, visit + 5, False, host=target)
    b.logon(p, day, visit + 7, host=target, activity="Logoff")
    _mass_mail(b, p, boss, day + 1)
    give_notice(people[p], day + 1, 0)
    return True


def _mass_mail(b: Builder, p: int, boss: int, day: int) -> None:
    """Logged in as the supervisor from the admin's own machine, mail everyone."""
    minute = float(b.world.habits.start_min[p] - 30)
    everyone = [q.email for q in b.world.org.people if q.index not in (p, boss)]
    picks = sorted(set(int(i) for i in b.rng.integers(0, len(everyone), 60)))
    b.logon(p, day, minute, user=boss)
    b.email(p, day, minute + 4, [everyone[i] for i in picks], [], user=boss,
            content="urgent layoffs announced all staff terminated security breach panic")
    b.logon(p, day, minute + 9, activity="Logoff", user=boss)


def snooping(b: Builder, p: int, start: int, span: int) -> bool:
    """4: logs on to a colleague's PC, opens their files, mails them home; more often."""
    people = b.world.org.people
    peers = [q.index for q in people if q.department == people[p].department
             and q.index != p and q.host >= 0 and q.end_day == NEVER and q.hire_day < start]
    days = b.workdays(p, start, start + span - 1)
    if not peers or len(days) < 4:
        return False
    victim = peers[int(b.rng.integers(len(peers)))]
    for k, day in enumerate(days):
        if b.rng.random() < 0.1 + 0.6 * k / len(days):
            _snoop(b, p, victim, day)
    return True


def _snoop(b: Builder, p: int, victim: int, day: int) -> None:
    host = b.world.org.people[victim].host
    minute = b.work_minute(p, 0.4, 0.5)
    b.logon(p, day, minute, host=host)
    attachments = []
    for _ in range(int(b.rng.integers(2, 6))):
        minute += float(b.rng.uniform(0.5, 3))
        name, content, size = b.doc()
        path = f"C:\\Users\\{b.world.org.people[victim].user_id}\\Documents\\{name}"
        b.file(p, day, minute, path, "File Open", host=host, content=content)
        attachments.append(f"{path}({size})")
    b.email(p, day, minute + 2, [b.world.org.people[p].personal_email], attachments[:2],
            host=host)
    b.logon(p, day, minute + float(b.rng.uniform(4, 15)), host=host, activity="Logoff")


def layoff_upload(b: Builder, p: int, start: int, span: int) -> bool:
    """5: a department is cut; one laid-off member uploads documents to cloud storage."""
    people = b.world.org.people
    last = min(start + 28, b.world.calendar.days - 1)
    team = [q for q in people if q.team == people[p].team and q.role not in
            ("Manager", "Director") and q.end_day > last and q.hire_day < start]
    days = b.workdays(p, start + 1, last - 1)
    if not days:
        return False
    others = [team[int(i)] for i in b.rng.permutation(len(team)) if team[int(i)].index != p]
    for q in [people[p], *others[:max(2, len(others) // 2)]]:
        give_notice(q, last, last - start)
        q.watchlists.append("reduction-in-force")
    for day in sorted(set(days[int(i)] for i in b.rng.integers(0, len(days), 6))):
        minute = b.work_minute(p)
        for _ in range(int(b.rng.integers(1, 4))):
            name, content, _ = b.doc()
            b.file(p, day, minute, f"C:\\Users\\{people[p].user_id}\\Documents\\{name}",
                   "File Open", content=content)
            b.http(p, day, minute + 1, "cloud", "WWW Upload")
            minute += float(b.rng.uniform(2, 10))
    return True
