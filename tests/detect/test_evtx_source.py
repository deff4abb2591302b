"""EVTX reading: schema, stable ids, JSON exports, corrupt files and records."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.errors import InputError
from watchkeeper.schema.windows import CORE_SCHEMA, data_column_name, find_column
from watchkeeper.sources.evtx import flatten_event_fields, read_event_json, read_evtx

from .conftest import SIGMA

SAMPLE = (SIGMA / "regression_data/rules-emerging-threats/2026/Exploits/RedSun/"
          "file_event_win_exploit_redsun_indicators")


def _sample(suffix: str) -> Path:
    if not SAMPLE.exists():
        pytest.skip("regression data not available")
    return next(SAMPLE.glob(f"*.{suffix}"))


def test_evtx_rows_have_core_columns_and_stable_ids() -> None:
    first = next(b.table for b in read_evtx(_sample("evtx")))
    again = next(b.table for b in read_evtx(_sample("evtx")))
    assert first.schema.names[: len(CORE_SCHEMA)] == CORE_SCHEMA.names
    row = first.to_pylist()[0]
    assert row["event_code"] == 11 and row["channel"].endswith("Sysmon/Operational")
    assert row["TargetFilename"].endswith("TieringEngineService.exe")
    assert row["data_User"] and row["user"] == row["data_User"]
    assert first["event_id"].to_pylist() == again["event_id"].to_pylist()


def test_json_export_gives_the_same_rows() -> None:
    from_evtx = next(b.table for b in read_evtx(_sample("evtx")))
    from_json = next(b.table for b in read_event_json(_sample("json")))
    assert from_json.num_rows == from_evtx.num_rows
    assert from_json["TargetFilename"].to_pylist() == from_evtx["TargetFilename"].to_pylist()


def test_batches_are_bounded(tmp_path: Path) -> None:
    events = "\n".join(_sample("json").read_text() for _ in range(5))
    path = tmp_path / "five.json"
    path.write_text(events)
    assert [b.table.num_rows for b in read_event_json(path, batch_size=2)] == [2, 2, 1]


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.evtx"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(InputError, match=r"bad\.evtx"):
        list(read_evtx(bad))


def test_corrupt_record_becomes_a_reject(tmp_path: Path) -> None:
    data = bytearray(_sample("evtx").read_bytes())
    data[4096 + 512 + 200: 4096 + 512 + 400] = b"A" * 200
    bad = tmp_path / "corrupt.evtx"
    bad.write_bytes(bytes(data))
    rejects = [r for b in read_evtx(bad) for r in b.rejects]
    assert rejects and rejects[0].path == str(bad) and rejects[0].reason


def test_flatten_userdata_and_unnamed_data() -> None:
    body = {"EventData": {"Data": {"#text": ["a", "b"]}},
            "UserData": {"Op": {"#attributes": {"xmlns": "x"}, "Name": "n", "Code": 5}}}
    assert dict(flatten_event_fields(body)) == {"Data": "a\nb", "Name": "n", "Code": "5"}


def test_core_names_are_reserved() -> None:
    assert data_column_name("User") == "data_User"
    assert data_column_name("Image") == "Image"
    assert find_column(["CommandLine", "data_User"], "commandline") == "CommandLine"


@given(st.text(min_size=1, max_size=20))
def test_field_columns_never_collide_with_core(name: str) -> None:
    column = data_column_name(name)
    assert column.casefold() not in {n.casefold() for n in CORE_SCHEMA.names}
