"""The background looks like a company: office hours, holidays, and benign look-alikes."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from watchkeeper.sim import SimResult

CsvReader = Callable[[Path], list[dict[str, str]]]
JsonReader = Callable[[Path], list[dict[str, object]]]


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%Y %H:%M:%S")


class Run:
    def __init__(self, run: SimResult, read_csv: CsvReader) -> None:
        self.root = run.out
        self.hr = {r["id"]: r for r in read_csv(run.out / "hr_feed.csv")}
        self.insiders = {r["user"] for r in read_csv(run.out / "answers" / "insiders.csv")}
        self.read = read_csv

    def rows(self, name: str) -> list[dict[str, str]]:
        return self.read(self.root / name)

    def benign(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [r for r in rows if r["user"] not in self.insiders]


@pytest.fixture(scope="module")
def run(full_run: SimResult, read_csv: CsvReader) -> Run:
    return Run(full_run, read_csv)


def test_benign_usb_job_sites_cloud_and_personal_mail(run: Run) -> None:
    assert run.benign([r for r in run.rows("device.csv") if r["activity"] == "Connect"])
    http = run.benign(run.rows("http.csv"))
    for site in ("indeed.com", "monster.com", "careerbuilder.com", "glassdoor.com",
                 "linkedin.com"):
        if any(site in r["url"] for r in http):
            break
    else:
        pytest.fail("no benign job-site visit")
    clouds = ("dropbox.com", "drive.google.com", "onedrive.live.com", "mega.nz")
    assert any(r["activity"] == "WWW Upload" and any(c in r["url"] for c in clouds)
               for r in http)
    personal = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "proton.me", "gmx.de")
    assert any(r["activity"] == "Send" and r["to"].split(";")[0].endswith(personal)
               for r in run.benign(run.rows("email.csv")))


def test_benign_leavers_and_joiners(run: Run) -> None:
    leavers = [r for r in run.hr.values() if r["notice_date"] and r["id"] not in run.insiders]
    assert len(leavers) >= 2
    joiners = [r for r in run.hr.values() if r["hire_date"] >= "2025-01-06"]
    assert joiners
    logons = run.rows("logon.csv")
    for j in joiners:
        hired = date.fromisoformat(j["hire_date"])
        assert all(_time(r["date"]).date() >= hired for r in logons if r["user"] == j["id"])


def test_benign_cross_region_access_has_tickets(run: Run, read_jsonl: JsonReader) -> None:
    rows = read_jsonl(run.root / "datastore_access.jsonl")
    cross = [r for r in rows if r["user"] not in run.insiders and
             r["data_region"] != run.hr[str(r["user"])]["region"]]
    assert cross
    support = [r for r in cross if r["purpose"] == "support"]
    assert support and all(r["ticket"] for r in support)


def test_admins_log_on_to_many_machines(run: Run) -> None:
    pcs: dict[str, set[str]] = {}
    for r in run.rows("logon.csv"):
        pcs.setdefault(r["user"], set()).add(r["pc"])
    admins = [u for u, r in run.hr.items() if r["role"] in ("SystemAdministrator", "ITAdmin")]
    assert max(len(pcs.get(u, set())) for u in admins) >= 5


def test_office_hours_follow_time_zones(run: Run) -> None:
    first: dict[tuple[str, date], datetime] = {}
    for r in run.rows("logon.csv"):
        if r["activity"] == "Logon" and r["user"] not in run.insiders:
            t = _time(r["date"])
            first.setdefault((r["user"], t.date()), t)
    hours: dict[str, list[float]] = {"US": [], "EU": [], "APAC": []}
    for (user, _), t in first.items():
        hours[run.hr[user]["region"]].append(t.hour + t.minute / 60)
    # Winter: New York is UTC-5, Berlin UTC+1, Singapore UTC+8; people start near 08:40.
    assert 12.5 < statistics.median(hours["US"]) < 15
    assert 6.5 < statistics.median(hours["EU"]) < 8.5
    assert statistics.median(hours["APAC"]) < 2 or statistics.median(hours["APAC"]) > 23


def test_weekends_and_holidays_are_quiet(run: Run) -> None:
    per_day: dict[date, int] = {}
    us = {u for u, r in run.hr.items() if r["region"] == "US"}
    for r in run.rows("logon.csv"):
        if r["user"] in us:
            day = _time(r["date"]).date()
            per_day[day] = per_day.get(day, 0) + 1
    workday = statistics.median(n for d, n in per_day.items() if d.weekday() < 5)
    assert per_day.get(date(2025, 1, 20), 0) < workday / 5  # Martin Luther King Jr. Day
    assert per_day.get(date(2025, 1, 26), 0) < workday / 5  # a Sunday


def test_volumes_per_person_day(run: Run) -> None:
    person_days = {(r["user"], _time(r["date"]).date()) for r in run.rows("logon.csv")}
    n = len(person_days)
    assert 12 < len(run.rows("http.csv")) / n < 30
    assert 3 < len(run.rows("email.csv")) / n < 10
    assert 2 < len(run.rows("file.csv")) / n < 8
    assert 2.5 < len(run.rows("logon.csv")) / n < 6


def test_benign_mass_mail_and_no_ticket_reads(run: Run, read_jsonl: JsonReader) -> None:
    mails = run.benign(run.rows("email.csv"))
    assert any(len(r["to"].split(";")) > 20 for r in mails)
    rows = read_jsonl(run.root / "datastore_access.jsonl")
    assert any(r["ticket"] is None and r["user"] not in run.insiders and
               str(r["dataset"]).startswith("user_profiles") for r in rows)


def test_benign_access_without_purpose(run: Run, read_jsonl: JsonReader) -> None:
    """Ordinary data-store work sometimes lacks a purpose, so that alone is not an insider."""
    rows = read_jsonl(run.root / "datastore_access.jsonl")
    benign = [r for r in rows if r["user"] not in run.insiders]
    bare = [r for r in benign if r["purpose"] is None]
    assert bare
    assert 0.005 < len(bare) / len(benign) < 0.2
    people = {str(r["user"]) for r in bare}
    assert len(people) >= 3
    roles = {run.hr[u]["role"] for u in people}
    assert roles & {"DataEngineer", "SystemAdministrator", "Analyst"}
    assert any(r["ticket"] is None and str(r["dataset"]).startswith(("user_profiles", "messages"))
               for r in bare)


def test_on_call_bursts_look_like_privileged_reads_without_ticket() -> None:
    """Benign privileged staff sometimes read user records for a day or two without a
    ticket or purpose: the look-alike of scenario 7."""
    from watchkeeper.sim import SimConfig
    from watchkeeper.sim.engine import build
    from watchkeeper.sim.lookalikes import ON_CALL_ROLES

    world, injection, incidents = build(SimConfig(users=300, days=200, seed=3))
    insiders = {world.org.people[i.person].user_id for i in incidents}
    roles = {p.user_id: p.role for p in world.org.people}
    days: dict[str, set[int]] = {}
    for (day, source), rows in injection.rows.items():
        for r in rows:
            if source == "datastore" and r["tag"] == -1:
                assert r["ticket"] is None and r["purpose"] is None
                assert str(r["dataset"]).startswith(("user_profiles", "messages"))
                days.setdefault(str(r["user"]), set()).add(day)
    assert days and not set(days) & insiders
    assert all(roles[u] in ON_CALL_ROLES for u in days)
    assert any(len(d) <= 2 for d in days.values())


def _realistic(run: Run) -> None:
    if '"profile": "realistic"' not in (run.root / "simulation.json").read_text():
        pytest.skip("a realistic-profile property")


def test_realistic_benign_people_show_every_indicator(run: Run) -> None:
    """Multi-page job browsing, AI prompts, evening work and other people's PCs are
    ordinary among people who are not insiders."""
    _realistic(run)
    http = run.benign(run.rows("http.csv"))
    jobs: dict[tuple[str, str], int] = {}
    for r in http:
        if "indeed.com" in r["url"] or "glassdoor.com" in r["url"] or "monster.com" in r["url"]:
            key = (r["user"], r["date"][:10])
            jobs[key] = jobs.get(key, 0) + 1
    assert max(jobs.values()) >= 3
    genai = [r for r in http if r["activity"] == "WWW Upload"
             and ("//chatgpt.com/" in r["url"] or "//claude.ai/" in r["url"])]
    assert len({r["user"] for r in genai}) >= 10
    owners = {r["host"]: r["owner"] for r in run.rows("devices.csv")}
    borrowed = {r["user"] for r in run.benign(run.rows("logon.csv"))
                if owners.get(r["pc"]) not in ("", r["user"])}
    assert len(borrowed) >= len(run.hr) // 4
    shared = sum(v == "" for v in owners.values())
    assert shared >= len(owners) // 20


def test_realistic_hr_noise(run: Run, read_csv: CsvReader) -> None:
    """Team moves show in the monthly LDAP snapshots; the HR feed misses some managers."""
    _realistic(run)
    teams: dict[str, set[str]] = {}
    for path in sorted((run.root / "LDAP").glob("*.csv")):
        for r in read_csv(path):
            teams.setdefault(r["user_id"], set()).add(r["team"])
    hr_missing = sum(r["manager"] == "" and r["role"] != "ChiefExecutive"
                     for r in run.hr.values())
    assert any(len(t) > 1 for t in teams.values()) or hr_missing
