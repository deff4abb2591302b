"""evaluate() and insiders.csv parsing on hand-made answer keys (exact values)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.errors import InputError
from watchkeeper.evaluate import evaluate, read_insiders

D0 = dt.date(2025, 1, 6)

SIM = """dataset,scenario,details,user,start,end
sim-7,1,sim-7-1-AAA0001.csv,AAA0001,01/08/2025 22:17:05,01/09/2025 01:00:00
sim-7,2,sim-7-2-BBB0002.csv,BBB0002,01/07/2025 09:10:00,01/10/2025 09:10:00
"""

CERT = """dataset,scenario,details,user,start,end,extra
4.2,1,r4.2-1-AAM0658.csv,AAM0658,10/23/2010 01:20:44,10/29/2010 04:35:03,x
5.2,2,r5.2-2-CCH0959.csv,CCH0959,1/4/2011 9:10:00,02/14/2011 16:00:00,y
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "insiders.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_reads_simulator_key(tmp_path: Path) -> None:
    inc = read_insiders(_write(tmp_path, SIM))
    assert [(i.user, i.scenario) for i in inc] == [("AAA0001", "1"), ("BBB0002", "2")]
    assert inc[0].start == dt.datetime(2025, 1, 8, 22, 17, 5)
    assert inc[1].end_day == dt.date(2025, 1, 10)


def test_reads_cert_key_with_extra_columns_and_dataset_filter(tmp_path: Path) -> None:
    inc = read_insiders(_write(tmp_path, CERT))
    assert inc[0].details == "r4.2-1-AAM0658.csv" and inc[1].start == dt.datetime(2011, 1, 4, 9, 10)
    assert [i.user for i in read_insiders(tmp_path, dataset="4.2")] == ["AAM0658"]
    assert [i.user for i in read_insiders(tmp_path, dataset="r5.2")] == ["CCH0959"]


def test_reads_headerless_key_and_rejects_bad_time(tmp_path: Path) -> None:
    rows = SIM.splitlines()[1:]
    assert len(read_insiders(_write(tmp_path, "\n".join(rows)))) == 2
    with pytest.raises(InputError, match=r"insiders\.csv:2: unreadable time"):
        read_insiders(_write(tmp_path, SIM.replace("01/08/2025 22:17:05", "yesterday")))


def _history() -> pa.Table:
    """Four people over 10 days (Jan 6..15). AAA alerts day 3, BBB day 5, CCC day 8, DDD none."""
    rows = []
    peak = {"AAA0001": 3.0, "BBB0002": 2.0, "CCC0003": 2.0, "DDD0004": 0.5}
    alert_on = {"AAA0001": 3, "BBB0002": 5, "CCC0003": 8}
    for user, top in peak.items():
        for n in range(10):
            score = top if n == alert_on.get(user, 9) else 0.1
            rows.append({"user": user, "day": D0 + dt.timedelta(days=n), "score": score,
                         "alert": n == alert_on.get(user), "scenario": None})
    return pa.Table.from_pylist(rows)


def _people() -> pa.Table:
    return pa.Table.from_pylist([
        {"user": "AAA0001", "end_date": None}, {"user": "BBB0002", "end_date": D0},
        {"user": "CCC0003", "end_date": dt.date(2025, 1, 12)}, {"user": "DDD0004",
                                                               "end_date": None}],
        schema=pa.schema([("user", pa.string()), ("end_date", pa.date32())]))


def test_evaluate_small_key(tmp_path: Path) -> None:
    key = SIM + "sim-7,3,sim-7-3-ZZZ9999.csv,ZZZ9999,01/07/2025 09:10:00,01/07/2025 10:00:00\n"
    r = evaluate(_history(), _write(tmp_path, key), _people())
    assert (r.people, r.days, r.incidents, r.incidents_unknown_user) == (4, 10, 2, 1)
    # scores: AAA 3 (pos), BBB 2 (pos), CCC 2, DDD 0.5 -> BBB/CCC tie
    assert r.person_auc == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert r.average_precision == pytest.approx(1 * 0.5 + (2 / 3) * 0.5)
    assert r.detected_top_1pct == 0.5 and r.detected_top_5pct == 0.5
    # AAA incident Jan 8..9 (days 2..3), alert day 3 -> delay 1; BBB Jan 7..10, alert Jan 11
    assert r.alerted_within_3d == 0.5 and r.median_delay_days == pytest.approx((1 + 4) / 2)
    assert r.alerted_within_7d == 1.0
    assert (r.alerts, r.false_alerts) == (3, 1)
    assert r.false_alerts_per_day_per_1000 == pytest.approx(1 / 10 / 4 * 1000)
    # leavers: BBB (Jan 6) and CCC (Jan 12) left in the period; BBB 2 ties CCC 2
    assert r.leavers == 2 and r.leavers_auc == 0.5
    # person-days: AAA days 2,3 + BBB days 1..4 positive (6 of 40)
    assert r.person_day_auc is not None and 0.5 < r.person_day_auc < 1.0
    assert [s.scenario for s in r.per_scenario] == ["1", "2"]
    assert r.per_scenario[0].median_delay_days == 1.0
    assert r.false_alerts_by_risk_scenario == {"none": 1}
    json.dumps(r.to_dict())
    assert "| person ROC AUC | 0.875 |" in r.to_markdown()


def test_alert_before_start_or_long_after_end_is_false(tmp_path: Path) -> None:
    key = "dataset,scenario,details,user,start,end\n" \
          "s,1,d,CCC0003,01/07/2025 09:00:00,01/07/2025 10:00:00\n"
    r = evaluate(_history(), _write(tmp_path, key), _people())
    # CCC alerts Jan 14 = end + 7: still true; AAA and BBB alerts are false
    assert r.false_alerts == 2 and r.alerted_within_7d == 1.0 and r.alerted_within_3d == 0.0
    key2 = key.replace("01/07/2025 10:00:00", "01/07/2025 10:00:00").replace(
        "01/07/2025 09:00:00", "01/16/2025 09:00:00").replace("01/07/2025 10", "01/16/2025 10")
    r2 = evaluate(_history(), _write(tmp_path, key2), _people())
    assert r2.false_alerts == 3 and r2.median_delay_days is None
    # local risk days vs UTC answer times: an alert the day before the start counts
    r3 = evaluate(_history(), _write(tmp_path, key2.replace("01/16/", "01/15/")), _people())
    assert r3.false_alerts == 2 and r3.median_delay_days == 0.0
