"""Every output file has the promised columns and value formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from watchkeeper.sim import SimResult

CsvReader = Callable[[Path], list[dict[str, str]]]
JsonReader = Callable[[Path], list[dict[str, object]]]

CERT_HEADERS = {
    "logon.csv": "id,date,user,pc,activity",
    "device.csv": "id,date,user,pc,file_tree,activity",
    "file.csv": "id,date,user,pc,filename,activity,to_removable_media,from_removable_media,"
                "content",
    "email.csv": "id,date,user,pc,to,cc,bcc,from,activity,size,attachments,content",
    "http.csv": "id,date,user,pc,url,activity,content",
    "psychometric.csv": "employee_name,user_id,O,C,E,A,N",
    "hr_feed.csv": "id,name,email,department,team,role,manager,region,country,hire_date,"
                   "notice_date,end_date,watchlists",
    "assets.csv": "dataset,region,sensitivity,owner_team,description",
    "devices.csv": "host,owner,shared,region,office",
    "answers/insiders.csv": "dataset,scenario,details,user,start,end",
}
LDAP_HEADER = ("employee_name,user_id,email,role,projects,business_unit,functional_unit,"
               "department,team,supervisor")
ID = re.compile(r"^\{[0-9A-Z]{4}-[0-9A-Z]{8}-[0-9A-Z]{8}\}$")
USER = re.compile(r"^[A-Z]{3}[0-9]{4}$")
PC = re.compile(r"^PC-[0-9]{4,}$")
ADDRESS = re.compile(r"^[a-z0-9.\-]+@[a-z0-9.\-]+$")
ATTACHMENT = re.compile(r"^[CR]:\\.+\([0-9]+\)$")
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ACTIVITIES = {
    "logon.csv": {"Logon", "Logoff"}, "device.csv": {"Connect", "Disconnect"},
    "file.csv": {"File Open", "File Write", "File Copy", "File Delete"},
    "email.csv": {"Send", "View"}, "http.csv": {"WWW Visit", "WWW Download", "WWW Upload"}}


def _cert_time(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%Y %H:%M:%S")


def test_headers(small_run: SimResult) -> None:
    for name, header in CERT_HEADERS.items():
        first = (small_run.out / name).read_text().split("\n", 1)[0]
        assert first == header, name
    ldap = sorted((small_run.out / "LDAP").glob("*.csv"))
    assert [p.name for p in ldap] == ["2025-01.csv", "2025-02.csv"]
    for path in ldap:
        assert path.read_text().split("\n", 1)[0] == LDAP_HEADER


def test_event_rows(small_run: SimResult, read_csv: CsvReader) -> None:
    for name, activities in ACTIVITIES.items():
        rows = read_csv(small_run.out / name)
        assert rows, name
        times = [_cert_time(r["date"]) for r in rows]
        assert times == sorted(times), f"{name} is not in time order"
        for r in rows:
            assert ID.match(r["id"]) and USER.match(r["user"]) and PC.match(r["pc"]), r
            assert r["activity"] in activities


def test_device_and_file_fields(small_run: SimResult, read_csv: CsvReader) -> None:
    for r in read_csv(small_run.out / "device.csv"):
        if r["activity"] == "Connect":
            assert r["file_tree"].startswith("R:\\")
        else:
            assert r["file_tree"] == ""
    for r in read_csv(small_run.out / "file.csv"):
        assert r["to_removable_media"] in ("True", "False")
        assert r["from_removable_media"] in ("True", "False")
        assert r["filename"][:3] in ("C:\\", "R:\\")
        assert (r["to_removable_media"] == "True") <= r["filename"].startswith("R:\\")


def test_email_fields(small_run: SimResult, read_csv: CsvReader) -> None:
    for r in read_csv(small_run.out / "email.csv"):
        for field in ("to", "cc", "bcc"):
            assert all(ADDRESS.match(a) for a in r[field].split(";") if r[field]), r
        assert ADDRESS.match(r["from"]) and int(r["size"]) > 0
        assert all(ATTACHMENT.match(a) for a in r["attachments"].split(";") if a), r


def test_datastore_lines(small_run: SimResult, read_csv: CsvReader,
                         read_jsonl: JsonReader) -> None:
    rows = read_jsonl(small_run.out / "datastore_access.jsonl")
    assert rows
    keys = ["id", "timestamp", "user", "host", "dataset", "data_region", "operation",
            "records", "sensitivity", "ticket", "purpose", "client_ip"]
    catalog = {r["dataset"]: r for r in read_csv(small_run.out / "assets.csv")}
    for r in rows:
        assert list(r) == keys
        datetime.strptime(str(r["timestamp"]), "%Y-%m-%dT%H:%M:%SZ")
        assert r["operation"] in ("read", "export", "query", "delete")
        assert isinstance(r["records"], int) and r["records"] > 0
        assert r["ticket"] is None or re.match(r"^TCK-[0-9]{6}$", str(r["ticket"]))
        meta = catalog[str(r["dataset"])]
        assert (r["data_region"], r["sensitivity"]) == (meta["region"], meta["sensitivity"])
        assert str(r["client_ip"]).startswith("10.")


def test_ids_unique_across_files(
        small_run: SimResult,
        all_events: Callable[[Path], dict[str, list[dict[str, object]]]]) -> None:
    ids = [str(r["id"]) for rows in all_events(small_run.out).values() for r in rows]
    assert len(ids) == len(set(ids))


def test_people_files(small_run: SimResult, read_csv: CsvReader) -> None:
    hr = read_csv(small_run.out / "hr_feed.csv")
    assert len(hr) == small_run.people == 60
    ids = {r["id"] for r in hr}
    for r in hr:
        assert USER.match(r["id"]) and r["region"] in ("US", "EU", "APAC")
        # the realistic HR feed misses a few managers (HR noise)
        assert r["manager"] in ids or r["role"] == "ChiefExecutive" or r["manager"] == ""
        assert ISO_DAY.match(r["hire_date"])
        for field in ("notice_date", "end_date"):
            assert r[field] == "" or ISO_DAY.match(r[field])
    assert sum(r["manager"] == "" for r in hr) <= len(hr) // 5
    for r in read_csv(small_run.out / "psychometric.csv"):
        assert r["user_id"] in ids
        assert all(10 <= int(r[t]) <= 50 for t in "OCEAN")
    hosts = read_csv(small_run.out / "devices.csv")
    for h in hosts:
        assert PC.match(h["host"]) and (h["shared"] == "True") == (h["owner"] == "")
    assert any(h["shared"] == "True" for h in hosts)


def test_ldap_supervisors_are_employees(small_run: SimResult, read_csv: CsvReader) -> None:
    for path in (small_run.out / "LDAP").glob("*.csv"):
        rows = read_csv(path)
        names = {r["employee_name"] for r in rows}
        assert all(r["supervisor"] in names or r["supervisor"] == "" for r in rows)
