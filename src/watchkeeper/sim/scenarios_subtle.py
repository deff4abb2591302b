"""The realistic profile's incidents: the same stories, told quietly over weeks.

Each keeps the trace its CERT (or data-store) description names, but at rates the benign
population also shows (`sim.realism`): a few pages, one thumb-drive session, an export the
size of a normal one, spread over weeks instead of one loud day.
"""

from __future__ import annotations

from watchkeeper.sim import vocab
from watchkeeper.sim.builder import Builder
from watchkeeper.sim.clock import REGIONS
from watchkeeper.sim.datastore import HABITS
from watchkeeper.sim.org import NEVER
from watchkeeper.sim.scenarios_cert import usb_copies
from watchkeeper.sim.staffing import give_notice


def _some(b: Builder, days: list[int], share: float, least: int) -> list[int]:
    """A random subset of `days`: each with chance `share`, at least `least` of them."""
    if not days:
        return []
    picked = [d for d in days if b.rng.random() < share]
    while len(picked) < min(least, len(days)):
        picked.append(days[int(b.rng.integers(len(days)))])
        picked = sorted(set(picked))
    return sorted(set(picked))


def evening_session(b: Builder, p: int, day: int) -> tuple[float, float]:
    """Log on late in the evening and do a little ordinary work; returns (start, end)."""
    start = float(b.rng.uniform(20 * 60, 22.5 * 60))
    b.logon(p, day, start)
    minute = start
    user = b.world.org.people[p].user_id
    for _ in range(int(b.rng.integers(1, 4))):
        minute += float(b.rng.uniform(3, 20))
        name, content, _ = b.doc()
        b.file(p, day, minute, f"C:\\Users\\{user}\\Documents\\{name}", "File Open",
               content=content)
    for _ in range(int(b.rng.integers(0, 3))):
        minute += float(b.rng.uniform(2, 10))
        b.http(p, day, minute, "work", "WWW Visit")
    return start, minute


