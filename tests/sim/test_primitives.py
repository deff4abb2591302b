"""Building blocks: timestamp formats, ids, holidays and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.sim.clock import easter, format_cert, format_iso, holidays, utc_offset_minutes
from watchkeeper.sim.strings import IdMint, join

SECONDS = st.integers(min_value=0, max_value=4_102_444_799)  # through 2099


@given(st.lists(SECONDS, min_size=1, max_size=50))
def test_timestamp_formats_match_datetime(values: list[int]) -> None:
    ts = np.array(values, dtype=np.int64)
    cert, iso = format_cert(ts).to_pylist(), format_iso(ts).to_pylist()
    for v, c, i in zip(values, cert, iso, strict=True):
        moment = datetime.fromtimestamp(v, UTC)
        assert c == moment.strftime("%m/%d/%Y %H:%M:%S")
        assert i == moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_ids_are_unique_and_shaped() -> None:
    mint = IdMint(np.random.default_rng(0))
    ids = mint.take(50_000).to_pylist() + mint.take(50_000).to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 24 and i[0] == "{" and i[5] == "-" and i[14] == "-" for i in ids)


def test_holidays_and_offsets() -> None:
    assert easter(2025) == date(2025, 4, 20)
    assert date(2025, 11, 27) in holidays("US", 2025)  # Thanksgiving
    assert date(2025, 10, 3) in holidays("EU", 2025)  # German Unity Day
    assert date(2025, 1, 29) in holidays("APAC", 2025)  # Lunar New Year
    assert utc_offset_minutes("US", date(2025, 1, 6)) == -300
    assert utc_offset_minutes("US", date(2025, 7, 1)) == -240
    assert utc_offset_minutes("EU", date(2025, 7, 1)) == 120
    assert utc_offset_minutes("APAC", date(2025, 7, 1)) == 480


def test_join_skips_null_parts_only() -> None:
    import pyarrow as pa

    a, b = pa.array(["x", None, "y", None]), pa.array([None, None, "z", "w"])
    assert join([a, b], ";").to_pylist() == ["x", "", "y;z", "w"]
