"""The answer key: complete, truthful, and each scenario looks like its description."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from watchkeeper.sim import SimResult

CsvReader = Callable[[Path], list[dict[str, str]]]
JsonReader = Callable[[Path], list[dict[str, object]]]
CERT_FILES = ("logon", "device", "file", "email", "http")


def _time(text: str) -> datetime:
    if text.endswith("Z"):
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return datetime.strptime(text, "%m/%d/%Y %H:%M:%S")


def _day(text: str) -> date:
    return date.fromisoformat(text)


class Key:
    """One run's answer key, observables and HR feed, read back from disk."""

    def __init__(self, run: SimResult, read_csv: CsvReader) -> None:
        self.root = run.out
        self.insiders = read_csv(run.out / "answers" / "insiders.csv")
        self.hr = {r["id"]: r for r in read_csv(run.out / "hr_feed.csv")}
        self.hosts = {r["host"]: r for r in read_csv(run.out / "devices.csv")}
        self.profile = json.loads((run.out / "simulation.json").read_text())["profile"]

    def observables(self, row: dict[str, str]) -> list[list[str]]:
        path = self.root / "answers" / f"{row['dataset']}-{row['scenario']}" / row["details"]
        return [line.split(",") for line in path.read_text().splitlines()]

    def scenario(self, number: int) -> tuple[dict[str, str], list[list[str]]]:
        row = next(r for r in self.insiders if r["scenario"] == str(number))
        return row, self.observables(row)


@pytest.fixture(scope="module")
def key(full_run: SimResult, read_csv: CsvReader) -> Key:
    return Key(full_run, read_csv)


def test_every_scenario_once(key: Key, full_run: SimResult) -> None:
    count = 9 if key.profile == "realistic" else 8
    assert sorted(int(r["scenario"]) for r in key.insiders) == list(range(1, count + 1))
    assert full_run.incidents == count
    assert {r["dataset"] for r in key.insiders} == {"sim-11"}
    assert all(r["details"] == f"sim-11-{r['scenario']}-{r['user']}.csv" for r in key.insiders)


def test_observables_are_real_rows(key: Key, read_jsonl: JsonReader) -> None:
    lines = {s: set((key.root / f"{s}.csv").read_text().splitlines()[1:]) for s in CERT_FILES}
    store = {",".join(str(r[k]) for k in ("id", "timestamp", "user", "host", "dataset",
                                          "operation", "records"))
             for r in read_jsonl(key.root / "datastore_access.jsonl")}
    for row in key.insiders:
        observed = key.observables(row)
        assert observed
        for fields in observed:
            text = ",".join(fields[1:])
            assert text in (store if fields[0] == "datastore" else lines[fields[0]]), text


def test_insiders_exist_and_times_are_bounded(key: Key, read_csv: CsvReader) -> None:
    ldap = {r["user_id"] for p in (key.root / "LDAP").glob("*.csv") for r in read_csv(p)}
    for row in key.insiders:
        assert row["user"] in key.hr and row["user"] in ldap
        start, end = _time(row["start"]), _time(row["end"])
        assert start <= end
        stamps = [_time(f[2]) for f in key.observables(row)]
        assert min(stamps) == start and max(stamps) == end
        assert stamps == sorted(stamps)


def test_leak_site(key: Key, read_csv: CsvReader) -> None:
    row, observed = key.scenario(1)
    first = _time(row["start"])
    devices = read_csv(key.root / "device.csv")
    assert not [d for d in devices if d["user"] == row["user"] and _time(d["date"]) < first]
    assert any(f[0] == "http" and "wikileaks.org" in f[5] and f[6] == "WWW Upload"
               for f in observed)
    assert key.hr[row["user"]]["end_date"] >= _time(row["end"]).date().isoformat()


def test_job_hunt(key: Key) -> None:
    row, observed = key.scenario(2)
    kinds = {f[0] for f in observed}
    assert {"http", "device", "file", "email"} <= kinds
    assert any(f[0] == "email" and "lucernepublishing.com" in f[5] for f in observed)
    hr = key.hr[row["user"]]
    assert hr["notice_date"] and hr["end_date"]


