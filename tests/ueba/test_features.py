"""Exact feature values on hand-made lakes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from ueba.lakes import ev, make_lake, person, row_of
from watchkeeper.ueba import build_features
from watchkeeper.ueba.config import UebaConfig


def test_time_classes_follow_each_persons_time_zone_and_weekend(tmp_path: Path) -> None:
    # 2025-01-06 is a Monday; 14:00 UTC = 09:00 New York, 15:00 Berlin, 22:00 Singapore
    t = datetime(2025, 1, 6, 14)
    events = [ev("web", u, t, "visit", domain="bbc.co.uk") for u in ("us", "eu", "ap")]
    events.append(ev("web", "eu", datetime(2025, 1, 11, 10), "visit", domain="bbc.co.uk"))
    lake = make_lake(tmp_path, events, [person("us", "US"), person("eu", "EU"),
                                        person("ap", "APAC")])
    table = build_features(lake).table
    assert row_of(table, "us", date(2025, 1, 6))["web_visits_work_hours"] == 1
    assert row_of(table, "eu", date(2025, 1, 6))["web_visits_work_hours"] == 1
    assert row_of(table, "ap", date(2025, 1, 6))["web_visits_after_hours"] == 1
    assert row_of(table, "eu", date(2025, 1, 11))["web_visits_weekend"] == 1


def test_local_day_crosses_utc_midnight(tmp_path: Path) -> None:
    # 02:30 UTC Tuesday is 21:30 Monday in New York (after hours, Monday)
    lake = make_lake(tmp_path, [ev("authentication", "us", datetime(2025, 1, 7, 2, 30),
                                   "logon", status="success")], [person("us", "US")])
    row = row_of(build_features(lake).table, "us", date(2025, 1, 6))
    assert row["logon_after_hours"] == 1 and row["logon_count"] == 1


def test_machine_classes_from_devices(tmp_path: Path) -> None:
    t = datetime(2025, 1, 6, 14)
    events = [ev("authentication", "u1", t, "logon", host=h, status="success")
              for h in ("PC-1", "PC-K", "PC-2", "PC-M")]
    devices = [{"host": "PC-1", "owner": "u1", "shared": False, "region": "US", "office": "x"},
               {"host": "PC-K", "owner": None, "shared": True, "region": "US", "office": "x"},
               {"host": "PC-2", "owner": "u2", "shared": False, "region": "US", "office": "x"},
               {"host": "PC-M", "owner": "boss", "shared": False, "region": "US", "office": "x"}]
    lake = make_lake(tmp_path, events, [person("u1", "US", manager="boss")], devices)
    row = row_of(build_features(lake).table, "u1", date(2025, 1, 6))
    assert (row["logon_own_pc"], row["logon_shared_pc"]) == (1, 1)
    assert (row["logon_other_users_pc"], row["logon_manager_pc"]) == (2, 1)
    assert row["logon_hosts"] == 4


def test_personal_mail_from_another_users_pc(tmp_path: Path) -> None:
    # a colleague's PC, a shared kiosk, one's own PC; only the first counts
    t = datetime(2025, 1, 6, 14)
    mail = {"recipients": ["me@gmail.com"], "recipient_count": 1, "attachment_count": 1}
    events = [ev("email", "u1", t, "send", host=h, **mail) for h in ("PC-2", "PC-K", "PC-1")]
    events.append(ev("email", "u1", t, "send", host="PC-2",
                     recipients=["x@corp.example"], recipient_count=1))
    devices = [{"host": "PC-1", "owner": "u1", "shared": False, "region": "US", "office": "x"},
               {"host": "PC-K", "owner": None, "shared": True, "region": "US", "office": "x"},
               {"host": "PC-2", "owner": "u2", "shared": False, "region": "US", "office": "x"}]
    lake = make_lake(tmp_path, events, [person("u1", "US"), person("u2", "US")], devices)
    row = row_of(build_features(lake).table, "u1", date(2025, 1, 6))
    assert (row["email_personal_recipients"], row["email_personal_other_users_pc"]) == (3, 1)


def test_personal_mail_from_another_users_pc_without_devices(tmp_path: Path) -> None:
    # no devices table: each person's most used PC (by logons) is theirs
    t = datetime(2025, 1, 6, 14)
    logons = [ev("authentication", u, t - timedelta(minutes=k), "logon", host=h,
                 status="success") for u, h in (("u1", "PC-1"), ("u2", "PC-2"))
              for k in range(3)]
    mail = ev("email", "u1", t, "send", host="PC-2", recipients=["me@gmail.com"],
              recipient_count=1)
    lake = make_lake(tmp_path, [*logons, mail], [person("u1", "US"), person("u2", "US")])
    row = row_of(build_features(lake).table, "u1", date(2025, 1, 6))
    assert row["email_personal_other_users_pc"] == 1
    only_mail = make_lake(tmp_path / "mail", [mail], [person("u1", "US")])
    row = row_of(build_features(only_mail).table, "u1", date(2025, 1, 6))
    assert row["email_personal_other_users_pc"] == 0   # no logons: nothing to tell owners


def test_web_categories_by_suffix_and_keyword(tmp_path: Path) -> None:
    t = datetime(2025, 1, 6, 14)
    events = [
        ev("web", "u", t, "visit", domain="www.indeed.com", url="http://www.indeed.com/j"),
        ev("web", "u", t, "upload", domain="dropbox.com", url="http://dropbox.com/u"),
        ev("web", "u", t, "visit", domain="wikileaks.org", url="http://wikileaks.org/s"),
        ev("web", "u", t, "download", domain="tools.example", url="http://tools.example/kl",
           content="free Keylogger download"),
        ev("web", "u", t, "visit", domain="drive.google.com", url="http://drive.google.com"),
    ]
    lake = make_lake(tmp_path, events, [person("u", "US")])
    row = row_of(build_features(lake).table, "u", date(2025, 1, 6))
    assert (row["web_job"], row["web_cloud"], row["web_leak"], row["web_hacking"]) == (1, 2, 1, 1)
    assert row["web_search"] == 0 and row["web_cloud_uploads"] == 1


def test_email_personal_external_and_datastore_other_region(tmp_path: Path) -> None:
    t = datetime(2025, 1, 6, 14)
    events = [
        ev("email", "u", t, "send", recipients=["a@gmail.com", "b@corp.example"],
           bcc=["a@gmail.com"], external_recipient_count=1, attachment_count=2,
           recipient_count=2, size=2_000_000),
        ev("email", "u", t, "view", recipients=["u@corp.example"], recipient_count=1),
        ev("datastore", "u", t, "export", dataset="p_eu", data_region="EU",
           record_count=500, sensitivity="restricted"),
        ev("datastore", "u", t, "read", dataset="p_us", data_region="US", record_count=7,
           sensitivity="low", ticket="TCK-1"),
        ev("datastore", "u", t, "read", dataset="m_eu", data_region="EU", record_count=3,
           sensitivity="high", ticket="TCK-2"),
        ev("datastore", "u", t, "read", dataset="m_us", data_region="US", record_count=2,
           sensitivity="high"),
        ev("datastore", "u", t, "query", dataset="m_us", data_region="US", record_count=9,
           sensitivity="high", purpose="support"),
    ]
    for e in events[2:5]:
        e["purpose"] = "support"
    lake = make_lake(tmp_path, events, [person("u", "US")])
    row = row_of(build_features(lake).table, "u", date(2025, 1, 6))
    assert (row["email_sent"], row["email_personal_recipients"], row["email_bcc"]) == (1, 1, 1)
    assert (row["email_attachments_external"], row["email_size_mb"]) == (2, 2.0)
    assert (row["ds_records_exported"], row["ds_other_region_records"]) == (500, 503)
    assert (row["ds_no_ticket_records"], row["ds_records_low"], row["ds_records"]) == (511, 7, 521)
    assert row["email_personal_attachments"] == 2
    assert row["ds_other_region_no_ticket_records"] == 500     # the ticketed EU read is not
    assert row["ds_restricted_no_ticket_records"] == 500
    assert row["ds_sensitive_no_ticket_queries"] == 3   # the export and the m_us read, query
    assert row["ds_sensitive_no_ticket_reads"] == 1     # the m_us read (a lookup, no ticket)
    assert row["ds_no_purpose_queries"] == 1            # the m_us read declared no purpose


def test_first_time_flags_only_from_the_past(tmp_path: Path) -> None:
    d0 = datetime(2025, 1, 6, 14)
    events = [ev("authentication", "u", d0 + timedelta(days=i), "logon", status="success")
              for i in range(30)]
    events.append(ev("peripheral", "u", d0 + timedelta(days=20), "connect"))
    events.append(ev("peripheral", "u", d0 + timedelta(days=25), "connect"))
    events.append(ev("peripheral", "new", d0 + timedelta(days=3), "connect"))
    lake = make_lake(tmp_path, events, [person("u", "US"), person("new", "US")])
    t = build_features(lake, UebaConfig(first_time_min_history_days=14)).table
    flags = {r["day"]: r["first_usb"] for r in t.to_pylist() if r["user"] == "u"}
    assert flags[date(2025, 1, 26)] == 1 and flags[date(2025, 1, 31)] == 0
    assert sum(flags.values()) == 1
    assert row_of(t, "new", date(2025, 1, 9))["first_usb"] == 0  # no history before


def test_partial_data_reports_skipped_families(tmp_path: Path) -> None:
    t = datetime(2025, 1, 6, 14)
    only_ds = make_lake(tmp_path / "a", [ev("datastore", "u", t, "read", record_count=1)],
                        [person("u", "US")])
    fs = build_features(only_ds)
    assert set(fs.skipped) == {"logon", "session", "usb", "file", "email", "web"}
    logon_mail = make_lake(tmp_path / "b", [
        ev("authentication", "u", t, "logon", status="success"),
        ev("email", "u", t, "send", recipients=["x@corp.example"])], [person("u", "US")])
    fs = build_features(logon_mail)
    assert set(fs.skipped) == {"usb", "file", "web", "datastore"}
    assert "devices" in fs.notes


def test_time_zone_follows_the_people_row_valid_that_day(tmp_path: Path) -> None:
    # moves from New York to Berlin on 2025-01-10; 22:00 UTC is 17:00 in New York (work
    # hours) but 23:00 in Berlin (after hours)
    people = [person("u", "US", valid_to=date(2025, 1, 10)),
              person("u", "EU", valid_from=date(2025, 1, 10))]
    events = [ev("web", "u", datetime(2025, 1, 9, 22), "visit", domain="bbc.co.uk"),
              ev("web", "u", datetime(2025, 1, 13, 22), "visit", domain="bbc.co.uk")]
    table = build_features(make_lake(tmp_path, events, people)).table
    assert row_of(table, "u", date(2025, 1, 9))["web_visits_work_hours"] == 1
    assert row_of(table, "u", date(2025, 1, 13))["web_visits_after_hours"] == 1
    assert table.num_rows == 2                       # no event counted twice
