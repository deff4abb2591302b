"""A tiny lake (an HR history with a management chain, a few logons) and stored alerts,
for the case repository, recusal and export tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.sources.base import SourceContext
from watchkeeper.store.models import (
    Account,
    Alert,
    AlertFinding,
    AlertHost,
    AlertSubject,
    Team,
    TeamMember,
    TeamRegion,
)

HR_HEADER = ("id,name,email,department,team,role,manager,region,country,hire_date,"
             "notice_date,end_date,watchlists,as_of")
# BOSS <- MGR <- ANA (the analyst alice) <- REP; MGR <- PEER; PEER <- ACM2278 (subject).
# REP reports to ANA until 2010-02-01, then to MGR; PEER reports to ANA from 2010-03-01.
PEOPLE = {"BOSS": ("Dana Boss", None), "MGR": ("Morgan Manager", "BOSS"),
          "ANA": ("Alice Analyst", "MGR"), "REP": ("Riley Report", "ANA"),
          "PEER": ("Pat Peer", "MGR"), "ACM2278": ("Calvin Love", "PEER")}
LATER = [("REP", "MGR", "2010-02-01"), ("PEER", "ANA", "2010-03-01")]
T0 = datetime(2010, 1, 4, 9, 0, tzinfo=UTC)
REAL = ("ACM2278", "Calvin Love", "calvin.love@dtaa.com", "calvin.love", "REP", "Riley Report")


def build_lake(root: Path) -> Lake:
    rows = [f"{u},{n},{n.lower().replace(' ', '.')}@dtaa.com,Sales,T1,Salesman,{m or ''},"
            f"EU,DE,2009-06-01,,,,2009-06-01" for u, (n, m) in PEOPLE.items()]
    for user, manager, as_of in LATER:
        name = PEOPLE[user][0]
        rows.append(f"{user},{name},{name.lower().replace(' ', '.')}@dtaa.com,Sales,T1,"
                    f"Salesman,{manager},EU,DE,2009-06-01,,,,{as_of}")
    hr = write(root / "in" / "hr.csv", HR_HEADER, rows)
    logons = write(root / "in" / "cert" / "logon.csv", HEADERS["logon"],
                   [logon_row(i, "ACM2278", "PC-6377", 4) for i in range(6)]
                   + [logon_row(10 + i, "REP", "PC-1111", 4) for i in range(2)])
    lake = Lake(root / "lake")
    ingest(lake, [hr], "hr", SourceContext())
    ingest(lake, [logons], "cert", SourceContext())
    return lake


def add_accounts(session: Session) -> dict[str, int]:
    """alice (analyst, person ANA), bob (analyst, no person), lee (lead, BOSS's
    manager chain nobody), audrey (auditor); the first three in team soc-eu (region
    eu, and so the alerts without a region)."""
    accounts = [Account(name="alice", role="analyst", person="ANA"),
                Account(name="bob", role="analyst"),
                Account(name="lee", role="lead", person="BOSS"),
                Account(name="audrey", role="auditor")]
    team = Team(name="soc-eu")
    session.add_all([*accounts, team])
    session.flush()
    session.add(TeamRegion(team_id=team.id, region="eu"))
    session.add_all(TeamMember(team_id=team.id, account_id=a.id) for a in accounts[:3])
    session.flush()
    return {a.name: a.id for a in accounts}


def add_alert(session: Session, ref: str, subjects: Sequence[str], *, hosts: Sequence[str] = (),
              at: datetime = T0, severity: int = 4, findings: Sequence[str] = (),
              region: str | None = None) -> int:
    row = Alert(source="watchkeeper.detect", source_ref=ref, fingerprint=ref.ljust(64, "0"),
                region=region,
                title=f"USB copy by {subjects[0] if subjects else 'nobody'}",
                severity=severity, status="new", rule="insider.exfil.file_to_removable",
                rule_id="insider.exfil.file_to_removable", event_time=at,
                first_seen=at - timedelta(minutes=5), last_seen=at, raw="{}",
                description=f"{len(subjects)} subject(s)")
    row.subjects = [AlertSubject(subject=s) for s in subjects]
    row.hosts = [AlertHost(host=h) for h in hosts]
    row.findings = [AlertFinding(finding_id=f) for f in findings]
    session.add(row)
    session.flush()
    return row.id
