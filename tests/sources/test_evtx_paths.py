"""The EVTX reader's paths give what the reader before them gave (`evtx_reference`): the
flat path and the general path, on every regression sample and on generated events, and
repeats of a run are counted, not read twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.runtime import SHARED, require
from sources import evtx_reference as reference
from watchkeeper.sources import evtx
from watchkeeper.sources.evtx_fields import FieldReader, Seen, read_chunk

SAMPLES = SHARED / "sigma" / "regression_data"


def _samples(suffix: str) -> list[Path]:
    files = sorted(SAMPLES.rglob(f"*.{suffix}"))
    require(bool(files), "SigmaHQ regression samples (../shared/sigma) not found")
    return files


def _same(new: list[evtx.EvtxBatch], old: list[reference.EvtxBatch]) -> None:
    assert len(new) == len(old)
    for a, b in zip(new, old, strict=True):
        assert a.table.schema == b.table.schema  # same columns, spelled alike, in order
        assert a.table.equals(b.table)  # same rows, same values
        assert [(r.path, r.record, r.reason, r.raw) for r in a.rejects] == \
            [(r.path, r.record, r.reason, r.raw) for r in b.rejects]
        assert a.reject_files == b.reject_files
        assert (a.files is None) == (b.files is None)
        if a.files is not None and b.files is not None:
            assert a.files.equals(b.files)


def test_every_sample_file_reads_as_before() -> None:
    for path in _samples("evtx"):
        _same(list(evtx.read_evtx(path)), list(reference.read_evtx(path)))
    for path in _samples("json"):
        _same(list(evtx.read_event_json(path)), list(reference.read_event_json(path)))


def test_all_samples_in_one_batch_as_before(tmp_path: Path) -> None:
    bad = tmp_path / "bad.evtx"
    bad.write_bytes(b"ElfFile\x00 truncated")
    files = list(enumerate([*_samples("evtx"), bad, *_samples("json")[:20]]))
    _same(list(evtx.read_files(files)), list(reference.read_files(files)))
    _same(list(evtx.read_files(files, batch_size=50)),
          list(reference.read_files(files, batch_size=50)))


def test_general_path_alone_gives_the_flat_paths_rows() -> None:
    files = list(enumerate(_samples("evtx")))
    names_flat, names_general = evtx.ColumnNames(), evtx.ColumnNames()
    (flat,) = read_chunk(files, FieldReader(), 100_000)
    (general,) = read_chunk(files, FieldReader(flat=False), 100_000)
    assert len(flat.groups) < len(general.groups) or flat.groups  # the flat path ran
    table_flat, _ = evtx.to_table(flat, names_flat)
    table_general, _ = evtx.to_table(general, names_general)
    assert table_flat.equals(table_general) and table_flat.schema == table_general.schema


def test_repeats_are_counted_not_read_again(tmp_path: Path) -> None:
    samples = _samples("evtx")[:15]
    files = list(enumerate(samples + samples + samples))
    once = [r for rows in read_chunk(files[:15], FieldReader(), 100_000) for r in rows.digests]
    seen = Seen()
    chunks = list(read_chunk(files, FieldReader(seen), 100_000))
    digests = [d for rows in chunks for d in rows.digests]
    repeats: dict[int, int] = {}
    for rows in chunks:
        for file_no, n in rows.repeats.items():
            repeats[file_no] = repeats.get(file_no, 0) + n
    assert digests == list(dict.fromkeys(once))  # each event once, in file order
    assert len(digests) + sum(repeats.values()) == 3 * len(once)
    assert set(repeats) >= set(range(15, 45)) - {n for n, p in files if _empty(p)}
    # a repeat known only by its id (the text differs: a JSON export of the same event)
    seen_ids = Seen()
    seen_ids.ids.update(once)
    (again,) = read_chunk(files[:15], FieldReader(seen_ids), 100_000)
    assert len(again) == 0 and sum(again.repeats.values()) == len(once)


def _empty(path: Path) -> bool:
    return not any(b.table.num_rows for b in evtx.read_evtx(path))


def test_kept_rows_and_their_columns() -> None:
    files = list(enumerate(_samples("evtx")[:30]))
    (rows,) = read_chunk(files, FieldReader(), 100_000)
    keep = [n % 3 == 0 for n in range(len(rows))]
    whole, numbers = evtx.to_table(rows, evtx.ColumnNames())
    kept, kept_numbers = evtx.to_table(rows, evtx.ColumnNames(), keep)
    expected = whole.filter(pa.array(keep))
    filled = [c for c in expected.column_names[10:] if expected[c].null_count < len(expected)]
    assert kept.column_names == [*expected.column_names[:10], *sorted(filled)]
    assert kept.equals(expected.select(kept.column_names))
    assert kept_numbers.equals(numbers.filter(pa.array(keep)))


# -- generated events: the two readers agree on every shape --------------------------------

NAMES = st.sampled_from(["Image", "image", "ProcessId", "ProcessID", "Threat Name",
                         "ThreatName", "User", "user", "TargetUserName", "SubjectUserName",
                         "Level", "Version", "Data", "Name", "#text", "#attributes",
                         "EventData", "data_x", "Keywords"])
LEAF = st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 2**40), st.booleans(),
                 st.floats(allow_nan=False, width=32), st.just(""))
VALUE = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)), max_leaves=6)
STAMP = st.sampled_from(["2025-10-24T23:34:34.640670Z", "2024-02-29 10:00:00.000001 UTC",
                         "2023-01-01T00:00:00+02:00", "2023-01-01T00:00:00", "not a time"])
NUMBER = st.one_of(st.none(), st.integers(1, 10**6), st.just(""), st.just("x"),
                   st.just({"#text": 7}))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    system: dict[str, Any] = {
        "Provider": {"#attributes": {"Name": draw(st.sampled_from(["P", "Q"]))}},
        "EventID": draw(st.one_of(st.integers(1, 5000), st.just({"#attributes": {},
                                                                   "#text": 4624}))),
        "EventRecordID": draw(NUMBER),
        "TimeCreated": {"#attributes": {"SystemTime": draw(STAMP)}},
        "Channel": draw(st.sampled_from(["Security", "Microsoft-Windows-Sysmon/Operational"])),
        "Computer": draw(st.sampled_from(["pc-1", "PC-2"])),
    }
    for name in draw(st.lists(st.sampled_from(reference._SYSTEM_EXTRAS), unique=True)):
        system[name] = draw(VALUE)
    body: dict[str, Any] = {"System": system}
    data = draw(st.one_of(st.dictionaries(NAMES, LEAF, max_size=6),
                          st.dictionaries(NAMES, VALUE, max_size=4), VALUE))
    if draw(st.booleans()):
        body["EventData"] = data
    if draw(st.integers(0, 4)) == 0:
        body["UserData"] = draw(VALUE)
    return {"Event": body} if draw(st.booleans()) else body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), min_size=1, max_size=12))
def test_generated_events_read_as_before(batch: list[dict[str, Any]]) -> None:
    old = reference._BatchBuilder("gen.json")
    new = FieldReader()
    new.start("gen.json", 0)
    for number, event in enumerate(batch, start=1):
        old.add_event(event, number)
        new.add_event(json.loads(json.dumps(event)), number)  # as the package's JSON reads
    expected = old.flush()
    rows = new.take()
    table, files = evtx.to_table(rows, evtx.ColumnNames())
    _same([evtx.EvtxBatch(table, tuple(rows.rejects), files, tuple(rows.reject_files))],
          [expected])


@settings(max_examples=150, deadline=None)
@given(st.lists(events(), min_size=1, max_size=8))
def test_generated_rejects_as_before(batch: list[dict[str, Any]]) -> None:
    old = reference._BatchBuilder("gen.json")
    new = FieldReader()
    new.start("gen.json", 0)
    for number, event in enumerate(batch, start=1):
        old.add_event(event, number)
        new.add_event(event, number)
    rows = new.take()
    assert [(r.path, r.record, r.reason, r.raw) for r in rows.rejects] == \
        [(r.path, r.record, r.reason, r.raw) for r in old.rejects]
    assert len(rows) == old.size


@pytest.mark.parametrize("flat", [True, False])
def test_a_record_id_of_text_or_none_hashes_like_before(flat: bool) -> None:
    event = {"System": {"EventRecordID": "", "Computer": "pc", "Channel": "Security",
                        "TimeCreated": {"#attributes": {"SystemTime": "2025-01-01T00:00:00Z"}}},
             "EventData": {"A": 1, "B": None}}
    old = reference._BatchBuilder("x")
    old.add_event(event, 1)
    new = FieldReader(flat=flat)
    new.add_event(event, 1)
    table, _ = evtx.to_table(new.take(), evtx.ColumnNames())
    assert table.equals(old.flush().table)


@pytest.mark.parametrize(("limit", "text_limit"), [(0, 0), (10**6, 0), (0, 10**8)])
def test_past_its_limits_a_reader_lets_repeats_through(limit: int, text_limit: int) -> None:
    samples = _samples("evtx")[:10]
    files = list(enumerate(samples + samples))
    (rows,) = read_chunk(files, FieldReader(Seen(limit, text_limit)), 100_000)
    (once,) = read_chunk(files[:10], FieldReader(), 100_000)
    skipped = sum(rows.repeats.values())
    assert len(rows) + skipped == 2 * len(once)
    unique = len(set(once.digests))  # ids or texts suffice to know every repeat
    assert skipped == (0 if limit == text_limit == 0 else 2 * len(once) - unique)
