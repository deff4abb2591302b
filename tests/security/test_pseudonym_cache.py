"""The workspace builds its pseudonymizer once and rebuilds it only when the people,
devices or pseudonym key change (`watchkeeper.facade.names`); callers arriving together
share one build."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.security import Keys, Pseudonymizer
from watchkeeper.workspace import Workspace

HR_HEADER = ("id,name,email,department,team,role,manager,region,country,hire_date,"
             "notice_date,end_date,watchlists")
ANN = "AAM0658,Ann Moss,ann.moss@corp.example,Finance,Payroll,Analyst,,EU,DE,2019-03-01,,,"
CAL = "CAL0042,Cal Lowe,cal.lowe@corp.example,Sales,T1,Salesman,,US,US,2018-01-01,,,"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws", create=True)
    workspace.ingest([write(tmp_path / "in" / "hr.csv", HR_HEADER, [ANN])])
    return workspace


def test_a_second_call_reuses_the_build(ws: Workspace) -> None:
    first = ws.pseudonymizer()
    assert ws.pseudonymizer() is first
    assert ws.cases.names is first          # the case desk asks the workspace's cache
    assert ws.pseudonym_cache.builds == 1
    assert first.redact_text("Ann Moss") == first.pseudonym("AAM0658")


def test_a_person_ingested_since_is_pseudonymized(ws: Workspace, tmp_path: Path) -> None:
    before = ws.cases.names
    assert before.redact_text("Cal Lowe") == "Cal Lowe"
    ws.ingest([write(tmp_path / "in2" / "hr.csv", HR_HEADER, [ANN, CAL])])
    after = ws.pseudonymizer()
    assert ws.pseudonym_cache.builds == 2
    assert after.redact_text("Cal Lowe <cal.lowe@corp.example>") == (
        f"{after.pseudonym('CAL0042')} <{after.pseudonym('CAL0042')}@redacted>")
    assert after.reveal(after.pseudonym("CAL0042")) == "CAL0042"
    assert ws.cases.person(after.pseudonym("CAL0042")) == "CAL0042"
    assert ws.pseudonymizer() is after


def test_a_device_ingested_since_is_redacted(ws: Workspace, tmp_path: Path) -> None:
    ws.pseudonymizer()
    devices = write(tmp_path / "in2" / "devices.csv", "host,owner,shared,region,office",
                    ["PC-1,AAM0658,false,EU,Berlin"])
    ws.ingest([devices])
    names = ws.pseudonymizer()
    assert names.redact_text("on PC-1") == f"on host-of-{names.pseudonym('AAM0658')}"
    assert ws.pseudonym_cache.builds == 2


def test_events_alone_do_not_rebuild(ws: Workspace, tmp_path: Path) -> None:
    first = ws.pseudonymizer()
    stamp = ws.lake.manifest_stamp()
    ws.ingest([write(tmp_path / "cert" / "logon.csv", HEADERS["logon"], [logon_row(1)])],
              "cert")
    assert ws.lake.manifest_stamp() != stamp    # a commit happened, it listed no people
    assert ws.pseudonymizer() is first
    assert ws.pseudonym_cache.builds == 1


def test_another_key_rebuilds(ws: Workspace) -> None:
    old = ws.pseudonymizer().pseudonym("AAM0658")
    key = Keys(ws.root).path("pseudonym")
    key.write_bytes(bytes(range(32)))          # as a rotation leaves it (0600 kept)
    names = ws.pseudonymizer()
    assert ws.pseudonym_cache.builds == 2
    assert names.pseudonym("AAM0658") != old
    assert names.pseudonym("AAM0658") == Pseudonymizer(bytes(range(32)), []).pseudonym(
        "AAM0658")


def test_callers_arriving_together_share_one_build(ws: Workspace) -> None:
    got: list[Pseudonymizer] = []
    start = threading.Barrier(8)

    def call() -> None:
        start.wait()
        got.append(ws.pseudonymizer())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got)
    assert ws.pseudonym_cache.builds == 1
