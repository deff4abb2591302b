"""Change features, checked against values computed by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.ueba.change import binomial_surprise, change_columns, js_divergence, with_change
from watchkeeper.ueba.change_email import new_contacts
from watchkeeper.ueba.change_words import describe, hour_ranges
from watchkeeper.ueba.firsts import FIRSTS_SCHEMA

D0 = date(2025, 1, 6)


def test_binomial_surprise_by_hand() -> None:
    k, n = np.array([1, 2, 0, 3]), np.array([1, 2, 4, 3])
    t, m = np.array([0, 1, 0, 8]), np.array([0, 2, 10, 8])
    out = binomial_surprise(k, n, t, m)
    # p = 1/2: P(X>=1 | n=1) = 0.5; p = 2/4: P(X>=2 | n=2) = 0.25; k = 0 -> 0;
    # p = 9/10: P(X>=3 | n=3) = 0.729 (a habit continued is no news)
    assert out == pytest.approx([-math.log10(0.5), -math.log10(0.25), 0.0,
                                 -math.log10(0.729)])


def test_js_divergence_by_hand() -> None:
    a = np.array([[1.0, 0.0], [2.0, 2.0], [1.0, 1.0], [0.0, 0.0]])
    b = np.array([[0.0, 3.0], [5.0, 5.0], [1.0, 0.0], [1.0, 0.0]])
    # disjoint: 1 bit; same shape: 0; (.5,.5) vs (1,0): mid (.75,.25),
    # KL(p|mid) = .5 log2(.5/.75) + .5 log2(.5/.25), KL(q|mid) = log2(1/.75); empty: 0
    kl_p = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(2.0)
    kl_q = math.log2(1 / 0.75)
    assert js_divergence(a, b) == pytest.approx([1.0, 0.0, (kl_p + kl_q) / 2, 0.0])


def _person(days: int, late_from: int) -> dict[str, np.ndarray]:
    """One person active every day at 09:00, also at 22:00 from day `late_from` on."""
    hours = np.array([2.0 ** 9 + (2.0 ** 22 if d >= late_from else 0.0) for d in range(days)])
    return {"chg_logon_hours": hours,
            "logon_after_hours": np.array([1.0 if d >= late_from else 0.0
                                           for d in range(days)])}


def test_new_hour_days_and_shift_by_hand() -> None:
    cols = _person(105, 100)
    users, days = np.zeros(105, np.int64), np.arange(105, dtype=np.int64)
    out = change_columns(users, days, cols, recent=7, trailing=30, min_active=5)
    # day 104: the 7 recent days (98-104) hold 22:00 on 5 days (100-104); the 30 days
    # before (68-97) never did
    assert out["change_logon_new_hour_days"][104] == 5.0
    assert out["change_logon_new_hour_days"][99] == 0.0     # nothing new that day
    assert out["change_logon_new_hour_days"][101] == 2.0
    # after-hours shift on day 104: k = 5 of n = 7, before t = 0 of m = 30, p = 1/32
    p = 1 / 32
    tail = sum(math.comb(7, j) * p ** j * (1 - p) ** (7 - j) for j in range(5, 8))
    assert out["change_after_hours_shift"][104] == pytest.approx(-math.log10(tail))
    assert out["change_after_hours_shift"][99] == 0.0       # no after-hours logon
    # hour histograms on day 104: recent 9h x7, 22h x5; before 9h x30
    rec, old = np.zeros((1, 24)), np.zeros((1, 24))
    rec[0, 9], rec[0, 22], old[0, 9] = 7, 5, 30
    assert out["change_logon_hour_js"][104] == pytest.approx(js_divergence(rec, old)[0])
    # too little history: the first rows get nothing
    assert out["change_logon_hour_js"][3] == 0.0


def test_hours_shift_by_hand() -> None:
    cols = _person(105, 100)
    users, days = np.zeros(105, np.int64), np.arange(105, dtype=np.int64)
    out = change_columns(users, days, cols, recent=7, trailing=30, min_active=5)
    # the windows 20-23, 21-24, 22-01 hold 22:00: k = 5 of 7 after 0 of 30, as above
    p = 1 / 32
    tail = sum(math.comb(7, j) * p ** j * (1 - p) ** (7 - j) for j in range(5, 8))
    assert out["change_logon_hours_shift"][104] == pytest.approx(-math.log10(tail))
    # day 95: 09:00 on 7 of 7 days after 30 of 30, p = 31/32: P(X >= 7) = (31/32)^7
    assert out["change_logon_hours_shift"][95] == pytest.approx(-7 * math.log10(31 / 32))


def test_windows_do_not_cross_people() -> None:
    a, b = _person(40, 10), _person(40, 100)
    cols = {k: np.concatenate([a[k], b[k]]) for k in a}
    users = np.repeat(np.array([0, 1], np.int64), 40)
    days = np.tile(np.arange(40, dtype=np.int64), 2)
    out = change_columns(users, days, cols, recent=7, trailing=30, min_active=5)
    assert out["change_logon_new_hour_days"][40:].max() == 0.0   # person 1: no change
    assert out["change_after_hours_shift"][40:].max() == 0.0


def _table(cols: dict[str, np.ndarray], n: int) -> pa.Table:
    t = pa.table({"user": pa.array(["u1"] * n),
                  "day": pa.array([D0 + timedelta(days=i) for i in range(n)], pa.date32())})
    for name in ("change_logon_new_hour_days", "change_after_hours_shift",
                 "change_logon_hour_js"):
        t = t.append_column(name, pa.array(np.zeros(n)))
    for name, values in cols.items():
        t = t.append_column(name, pa.array(values))
    return t


def test_with_change_keeps_days_before_since() -> None:
    table = _table(_person(105, 100), 105)
    full = with_change(table, 7, 30, 5)
    part = with_change(table, 7, 30, 5, since=D0 + timedelta(days=103))
    new = part["change_logon_new_hour_days"].to_pylist()
    assert new[:103] == [0.0] * 103                               # kept as they were
    assert new[103:] == full["change_logon_new_hour_days"].to_pylist()[103:] == [4.0, 5.0]


def test_words_say_what_to_check() -> None:
    rows = _table(_person(105, 100), 105)
    day = D0 + timedelta(days=104)
    assert describe("change_after_hours_shift", rows, day, 7, 30) == (
        "logged on outside their working hours on 5 of the last 7 days (7 active days); "
        "before: 0 of 30 active days in the 30 days before")
    assert describe("change_logon_new_hour_days", rows, day, 7, 30) == (
        "logged on between 22:00-23:00 on 5 of the last 7 days; before: 0 of 30 active "
        "days in the 30 days before")
    assert describe("change_logon_hours_shift", rows, day, 7, 30) == (
        "logged on between 20:00 and 23:00 on 5 of the last 7 days (7 active days); "
        "before: 0 of 30 active days in the 30 days before")
    assert describe("change_logon_hour_js", rows, day, 7, 30).startswith(
        "logon hours of the last 7 days differ from the 30 days before (Jensen-Shannon ")
    assert describe("logon_count", rows, day, 7, 30) == ""


def test_hour_ranges() -> None:
    assert hour_ranges([21, 22, 23, 0, 1]) == "21:00-02:00"
    assert hour_ranges([9, 22]) == "09:00-10:00, 22:00-23:00"
    assert hour_ranges([]) == "none"


def test_first_time_contacts_need_history() -> None:
    rows = [("active", "u1", "", D0), ("first_contact", "u1", "a@x.com", D0),
            ("first_contact", "u1", "b@x.com", D0 + timedelta(days=20)),
            ("first_contact", "u1", "c@y.com", D0 + timedelta(days=20)),
            ("first_contact", "u1", "d@y.com", D0 + timedelta(days=30)),
            ("first_usb", "u1", "", D0 + timedelta(days=20))]
    firsts = pa.Table.from_pylist([dict(zip(FIRSTS_SCHEMA.names, r, strict=True))
                                   for r in rows], schema=FIRSTS_SCHEMA)
    out = new_contacts(firsts, 14, None)
    # day 0 is within the first 14 days (everything is new then): not counted
    assert out.to_pylist() == [
        {"user": "u1", "wk_day": D0 + timedelta(days=20), "email_new_contacts": 2.0},
        {"user": "u1", "wk_day": D0 + timedelta(days=30), "email_new_contacts": 1.0}]
    later = new_contacts(firsts, 14, D0 + timedelta(days=25))
    assert later["email_new_contacts"].to_pylist() == [1.0]


def test_risk_explain_says_change_features_in_words() -> None:
    from dataclasses import dataclass

    from watchkeeper.cli.explain import _deviation
    from watchkeeper.risk.explain import Deviation, _change_words

    @dataclass(frozen=True)
    class Behaviour:
        features: pa.Table
        anomalies: pa.Table

    rows = _table(_person(120, 100), 120)   # default windows: 14 recent, 90 before
    words = _change_words(Behaviour(rows, rows), "u1")
    day = D0 + timedelta(days=110)
    said = words("change_after_hours_shift", day)
    assert said == ("logged on outside their working hours on 11 of the last 14 days "
                    "(14 active days); before: 0 of 90 active days in the 90 days before")
    assert words("logon_count", day) == ""
    line = _deviation(Deviation("change_after_hours_shift", 9.1, 0.0, 0.0, 6.0, "change",
                                said))
    assert line.endswith(": " + said)


def test_first_time_contacts_in_words() -> None:
    counts = np.zeros(30)
    counts[[20, 29]] = [3.0, 1.0]
    rows = _table({"email_new_contacts": counts}, 30)
    assert describe("email_new_contacts", rows, D0 + timedelta(days=29), 14, 90) == (
        "mailed 1 address never mailed before on this day; first-time contacts on 2 of "
        "the last 14 days")
