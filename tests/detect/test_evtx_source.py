"""EVTX reading: schema, stable ids, JSON exports, corrupt files and records."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.errors import InputError
from watchkeeper.schema.windows import CORE_SCHEMA, data_column_name, find_column
from watchkeeper.sources import evtx_source
from watchkeeper.sources.base import SourceContext
from watchkeeper.sources.evtx import (
    flatten_event_fields,
    read_event_json,
    read_evtx,
    read_files,
)

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
    # the id comes from the event (computer, channel, record, time), not from the file
    assert from_json["event_id"].to_pylist() == from_evtx["event_id"].to_pylist()


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


def _regression_files(count: int) -> list[Path]:
    files = sorted(SIGMA.glob("regression_data/**/*.evtx"))[:count]
    if len(files) < count:
        pytest.skip("regression data not available")
    return files


def test_many_files_in_one_batch_equal_file_by_file(tmp_path: Path) -> None:
    files = _regression_files(12)
    bad = tmp_path / "bad.evtx"
    bad.write_bytes(b"garbage" * 10)
    numbered = [(n, p) for n, p in enumerate([*files[:5], bad, *files[5:]])]
    (batch,) = read_files(numbered)
    one_by_one = [b.table for p in files for b in read_evtx(p)]
    assert batch.table.num_rows == sum(t.num_rows for t in one_by_one)
    assert batch.table["event_id"].to_pylist() == [
        i for t in one_by_one for i in t["event_id"].to_pylist()]
    assert batch.table["TargetFilename"].to_pylist() == [
        v for t in one_by_one for v in (t["TargetFilename"].to_pylist()
                                        if "TargetFilename" in t.column_names
                                        else [None] * t.num_rows)]
    expected_files = [n for n, p in numbered if p != bad
                      for _ in range(next(b.table.num_rows for b in read_evtx(p)))]
    assert batch.files is not None and batch.files.to_pylist() == expected_files
    assert [r.path for r in batch.rejects] == [str(bad)] and batch.reject_files == (5,)


def test_worker_processes_read_what_one_process_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    numbered = list(enumerate(_regression_files(9)))
    source = evtx_source.EvtxSource()
    alone = list(source.read_files(numbered, SourceContext(workers=1)))
    monkeypatch.setattr(evtx_source, "POOL_BYTES", 0)
    monkeypatch.setattr(evtx_source, "CHUNK_FILES", 2)
    pooled = list(source.read_files(numbered, SourceContext(workers=2)))

    def rows(chunks: list[evtx_source.Parsed]) -> dict[str, list[tuple[object, object]]]:
        out: dict[str, list[tuple[object, object]]] = {}
        for c in chunks:
            assert c.files is not None
            out.setdefault(c.table, []).extend(
                zip(c.rows["event_id"].to_pylist(), c.files.to_pylist(), strict=True))
        return out

    assert len(pooled) > len(alone)  # five chunks of two files, not one
    assert rows(pooled) == rows(alone)


def test_chunks_close_at_a_file_count_or_a_byte_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evtx_source, "CHUNK_FILES", 3)
    monkeypatch.setattr(evtx_source, "CHUNK_BYTES", 10)
    files = [(n, Path(f"{n}.evtx")) for n in range(7)]
    chunks = evtx_source._chunks(files, [5, 5, 20, 1, 1, 1, 1])
    assert [[n for n, _ in c] for c in chunks] == [[0, 1], [2], [3, 4, 5], [6]]