def test_keylogger(key: Key, read_csv: CsvReader) -> None:
    row, observed = key.scenario(3)
    # the realistic HR feed misses some managers; the LDAP snapshots name the supervisor
    ldap = {r["user_id"]: r for p in sorted((key.root / "LDAP").glob("*.csv"))
            for r in read_csv(p)}
    by_name = {r["employee_name"]: u for u, r in ldap.items()}
    boss = key.hr[row["user"]]["manager"] or by_name[ldap[row["user"]]["supervisor"]]
    assert any(f[0] == "http" and f[6] == "WWW Download" for f in observed)
    assert any(f[0] == "logon" and f[3] == boss for f in observed)
    mail = [f for f in observed if f[0] == "email"]
    assert mail and mail[0][3] == boss and len(mail[0][5].split(";")) > 20
    assert key.hr[row["user"]]["end_date"] == _time(row["end"]).date().isoformat()


def test_snooping(key: Key) -> None:
    row, observed = key.scenario(4)
    pcs = {f[4] for f in observed if f[0] == "logon"}
    assert pcs and all(key.hosts[pc]["owner"] not in ("", row["user"]) for pc in pcs)
    mails = [f for f in observed if f[0] == "email"]
    assert mails and all(not f[5].endswith("@corp.example") for f in mails)


def test_layoff_upload(key: Key) -> None:
    row, observed = key.scenario(5)
    me = key.hr[row["user"]]
    laid_off = [r for r in key.hr.values() if r["team"] == me["team"] and
                "reduction-in-force" in r["watchlists"] and r["id"] != row["user"]]
    if key.profile == "classic":  # the realistic HR feed records some notices late
        assert all(r["notice_date"] == me["notice_date"] for r in laid_off)
    assert me["notice_date"] and laid_off
    assert any(f[0] == "http" and f[6] == "WWW Upload" for f in observed)


def test_cross_region_export(key: Key, read_jsonl: JsonReader) -> None:
    row, observed = key.scenario(6)
    ids = {f[1] for f in observed}
    events = [r for r in read_jsonl(key.root / "datastore_access.jsonl") if r["id"] in ids]
    assert events and all(r["data_region"] != key.hr[row["user"]]["region"] for r in events)
    assert any(r["operation"] == "export" and r["ticket"] is None for r in events)


def test_privileged_reads(key: Key, read_jsonl: JsonReader) -> None:
    row, observed = key.scenario(7)
    assert key.hr[row["user"]]["role"] in ("SystemAdministrator", "ITAdmin", "DataEngineer")
    ids = {f[1] for f in observed}
    events = [r for r in read_jsonl(key.root / "datastore_access.jsonl") if r["id"] in ids]
    assert all(r["ticket"] is None and r["operation"] == "read" for r in events)
    days = sorted(_time(str(r["timestamp"])).date() for r in events)
    first_week = sum((d - days[0]).days < 7 for d in days)
    assert len(days) - first_week > first_week


def test_departing(key: Key) -> None:
    row, observed = key.scenario(8)
    hr = key.hr[row["user"]]
    if key.profile == "classic":
        assert hr["notice_date"] and _day(hr["notice_date"]) < _time(row["start"]).date()
    # realistic: HR may record the notice late (after the first event), never after the end
    assert hr["notice_date"] and _day(hr["notice_date"]) <= _day(hr["end_date"])
    assert _time(row["end"]).date() <= _day(hr["end_date"])
    assert any(f[0] in ("http", "email") for f in observed)


def test_genai_record_paste(key: Key) -> None:
    if key.profile == "classic":
        pytest.skip("scenario 9 is in the realistic profile only")
    row, observed = key.scenario(9)
    hr = key.hr[row["user"]]
    assert hr["role"] in ("SupportAgent", "Analyst", "DataEngineer", "FraudAnalyst")
    assert hr["notice_date"] and hr["end_date"]
    pastes = [f for f in observed if f[0] == "http" and f[6] == "WWW Upload"]
    assert pastes and all(f[7].startswith("user_id name email phone") for f in pastes)
    assert any(f[0] == "datastore" and f[5].startswith("user_profiles") for f in observed)
