"""Garbage bytes anywhere in a CSV file (binary junk, an unbalanced quote, NUL, invalid
UTF-8, stray carriage returns): the lines it touches are quarantined with their raw text,
every other line is read as if the garbage were not there, and the run never fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.cert_files import HEADERS, logon_row
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.sources.base import SourceContext
from watchkeeper.sources.csv_lines import MAX_LINE, clean_copy, is_clean, line_problem

CTX = SourceContext()
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
NASTY = st.sampled_from([b'"', b"\x00", b"\xff", b"\xc3", b"\r", b"\n", b"\r\n", b",", b" ",
                         b"a", b"\xe2\x82", b'""'])
GARBAGE = st.one_of(st.binary(min_size=1, max_size=300),
                    st.lists(NASTY, min_size=1, max_size=12).map(b"".join))
MAPPING = """name: acme_csv
format: csv
class: datastore
id: Id
time: {field: When, format: "%Y-%m-%d %H:%M:%S"}
activity: {field: Op}
fields: {user: User}
"""


def _insert(lines: list[bytes], header: bytes, garbage: bytes, offset: int
            ) -> tuple[bytes, set[int]]:
    """The file with `garbage` inserted at byte `offset` of its body, and the indexes of
    the body lines the insertion leaves intact."""
    body = b"".join(line + b"\n" for line in lines)
    data = header + b"\n" + body[:offset] + garbage + body[offset:]
    intact, start = set(), 0
    for i, line in enumerate(lines):
        end = start + len(line) + 1
        if offset >= end or offset < start or (offset == start and garbage.endswith(b"\n")):
            intact.add(i)
        start = end
    return data, intact


def _records(data: bytes) -> list[bytes]:
    """Physical lines after the header, without their ends (an empty one is no record)."""
    return [line.removesuffix(b"\r") for line in data.split(b"\n")[1:]]


def _check_quarantine(lake: Lake, data: bytes, bad_lines: set[int]) -> None:
    lines = data.split(b"\n")
    for q in lake.table("quarantine").to_pyarrow().to_pylist():
        assert q["line"] in bad_lines, q
        raw = lines[q["line"] - 1].removesuffix(b"\r").decode("utf-8", errors="replace")
        assert q["raw"] == raw, q


@SETTINGS
@given(n=st.integers(1, 8), garbage=GARBAGE, data=st.data())
def test_cert_garbage_anywhere_quarantines_only_its_lines(
        tmp_path_factory: pytest.TempPathFactory, n: int, garbage: bytes,
        data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("garbage")
    lines = [logon_row(i).encode() for i in range(n)]
    body_size = sum(len(line) + 1 for line in lines)
    content, intact = _insert(lines, HEADERS["logon"].encode(), garbage,
                              data.draw(st.integers(0, body_size)))
    path = tmp / "logon.csv"
    path.write_bytes(content)
    lake = Lake(tmp / "lake")
    f = ingest(lake, [path], "cert", CTX).files[0]
    records = _records(content)
    assert f.read == sum(1 for r in records if r)
    assert f.read == f.accepted + f.duplicates + f.quarantined
    assert lake.rows("quarantine") == f.quarantined
    kept = set(lake.table("authentication").event_id.execute())
    assert {f"{{L{i:04d}-AAAA}}" for i in intact} <= kept
    good = {2 + records.index(lines[i]) for i in intact}
    _check_quarantine(lake, content, {n for n in range(2, len(records) + 2)} - good)


@SETTINGS  # enough good lines that the garbage never makes half the file (then refused)
@given(n=st.integers(30, 40), garbage=GARBAGE.filter(lambda g: g.count(b"\n") < 20),
       data=st.data())
def test_mapped_csv_garbage_anywhere_quarantines_only_its_lines(
        tmp_path_factory: pytest.TempPathFactory, n: int, garbage: bytes,
        data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("garbage")
    (tmp / "m.yaml").write_text(MAPPING)
    lines = [f"id{i},2025-01-06 09:12:{i:02d},Read,u{i}".encode() for i in range(n)]
    body_size = sum(len(line) + 1 for line in lines)
    content, intact = _insert(lines, b"Id,When,Op,User", garbage,
                              data.draw(st.integers(0, body_size)))
    path = tmp / "in.csv"
    path.write_bytes(content)
    lake = Lake(tmp / "lake")
    f = ingest(lake, [path], "mapped", CTX, mapping=tmp / "m.yaml").files[0]
    records = _records(content)
    assert f.read == sum(1 for r in records if r.strip())
    assert f.read == f.accepted + f.duplicates + f.quarantined
    kept = set(lake.table("datastore").event_id.execute())
    assert {f"id{i}" for i in intact} <= kept
    good = {2 + records.index(lines[i]) for i in intact}
    _check_quarantine(lake, content, {n for n in range(2, len(records) + 2)} - good)


def test_300_random_bytes_appended_to_device_csv(tmp_path: Path) -> None:
    """The issue's case: DuckDB's state-machine error used to fail the whole run."""
    path = tmp_path / "cert" / "device.csv"
    path.parent.mkdir()
    rows = [f"{{D{i}}},01/04/2010 10:00:00,ACM2278,PC-1,Connect" for i in range(5)]
    after = "{D9},01/05/2010 10:00:00,ACM2278,PC-1,Disconnect"
    junk = b'\x00"\r\xff' + os.urandom(296)
    path.write_bytes((HEADERS["device_r4"] + "\n" + "\n".join(rows) + "\n").encode() + junk
                     + b"\n" + after.encode() + b"\n")
    lake = Lake(tmp_path / "lake")
    f = ingest(lake, [path], "cert", CTX).files[0]
    assert f.read == f.accepted + f.quarantined and f.accepted == 6
    assert {q["line"] for q in lake.table("quarantine").to_pyarrow().to_pylist()} <= set(
        range(7, 7 + junk.count(b"\n") + 1))


def test_unbalanced_quote_does_not_swallow_the_next_line(tmp_path: Path) -> None:
    path = tmp_path / "logon.csv"
    path.write_text("\n".join([HEADERS["logon"], logon_row(1), '{X},"01/04/2010,u,pc,Logon',
                               logon_row(2), ""]))
    lake = Lake(tmp_path / "lake")
    f = ingest(lake, [path], "cert", CTX).files[0]
    assert (f.read, f.accepted, f.quarantined) == (3, 2, 1)
    (q,) = lake.table("quarantine").to_pyarrow().to_pylist()
    assert (q["line"], q["reason"], q["raw"]) == (3, "unbalanced quote",
                                                  '{X},"01/04/2010,u,pc,Logon')


# ---------------------------------------------------------------- csv_lines itself


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(st.binary(max_size=20), NASTY), max_size=12))
def test_clean_copy_keeps_line_numbers_and_good_lines(tmp_path: Path,
                                                      lines: list[bytes]) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(b"\n".join(lines))
    rejects = clean_copy(src, out)
    physical = src.read_bytes().split(b"\n")
    if physical[-1] == b"":  # the file ends with a line end
        physical.pop()
    original = [line.removesuffix(b"\r") for line in physical]
    copied = out.read_bytes().split(b"\n")
    assert copied[-1] == b"" and len(copied) - 1 == len(original)
    bad = {r.line for r in rejects}
    for number, line in enumerate(copied[:-1], start=1):
        problem = line_problem(original[number - 1])
        assert (number in bad) == (problem is not None)
        assert line == (b"" if problem else original[number - 1])
    assert is_clean(out)
    if not rejects and b"\r" not in src.read_bytes():
        assert is_clean(src)


def test_is_clean_refuses_what_duckdb_cannot_frame(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    for data, clean in [(b"a,b\nc,d\n", True), (b"a,b\r\nc,d\r\n", True), (b"a,b", True),
                        (b'a,"b,c"\n', True), (b'a,"b\nc"\n', False), (b"a\rb\n", False),
                        (b"a,b\r\nc\n", False), (b"a\r\n\r\nb\r\n", False),
                        (b"\xff\n", False), (b"x" * (MAX_LINE + 1) + b"\n", False)]:
        path.write_bytes(data)
        assert is_clean(path) == clean, data


@pytest.mark.parametrize("block", [1 << 24, 4096])
def test_clean_copy_cuts_an_overlong_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          block: int) -> None:
    monkeypatch.setattr("watchkeeper.sources.csv_lines.BLOCK", block)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(b"a,b\n" + b"x" * (MAX_LINE + 10) + b"\nc,d\n" + b"y" * (MAX_LINE + 1))
    (long_line, last) = clean_copy(src, out)
    assert (long_line.line, last.line) == (2, 4)
    assert long_line.reason == f"line longer than {MAX_LINE:,} bytes"
    assert out.read_bytes() == b"a,b\n\nc,d\n\n"


def test_a_line_keeps_the_carriage_returns_before_its_line_end(tmp_path: Path) -> None:
    """Regression: only the line end (LF, or CR LF) is cut; a stray CR before it is part of
    the line's raw text (hypothesis found b"\\x00\\r\\r\\n" quarantined as b"\\x00")."""
    from watchkeeper.sources.rows import iter_lines
    path = tmp_path / "in.csv"
    path.write_bytes(b"a\r\r\nb\r\nc\n\x00\r\r\n")
    assert list(iter_lines(path)) == [(1, b"a\r"), (2, b"b"), (3, b"c"), (4, b"\x00\r")]
