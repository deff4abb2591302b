"""Each CERT file shape (r4.2 to r6.2 layouts, with and without headers) normalizes right."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.errors import InputError
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.sources.base import SourceContext

CTX = SourceContext()


def run(tmp_path: Path, files: list[Path], ctx: SourceContext = CTX) -> tuple[Lake, Any]:
    lake = Lake(tmp_path / "lake")
    report = ingest(lake, files, "cert", ctx)
    return lake, report


def rows(lake: Lake, table: str) -> list[dict[str, Any]]:
    return sorted(lake.table(table).to_pyarrow().to_pylist(),
                  key=lambda r: str(r.get("event_id") or r.get("observation_id") or r["user"]))


def test_logon_converts_local_time_to_utc(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
              [logon_row(1), logon_row(2, activity="Logoff")])
    lake, report = run(tmp_path, [f], SourceContext(timezone="America/New_York"))
    assert (report.read, report.accepted, report.quarantined) == (2, 2, 0)
    first, second = rows(lake, "authentication")
    assert first["time"] == datetime(2010, 1, 4, 14, 1, tzinfo=UTC)  # 09:01 EST
    assert (first["activity"], second["activity"]) == ("logon", "logoff")
    assert first["user"] == "ACM2278" and first["host"] == "PC-6377"
    assert first["source"] == "cert" and first["class"] == "authentication"
    assert first["day"] == date(2010, 1, 4)


@pytest.mark.parametrize("layout", ["device_r6", "device_r4"])
def test_device_layouts(tmp_path: Path, layout: str) -> None:
    tree = ["R:\\;R:\\Docs"] if layout == "device_r6" else []
    row = ",".join(["{D1},01/04/2010 10:00:00,ACM2278,PC-1", *tree, "Connect"])
    f = write(tmp_path / "in" / "device.csv", HEADERS[layout], [row])
    lake, report = run(tmp_path, [f])
    (event,) = rows(lake, "peripheral")
    assert report.accepted == 1 and event["activity"] == "connect"
    assert event["device_kind"] == "usb"
    assert event["file_tree"] == (["R:\\", "R:\\Docs"] if tree else [])


def test_file_r6_flags_and_extension(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "file.csv", HEADERS["file_r6"], [
        '{F1},01/04/2010 10:00:00,ACM2278,PC-1,R:\\out\\Plan.DOCX,File Write,True,False,'
        '"plan, budget"'])
    lake, _ = run(tmp_path, [f])
    (event,) = rows(lake, "file")
    assert event["activity"] == "write" and event["file_ext"] == "docx"
    assert event["to_removable"] is True and event["from_removable"] is False
    assert event["content"] == "plan, budget"


def test_file_r4_is_copy_to_removable(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "file.csv", HEADERS["file_r4"],
              ["{F1},01/04/2010 10:00:00,ACM2278,PC-1,C:\\a\\b.pdf,words"])
    lake, _ = run(tmp_path, [f])
    (event,) = rows(lake, "file")
    assert event["activity"] == "copy" and event["to_removable"] is True


def test_email_r6_recipients_and_attachments(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "email.csv", HEADERS["email_r6"], [
        "{E1},01/04/2010 10:00:00,ACM2278,PC-1,a@dtaa.com;x@gmail.com,b@dtaa.com,"
        "y@yahoo.com;a@dtaa.com,acm@dtaa.com,Send,20480,C:\\q.pdf(100);C:\\r.zip(200),hi"])
    lake, _ = run(tmp_path, [f])
    (e,) = rows(lake, "email")
    assert e["to"] == ["a@dtaa.com", "x@gmail.com"] and e["bcc"] == ["y@yahoo.com", "a@dtaa.com"]
    assert e["recipients"] == ["a@dtaa.com", "x@gmail.com", "b@dtaa.com", "y@yahoo.com",
                               "a@dtaa.com"]
    assert e["recipient_count"] == 4 and e["external_recipient_count"] == 2
    assert e["attachments"] == ["C:\\q.pdf", "C:\\r.zip"] and e["attachment_count"] == 2
    assert e["sender"] == "acm@dtaa.com" and e["size"] == 20480 and e["activity"] == "send"


def test_email_r4_attachment_count(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "email.csv", HEADERS["email_r4"], [
        "{E1},01/04/2010 10:00:00,ACM2278,PC-1,a@dtaa.com,,,acm@dtaa.com,999,3,text"])
    lake, _ = run(tmp_path, [f])
    (e,) = rows(lake, "email")
    assert e["attachment_count"] == 3 and e["attachments"] == [] and e["cc"] == []


@pytest.mark.parametrize(("layout", "header", "content"), [
    ("http_r6", True, True), ("http_r4", True, True), ("http_r4", False, True),
    ("http_r6", False, True), ("http_r4", False, False), ("http_r6", False, False)])
def test_http_layouts(tmp_path: Path, layout: str, header: bool, content: bool) -> None:
    fields = ["{H1},01/04/2010 10:00:00,ACM2278,PC-1,https://Jobs.Example.com:8443/apply?x=1"]
    if layout == "http_r6":
        fields.append("WWW Upload")
    if content:
        fields.append("resume salary")
    f = write(tmp_path / "in" / "http.csv",
              HEADERS[layout].removesuffix(",content") + (",content" if content else "")
              if header else None, [",".join(fields)])
    lake, report = run(tmp_path, [f])
    (w,) = rows(lake, "web")
    assert report.quarantined == 0
    assert w["domain"] == "jobs.example.com"
    assert w["activity"] == ("upload" if layout == "http_r6" else "visit")
    assert w["content"] == ("resume salary" if content else None)


def test_psychometric(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "psychometric.csv", HEADERS["psychometric"],
              ["Calvin Mccall,ACM2278,40,39,36,19,40"])
    lake, _ = run(tmp_path, [f])
    (p,) = rows(lake, "psychometric")
    assert p == {"user": "ACM2278", "name": "Calvin Mccall", "O": 40, "C": 39, "E": 36,
                 "A": 19, "N": 40}


def _ldap(tmp_path: Path, month: str, people: list[str], layout: str = "ldap_r4") -> Path:
    return write(tmp_path / "in" / "LDAP" / f"{month}.csv", HEADERS[layout], people)


BOSS = "Bob Boss,BOB0001,bob@dtaa.com,Manager,1,Sales,D1,T1,"
ALICE = "Alice A,ALI0002,alice@dtaa.com,Salesman,1,Sales,D1,T1,Bob Boss"
ALICE_MOVED = "Alice A,ALI0002,alice@dtaa.com,Lead,1,Sales,D2,T9,Bob Boss"
CAROL = "Carol C,CAR0003,carol@dtaa.com,Engineer,1,Eng,D3,T3,Bob Boss"


def test_ldap_history_changes_joiners_and_leavers(tmp_path: Path) -> None:
    files = [_ldap(tmp_path, "2010-01", [BOSS, ALICE, CAROL]),
             _ldap(tmp_path, "2010-02", [BOSS, ALICE_MOVED, CAROL]),
             _ldap(tmp_path, "2010-03", [BOSS, ALICE_MOVED]),
             _ldap(tmp_path, "2010-04", [BOSS, ALICE_MOVED,
                                         "Dan D,DAN0004,dan@dtaa.com,Intern,1,Eng,D3,T3,"])]
    lake, report = run(tmp_path, files)
    assert report.accepted == 11
    history = {}
    for r in rows(lake, "people"):
        history.setdefault(r["user"], []).append(r)
    alice = sorted(history["ALI0002"], key=lambda r: r["valid_from"])
    assert [(r["role"], r["valid_from"], r["valid_to"]) for r in alice] == [
        ("Salesman", date(2010, 1, 1), date(2010, 2, 1)), ("Lead", date(2010, 2, 1), None)]
    assert alice[0]["manager"] == "BOB0001" and alice[1]["department"] == "D2"
    carol = history["CAR0003"]
    assert carol[-1]["end_date"] == date(2010, 2, 28)  # missing from the March snapshot
    assert all(r["end_date"] is None for r in carol if r["valid_from"] < date(2010, 2, 28))
    assert history["DAN0004"][0]["employment_start"] == date(2010, 4, 1)
    assert history["BOB0001"][0]["employment_start"] is None  # there from the first snapshot


def test_ldap_r6_with_projects(tmp_path: Path) -> None:
    f = _ldap(tmp_path, "2010-01",
              ["Alice A,ALI0002,alice@dtaa.com,Salesman,P1;P2,1,Sales,D1,T1,"], "ldap_r6")
    lake, _ = run(tmp_path, [f])
    (p,) = rows(lake, "people")
    assert p["user"] == "ALI0002" and p["role"] == "Salesman" and p["team"] == "T1"


def test_unknown_header_is_a_clear_error(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "logon.csv", "id,when,who,where,what", [logon_row(1)])
    with pytest.raises(InputError, match=r"logon.csv:1: unrecognized logon header"):
        run(tmp_path, [f])


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    d = tmp_path / "in" / "logon.csv"
    d.mkdir(parents=True)
    with pytest.raises(InputError, match=r"logon\.csv"):
        run(tmp_path, [d])


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "a" / "logon.csv"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    header_only = write(tmp_path / "b" / "device.csv", HEADERS["device_r6"], [])
    _, report = run(tmp_path, [empty, header_only])
    assert (report.read, report.accepted, report.quarantined) == (0, 0, 0)


def test_hr_facts_are_visible_only_from_the_day_hr_knew_them(tmp_path: Path) -> None:
    from watchkeeper.sources.base import SourceContext as Ctx

    ldap = _ldap(tmp_path, "2010-01", [BOSS, ALICE])
    hr = tmp_path / "in" / "hr_feed.csv"
    hr.write_text("id,name,email,department,team,role,manager,region,country,hire_date,"
                  "notice_date,end_date,watchlists\n"
                  "ALI0002,Alice A,alice@dtaa.com,D1,T1,Salesman,BOB0001,EU,DE,2009-05-01,"
                  "2010-01-20,2010-02-05,departing;high-value\n")
    lake = Lake(tmp_path / "lake")
    ingest(lake, [ldap], "cert", Ctx())
    ingest(lake, [hr], "hr", Ctx())
    alice = sorted((r for r in lake.table("people").to_pyarrow().to_pylist()
                    if r["user"] == "ALI0002"), key=lambda r: r["valid_from"])
    before = [r for r in alice if r["valid_from"] < date(2010, 1, 20)]
    after = [r for r in alice if r["valid_from"] >= date(2010, 1, 20)]
    assert before and all(r["watchlists"] is None and r["notice_date"] is None
                          and r["end_date"] is None for r in before)
    assert after[0]["watchlists"] == ["departing", "high-value"]
    assert after[0]["notice_date"] == date(2010, 1, 20)
    assert after[0]["end_date"] == date(2010, 2, 5)
    assert before[-1]["region"] == "EU"  # static HR facts hold from the hire date
