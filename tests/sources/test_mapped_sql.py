"""The DuckDB fast path for mappings gives exactly the rows and rejects of the Python path."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.golden import SIM_LINE
from sources.source_helpers import CTX, jsonl, write
from watchkeeper.lake import Lake
from watchkeeper.sources.base import Reject, SourceContext
from watchkeeper.sources.mapped import MappedSource, Mapping, builtin_mapping
from watchkeeper.sources.mapped_sql import compile_sql
from watchkeeper.sources.mapped_stage import MappedSqlSource

BASE: dict[str, Any] = {"name": "acme", "format": "jsonl", "class": "datastore", "id": "id",
                        "time": {"field": "ts"}, "activity": {"field": "op"}}
_runs = itertools.count()


def mapping(**changes: Any) -> Mapping:
    return Mapping.model_validate({**BASE, **changes})


def _lake_rows(lake: Lake, table: str) -> pa.Table:
    if not lake.manifest().files(f"events/{table}"):
        return pa.table({})
    rows = lake.table(table).to_pyarrow()
    return rows.select([c for c in rows.column_names if c != "day"]).sort_by("event_id")


def _python(tmp: Path, m: Mapping, path: Path, ctx: SourceContext) -> tuple[pa.Table, list]:
    lake = Lake(tmp / f"py{next(_runs)}")
    rejects: list[Reject] = []
    with lake.transaction("t") as txn:
        for parsed in MappedSource(m, chunk_size=7).read(path, ctx):
            txn.stage(parsed.table, parsed.rows, 0)
            rejects += parsed.rejects
        txn.commit({})
    return _lake_rows(lake, m.classes()[0].value), _key(rejects)


def _sql(tmp: Path, m: Mapping, path: Path, ctx: SourceContext) -> tuple[pa.Table, list]:
    lake = Lake(tmp / f"sql{next(_runs)}")
    source = MappedSource(m, chunk_size=7).sql_plan()
    assert isinstance(source, MappedSqlSource)
    with lake.transaction("t") as txn:
        staged = source.stage(path, ctx, txn, 0)
        txn.commit({})
    table = _lake_rows(lake, m.classes()[0].value)
    assert staged.read == staged.candidates + len(staged.rejects)
    return table, _key(staged.rejects)


def _key(rejects: list[Reject]) -> list[tuple[int | None, str, str]]:
    return sorted(((r.line, r.reason, r.raw) for r in rejects), key=lambda r: r[0] or 0)


def same(tmp: Path, m: Mapping, content: str | bytes,
         ctx: SourceContext = CTX) -> tuple[pa.Table, list]:
    """Both paths over one file; asserts equal results and returns them."""
    path = write(tmp, f"in{next(_runs)}.jsonl", content)
    py_rows, py_rejects = _python(tmp, m, path, ctx)
    sql_rows, sql_rejects = _sql(tmp, m, path, ctx)
    assert sql_rejects == py_rejects
    assert sql_rows.equals(py_rows), (sql_rows.to_pylist(), py_rows.to_pylist())
    return sql_rows, sql_rejects


def sim_lines(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    records = [{**SIM_LINE, "id": f"ds-{i}", "user": f"U{rng.randrange(1000):04d}",
                "timestamp": f"2025-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:07Z",
                "operation": rng.choice(["read", "export", "query", "delete", "Bulk Export"]),
                "records": rng.choice([1, 250, "17", None]),
                "ticket": rng.choice([None, f"TCK-{i}"])} for i in range(n)]
    return "".join(json.dumps(r, separators=(", ", ": ")) + "\n" for r in records)


# ---------------------------------------------------------------- shipped mapping


def test_shipped_mapping_on_a_simulator_like_file(tmp_path: Path) -> None:
    m = builtin_mapping("watchkeeper_datastore")
    rows, rejects = same(tmp_path, m, sim_lines(300))
    assert rows.num_rows == 300 and rejects == []


def test_shipped_mapping_rejects(tmp_path: Path) -> None:
    m = builtin_mapping("watchkeeper_datastore")
    bad = [{**SIM_LINE, "id": None}, {**SIM_LINE, "user": ""}, {**SIM_LINE, "timestamp": 5},
           {**SIM_LINE, "timestamp": "2025-13-01T00:00:00Z"}, {**SIM_LINE, "records": True},
           {**SIM_LINE, "records": "many"}, {**SIM_LINE, "host": {"a": 1}},
           {**SIM_LINE, "operation": None}, {**SIM_LINE, "records": 12.0, "id": "f"}]
    text = "\n" + jsonl(*bad) + '[1]\n"x"\n{"id": \n{"a":1,}\n  \n' + '{"id":"x\x1f"}\n'
    rows, rejects = same(tmp_path, m, text)
    assert rows.num_rows == 1 and len(rejects) == len(bad) - 1 + 5
    assert (5, "field 'timestamp': cannot parse '2025-13-01T00:00:00Z' as ISO-8601",
            json.dumps(bad[3])) in rejects


# ---------------------------------------------------------------- golden features

T = "2025-01-06T09:12:33Z"


@pytest.mark.parametrize(("changes", "records"), [
    ({"time": {"field": "ts", "format": "epoch_ms"}},
     [{"ts": 1736154753123}, {"ts": "1736154753000"}, {"ts": 1.5}, {"ts": -1}, {"ts": True}]),
    ({"time": {"field": "ts", "format": "epoch_s"}},
     [{"ts": 1736154753}, {"ts": "99999999999"}, {"ts": " 5"}]),
    ({"time": {"field": "ts", "format": "%m/%d/%Y %H:%M:%S", "timezone": "Europe/Paris"}},
     [{"ts": "01/06/2025 10:12:33"}, {"ts": "1/6/2025 10:12:33"}, {"ts": "10/26/2025 02:30:00"},
      {"ts": "02/30/2025 10:12:33"}]),
    ({"time": {"field": "ts", "timezone": "America/New_York"}},
     [{"ts": "2025-01-06T04:12:33"}, {"ts": "2025-11-02 01:30:00"}, {"ts": "2025-03-09T02:30:00"},
      {"ts": "2025-01-06T04:12:33.5-05:00"}, {"ts": "2025-01-06"}, {"ts": "1969-12-31T23:00:00Z"}]),
    ({"activity": {"field": "op", "map": {"DL": "export", "Q": ""}, "default": "other"}},
     [{"op": "dl"}, {"op": "q"}, {"op": " Bulk  Export "}, {"op": None}, {"op": 7}, {"op": "É"}]),
    ({"activity": "Read It"}, [{"op": None}]),
    ({"id": "meta.uid", "fields": {"user": "actor.name", "host": "hosts[1]",
                                   "dataset": 'we"ird.key'}},
     [{"meta": {"uid": 42}, "actor": {"name": "u"}, "hosts": ["a", "b"], "we\"ird": {"key": "d"}},
      {"meta": {"uid": True}}, {"hosts": ["a"]}]),
    ({"fields": {"record_count": "n", "user": "u"}, "constants": {"region": "EU", "user": "c"},
      "required": ["record_count"]},
     [{"n": " 7 "}, {"n": 12.0}, {"n": "1e3"}, {"n": 2**63}, {"n": "", "u": "   "}, {"u": 5}]),
    ({"filters": [{"field": "op", "not_equals": "drop"}, {"field": "k", "in": [1, "a", True]}]},
     [{"op": "drop", "k": 1}, {"op": "read", "k": "1"}, {"op": "read", "k": True},
      {"op": "read", "k": 1.0}, {"op": "read", "k": None}, {"op": "drop", "ts": None}]),
    ({"filters": [{"field": "k", "exists": False}]}, [{"k": ""}, {"k": 0}, {}]),
])
def test_golden_features(tmp_path: Path, changes: dict[str, Any],
                         records: list[dict[str, Any]]) -> None:
    m = mapping(**changes)
    assert compile_sql(m) is not None
    base = {"ts": T, "op": "read"}
    lines = [{**base, "id": f"e{i}", **r} for i, r in enumerate(records)]
    dups = ('{"id": "z", "id": "z2", "op": "x", "op": "read", "ts": "' + T + '", '
            '"meta": {"uid": "a", "uid": "b"}}\n')
    same(tmp_path, m, jsonl(*lines) + dups, CTX)
    same(tmp_path, m, jsonl(*lines), SourceContext(timezone="Europe/Berlin"))


@pytest.mark.parametrize("changes", [
    {"format": "csv"}, {"id": None}, {"class": "web"}, {"class": "email"},
    {"time": {"field": "ts", "format": "%d %b %Y"}},
    {"filters": [{"field": "op", "matches": "^r"}]},
    {"class": None, "class_from": {"field": "c", "values": {"a": "datastore"}}},
    {"class": "finding", "fields": {"tags": "t"}},
])
def test_features_not_compiled(changes: dict[str, Any]) -> None:
    m = mapping(**changes)
    assert compile_sql(m) is None
    assert MappedSource(m).sql_plan() is None


def test_garbage_falls_back_to_the_python_path(tmp_path: Path) -> None:
    m = builtin_mapping("watchkeeper_datastore")
    text = sim_lines(3).encode() + b'{"id": "\xff"}\n{"a":\r1}\n\x00\n' + sim_lines(2, 7).encode()
    same(tmp_path, m, text)


@pytest.mark.parametrize("line", [
    '{"id": "d1", "id": "d2", "timestamp": "2025-01-06T09:12:33Z", "user": "u", '
    '"dataset": "x", "operation": "read"}',                 # a mapped key twice: last wins
    '{"id": "d2", "noise": 1, "noise": 2, "timestamp": "2025-01-06T09:12:33Z", '
    '"user": "u", "dataset": "x", "operation": "read"}',    # an unmapped key twice
    '{"id": "d2", "\\u0075ser": "v", "user": "u", "timestamp": "2025-01-06T09:12:33Z", '
    '"dataset": "x", "operation": "read"}',                 # the same key, spelled escaped
])
def test_repeated_keys_read_as_python_does(tmp_path: Path, line: str) -> None:
    """DuckDB's JSON reader is asked first whether any line repeats a mapped key; either
    answer must give the Python path's rows (Python keeps a repeated key's last value)."""
    m = builtin_mapping("watchkeeper_datastore")
    rows, _ = same(tmp_path, m, sim_lines(3) + line + "\n" + sim_lines(2, 7))
    assert "d2" in rows.column("event_id").to_pylist()


# ---------------------------------------------------------------- corrupted inputs

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                   st.just(""), st.just("  "), st.sampled_from(["2025-13-01T00:00:00Z", "7",
                                                                "2025-01-06 09:12:33", "x"]))
FIELDS = st.sampled_from(["id", "timestamp", "user", "dataset", "operation", "records", "host"])


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    out = []
    for line in sim_lines(draw(st.integers(1, 8)), seed=3).splitlines():
        kind = draw(st.sampled_from(["ok", "ok", "field", "drop", "cut", "raw", "blank"]))
        record = json.loads(line)
        if kind == "field":
            record[draw(FIELDS)] = draw(VALUES)
        elif kind == "drop":
            record.pop(draw(FIELDS), None)
        text = json.dumps(record).encode()
        if kind == "cut":
            text = text[:draw(st.integers(0, len(text)))]
        elif kind == "raw":
            text = draw(st.sampled_from([b"[1]", b"3", b'"s"', b"null", b"{", b'{"id": 1,}',
                                         b"x\x1fy", b'{"id": "\x1f"}', b"\xff\xfe"]))
        out.append(b"  " if kind == "blank" else text)
    return b"\n".join(out) + draw(st.sampled_from([b"", b"\n", b"\r\n\n"]))


@SETTINGS
@given(content=corrupted())
def test_corrupted_inputs_match_the_python_path(tmp_path_factory: pytest.TempPathFactory,
                                                content: bytes) -> None:
    tmp = tmp_path_factory.mktemp("c")
    same(tmp, builtin_mapping("watchkeeper_datastore"), content)


def test_white_space_list_is_pythons() -> None:
    from watchkeeper.sources.mapped_sql import _PY_SPACE
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == _PY_SPACE
