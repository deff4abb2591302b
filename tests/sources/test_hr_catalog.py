"""HR feed and catalog CSV files."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from sources.golden import HR_HEADER, HR_ROW
from sources.source_helpers import read_all, write
from watchkeeper.errors import InputError
from watchkeeper.sources import catalog, hr
from watchkeeper.sources.catalog import AssetsSource, DevicesSource
from watchkeeper.sources.hr import HrSource


def test_hr_row(tmp_path: Path) -> None:
    result = read_all(HrSource(), write(tmp_path, "hr.csv", HR_HEADER + HR_ROW))
    assert result.rejects == []
    assert result.rows == [{
        "observation_id": "hr:2019-03-01:AAM0658", "source": "hr", "as_of": date(2019, 3, 1),
        "user": "AAM0658", "name": "Ann Moss", "email": "ann@corp.example",
        "department": "Finance", "team": "Payroll", "role": "Analyst", "manager": "BOB0001",
        "region": "EU", "country": "DE", "employment_start": date(2019, 3, 1),
        "notice_date": date(2025, 1, 10), "end_date": date(2025, 2, 28),
        "watchlists": ["flight_risk", "privileged"]}]


def test_hr_as_of_column_and_optional_team(tmp_path: Path) -> None:
    header = HR_HEADER.replace("team,", "").replace("watchlists", "watchlists,as_of")
    row = HR_ROW.replace("Payroll,", "").replace("privileged", "privileged,2025-01-31")
    blank = "BOB0001,Bob,,,,,,,2010-01-01,,,,\n"
    result = read_all(HrSource(), write(tmp_path, "hr.csv", header + row + blank))
    first, second = result.rows
    assert (first["observation_id"], first["as_of"], first["team"]) == \
        ("hr:2025-01-31:AAM0658", date(2025, 1, 31), None)
    assert (second["as_of"], second["notice_date"], second["watchlists"]) == \
        (date(2010, 1, 1), None, [])


@pytest.mark.parametrize(("line", "reason"), [
    (HR_ROW.replace("AAM0658", ""), "field 'id': missing"),
    (HR_ROW.replace("2019-03-01", ""), "field 'hire_date': missing"),
    (HR_ROW.replace("2019-03-01", "03/01/2019"),
     "field 'hire_date': cannot parse '03/01/2019' as an ISO date"),
    (HR_ROW.replace("2025-01-10", "soon"), "field 'notice_date': cannot parse 'soon' as an "
     "ISO date"),
    (HR_ROW.replace(",DE,", ","), "expected 13 columns, got 12"),
    (HR_ROW.replace("Ann Moss", '"Ann "Moss'), "malformed CSV: ',' expected after '\"'"),
])
def test_hr_rejects(tmp_path: Path, line: str, reason: str) -> None:
    result = read_all(HrSource(), write(tmp_path, "hr.csv", HR_HEADER + HR_ROW + line))
    assert len(result.rows) == 1
    assert result.reasons() == {3: reason}


def test_hr_header_and_sniff(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape("header lacks column(s) hire_date")):
        read_all(HrSource(), write(tmp_path, "x.csv", "id,name\nA,B\n"))
    assert read_all(HrSource(), write(tmp_path, "empty.csv", "")).read == 0
    assert read_all(HrSource(), write(tmp_path, "head.csv", HR_HEADER)).read == 0
    assert hr.sniff(write(tmp_path, "hr.csv", HR_HEADER + HR_ROW))
    assert not hr.sniff(write(tmp_path, "dev.csv", "host,owner,shared,region,office\n"))


DEVICES = "host,owner,shared,region,office\nPC-1,AAM0658,false,EU,Berlin\nLAB-1,,True,US,\n"
ASSETS = ("dataset,region,sensitivity,owner_team,description\n"
          'user_profiles_eu,EU,High,crm,"Profiles, EU customers"\n')


def test_devices(tmp_path: Path) -> None:
    result = read_all(DevicesSource(), write(tmp_path, "devices.csv", DEVICES))
    assert result.rows == [
        {"host": "PC-1", "owner": "AAM0658", "shared": False, "region": "EU",
         "office": "Berlin"},
        {"host": "LAB-1", "owner": None, "shared": True, "region": "US", "office": None}]


def test_devices_rejects(tmp_path: Path) -> None:
    text = DEVICES + ",u,false,EU,x\nPC-2,u,sometimes,EU,x\nPC-3,u\n"
    result = read_all(DevicesSource(), write(tmp_path, "devices.csv", text))
    assert result.reasons() == {4: "field 'host': missing",
                                5: "field 'shared': cannot parse 'sometimes' as a boolean",
                                6: "expected 5 columns, got 2"}


def test_assets(tmp_path: Path) -> None:
    result = read_all(AssetsSource(), write(tmp_path, "assets.csv", ASSETS + ",EU,low,,\n"))
    assert result.rows == [{"dataset": "user_profiles_eu", "region": "EU",
                            "sensitivity": "high", "owner_team": "crm",
                            "description": "Profiles, EU customers", "vip": False}]
    assert result.reasons() == {3: "field 'dataset': missing"}


def test_catalog_sniff_and_unreadable(tmp_path: Path) -> None:
    devices, assets = write(tmp_path, "d.csv", DEVICES), write(tmp_path, "a.csv", ASSETS)
    assert catalog.sniff_devices(devices) and not catalog.sniff_devices(assets)
    assert catalog.sniff_assets(assets) and not catalog.sniff_assets(devices)
    with pytest.raises(InputError, match=re.escape("nope.csv")):
        read_all(AssetsSource(), tmp_path / "nope.csv")