def leak_site(b: Builder, p: int, start: int, span: int) -> bool:
    """1: starts working evenings for weeks; on a few of them copies to a thumb drive and
    uploads to the leak site; leaves a few days after the last."""
    days = _some(b, b.workdays(p, start, start + span - 6), 0.35, 5)
    if len(days) < 4:
        return False
    late = days[len(days) // 2:]
    drive = set(_some(b, late, 0.5, 2))
    leak = set(_some(b, late, 0.4, 1))
    for day in days:
        _, minute = evening_session(b, p, day)
        if day in drive:
            minute = usb_copies(b, p, day, minute + 2, int(b.rng.integers(1, 4)))
        if day in leak:
            minute += float(b.rng.uniform(1, 6))
            b.http(p, day, minute, "leak", "WWW Upload")
        b.logon(p, day, minute + float(b.rng.uniform(2, 20)), activity="Logoff")
    leave = min(days[-1] + int(b.rng.integers(2, 8)), b.world.calendar.days - 1)
    give_notice(b.world.org.people[p], leave, int(b.rng.integers(0, 3)))
    return True


def job_hunt(b: Builder, p: int, start: int, span: int) -> bool:
    """2: a few job pages on some days for weeks, a CV to a competitor; after notice,
    thumb-drive copying on many days (more than before, but one session a day)."""
    hunt_end = start + int(span * 0.6)
    hunt = b.workdays(p, start, hunt_end)
    steal = b.workdays(p, hunt_end + 2, start + span - 2)
    if len(hunt) < 4 or len(steal) < 2:
        return False
    for day in _some(b, hunt, 0.25, 3):
        minute = b.work_minute(p)
        for _ in range(int(b.rng.integers(1, 6))):
            minute += float(b.rng.uniform(0.5, 4))
            b.http(p, day, minute, "job", "WWW Visit")
    resume = f"C:\\docs\\resume_{b.world.org.people[p].user_id.lower()}.pdf(184320)"
    for day in _some(b, hunt, 0.05, 1)[:2]:
        b.email(p, day, b.work_minute(p), [f"careers@{vocab.COMPETITOR_DOMAIN}"], [resume])
    for day in _some(b, steal, 0.45, 2):
        usb_copies(b, p, day, b.work_minute(p), int(b.rng.integers(2, 7)))
    person = b.world.org.people[p]
    give_notice(person, min(steal[-1] + int(b.rng.integers(1, 4)), b.world.calendar.days - 1),
                0)
    person.notice_day = hunt_end + 1
    return True


def snooping(b: Builder, p: int, start: int, span: int) -> bool:
    """4: on a colleague's PC now and then, more often over three months; opens a file or
    two and sometimes mails one home."""
    people = b.world.org.people
    peers = [q.index for q in people if q.department == people[p].department
             and q.index != p and q.host >= 0 and q.end_day == NEVER and q.hire_day < start]
    days = b.workdays(p, start, start + span - 1)
    if not peers or len(days) < 8:
        return False
    victims = [peers[int(i)] for i in b.rng.integers(0, len(peers), 2)]
    visits = [d for k, d in enumerate(days) if b.rng.random() < 0.03 + 0.25 * k / len(days)]
    if len(visits) < 2:
        visits = days[-2:]
    for day in visits:
        victim = victims[int(b.rng.integers(len(victims)))]
        host = people[victim].host
        minute = b.work_minute(p, 0.3, 0.6)
        b.logon(p, day, minute, host=host)
        attachments = []
        for _ in range(int(b.rng.integers(1, 3))):
            minute += float(b.rng.uniform(0.5, 3))
            name, content, size = b.doc()
            path = f"C:\\Users\\{people[victim].user_id}\\Documents\\{name}"
            b.file(p, day, minute, path, "File Open", host=host, content=content)
            attachments.append(f"{path}({size})")
        if b.rng.random() < 0.5 or day == visits[-1]:
            b.email(p, day, minute + 2, [people[p].personal_email], attachments[:1], host=host)
        b.logon(p, day, minute + float(b.rng.uniform(4, 15)), host=host, activity="Logoff")
    return True


def layoff_upload(b: Builder, p: int, start: int, span: int) -> bool:
    """5: the team is cut; one of them uploads a document now and then to cloud storage."""
    people = b.world.org.people
    last = min(start + 28, b.world.calendar.days - 1)
    team = [q for q in people if q.team == people[p].team and q.role not in
            ("Manager", "Director") and q.end_day > last and q.hire_day < start]
    days = b.workdays(p, start + 1, last - 1)
    if len(days) < 3:
        return False
    others = [team[int(i)] for i in b.rng.permutation(len(team)) if team[int(i)].index != p]
    for q in [people[p], *others[:max(2, len(others) // 2)]]:
        give_notice(q, last, last - start)
        q.watchlists.append("reduction-in-force")
    for day in _some(b, days, 0.15, 2)[:4]:
        name, content, _ = b.doc()
        minute = b.work_minute(p)
        b.file(p, day, minute, f"C:\\Users\\{people[p].user_id}\\Documents\\{name}",
               "File Open", content=content)
        b.http(p, day, minute + float(b.rng.uniform(0.5, 5)), "cloud", "WWW Upload")
    return True


def cross_region_export(b: Builder, p: int, start: int, span: int) -> bool:
    """6: over a few weeks, queries and exports of another region's user records, without
    a ticket, each the size of an ordinary export."""
    own = int(b.world.region[p])
    other = REGIONS[(own + 1 + int(b.rng.integers(2))) % 3].lower()
    days = _some(b, b.workdays(p, start, start + span - 1), 0.2, 3)[:5]
    if len(days) < 2:
        return False
    exports = set(days[int(i)] for i in b.rng.integers(0, len(days), 2))
    for day in days:
        minute = b.work_minute(p, 0.3, 0.9)
        for _ in range(int(b.rng.integers(1, 3))):
            minute += float(b.rng.uniform(1, 8))
            b.datastore(p, day, minute, f"user_profiles_{other}", "query",
                        int(b.rng.integers(20, 600)), None, "analytics")
        if day in exports:
            b.datastore(p, day, minute + float(b.rng.uniform(2, 15)), f"user_profiles_{other}",
                        "export", int(b.rng.integers(3_000, 30_000)), None, "analytics")
    return True


def no_ticket_reads(b: Builder, p: int, start: int, span: int) -> bool:
    """7: reads of single user records without ticket or purpose: one in the first week,
    one more each week after."""
    region = REGIONS[int(b.world.region[p])].lower()
    weeks = [b.workdays(p, start + 7 * w, start + 7 * w + 6) for w in range(span // 7)]
    if len(weeks) < 2 or not all(weeks):
        return False
    for w, days in enumerate(weeks):
        for _ in range(1 + w):
            day = days[int(b.rng.integers(len(days)))]
            kind = "user_profiles" if b.rng.random() < 0.75 else "messages"
            b.datastore(p, day, b.work_minute(p), f"{kind}_{region}", "read",
                        int(b.rng.integers(1, 4)), None, None)
    return True


def departing_exfiltration(b: Builder, p: int, start: int, span: int) -> bool:
    """8: during the notice period, now and then a document to personal cloud or mail."""
    person = b.world.org.people[p]
    end = min(start + span, b.world.calendar.days - 1)
    days = b.workdays(p, start, end - 1)
    if len(days) < 3:
        return False
    give_notice(person, end, end - start + int(b.rng.integers(3, 15)))
    by_mail = b.rng.random() < 0.5
    for day in _some(b, days, 0.15, 3)[:5]:
        minute = b.work_minute(p)
        name, content, size = b.doc()
        b.file(p, day, minute, f"C:\\Users\\{person.user_id}\\Documents\\{name}", "File Open",
               content=content)
        if by_mail:
            b.email(p, day, minute + 1, [person.personal_email], [f"C:\\docs\\{name}({size})"])
        else:
            b.http(p, day, minute + float(b.rng.uniform(0.5, 3)), "cloud", "WWW Upload")
    return True


def record_paste(b: Builder, people: int, first_row: int) -> str:
    """A table of customer user records as pasted into a prompt (no commas: the CSV
    writer refuses them; the columns are space separated)."""
    rows = [" ".join(vocab.RECORD_FIELDS)]
    names = vocab.FIRST_NAMES
    for k in range(people):
        n = first_row + k
        first = names[int(b.rng.integers(len(names)))].lower()
        rows.append(f"U{n:08d} {first} {first}{n % 97}@{vocab.PERSONAL_DOMAINS[n % 6]} "
                    f"+1555{n % 10_000:04d} street{n % 311} 19{60 + n % 40} "
                    f"{REGIONS[n % 3]} ACC{n:07d} active")
    return " ".join(rows)


def genai_record_paste(b: Builder, p: int, start: int, span: int) -> bool:
    """9: after notice, looks up customer records as usual and pastes tables of them
    into a generative-AI assistant under a personal account, on a few days."""
    person = b.world.org.people[p]
    region = REGIONS[int(b.world.region[p])].lower()
    end = min(start + span, b.world.calendar.days - 1)
    days = b.workdays(p, start, end - 1)
    if len(days) < 3:
        return False
    give_notice(person, end, end - start + int(b.rng.integers(3, 15)))
    for day in _some(b, days, 0.2, 3)[:6]:
        minute = b.work_minute(p)
        records = int(b.rng.integers(10, 80))
        b.datastore(p, day, minute, f"user_profiles_{region}", "query", records,
                    None, HABITS[person.role].purpose)
        for _ in range(int(b.rng.integers(1, 3))):
            minute += float(b.rng.uniform(1, 10))
            rows = int(b.rng.integers(5, min(records, 40) + 1))
            b.http(p, day, minute, "genai", "WWW Upload",
                   content=record_paste(b, rows, int(b.rng.integers(10**6, 10**7))))
    return True
