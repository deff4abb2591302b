"""One definition, two engines: the same Ibis expression gives the same rows on DuckDB
and on PySpark (local mode) over the same lake."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pytest

from helpers.cert_files import HEADERS, write
from helpers.spark import require_spark
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.sources.base import SourceContext

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def lake_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("parity")
    rows = []
    for i in range(400):
        user = f"U{i % 7:03d}X{i % 3}"
        day, hour = 1 + i % 20, (i * 7) % 24
        act = "Logon" if i % 2 else "Logoff"
        rows.append(f"{{P{i}}},01/{day:02d}/2010 {hour:02d}:{i % 60:02d}:00,{user},PC-{i % 11},"
                    f"{act}")
    write(tmp / "cert" / "logon.csv", HEADERS["logon"], rows)
    write(tmp / "cert" / "LDAP" / "2010-01.csv", HEADERS["ldap_r4"],
          ["Alice A,U000X0,a@dtaa.com,Salesman,1,Sales,D1,T1,",
           "Bob B,U001X1,b@dtaa.com,Manager,1,Sales,D1,T1,"])
    ingest(Lake(tmp / "lake"), [tmp / "cert"], "cert", SourceContext(timezone="Europe/Berlin"))
    return tmp / "lake"


def user_day_logons(lake: Lake) -> ibis.expr.types.Table:
    all_events = lake.table("authentication")
    t = all_events.filter(all_events.activity == "logon")
    after_hours = (t.time.hour() < 8) | (t.time.hour() >= 18)
    return (t.group_by(["user", "day"])
            .aggregate(logons=t.count(), after_hours=after_hours.sum(),
                       hosts=t.host.nunique(), first=t.time.min())
            .order_by(["user", "day"]))


def same(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spark returns UTC timestamps without a zone and sums as floats; say both alike."""
    def one(v: Any) -> Any:
        if isinstance(v, datetime) and v.tzinfo is not None:
            return v.astimezone(UTC).replace(tzinfo=None)
        return int(v) if isinstance(v, float) and v.is_integer() else v
    return [{k: one(v) for k, v in r.items()} for r in rows]


def test_user_day_aggregation_matches_on_duckdb_and_spark(lake_root: Path) -> None:
    require_spark()
    duck = user_day_logons(Lake(lake_root)).to_pyarrow().to_pylist()
    spark = user_day_logons(Lake(lake_root, engine="pyspark")).to_pyarrow().to_pylist()
    assert len(duck) > 50
    assert same(spark) == same(duck)


def test_people_history_reads_the_same(lake_root: Path) -> None:
    require_spark()
    def people(lake: Lake) -> list[dict[str, object]]:
        return lake.table("people").order_by("user").to_pyarrow().to_pylist()
    assert same(people(Lake(lake_root, engine="pyspark"))) == same(people(Lake(lake_root)))
