"""The YAML mapping language: every feature, every coercion, every mapping error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sources.golden import SIM_LINE, WHEN
from sources.source_helpers import jsonl, read_all, write
from watchkeeper.errors import InputError, MappingError
from watchkeeper.sources.base import content_id
from watchkeeper.sources.mapped import (
    MappedSource,
    Mapping,
    builtin_mapping,
    builtin_mappings,
    load_mapping,
    matches,
)

BASE_MAPPING: dict[str, Any] = {
    "name": "acme", "format": "jsonl", "class": "datastore",
    "time": {"field": "ts"}, "activity": {"field": "op"},
}


def mapping(**changes: Any) -> Mapping:
    return Mapping.model_validate({**BASE_MAPPING, **changes})


def run(tmp_path: Path, m: Mapping, content: str | bytes, name: str = "in.log") -> Any:
    return read_all(MappedSource(m), write(tmp_path, name, content))


def mapping_error(tmp_path: Path, text: str) -> MappingError:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert str(path) in str(info.value)
    return info.value


# ---------------------------------------------------------------- shipped mapping


def test_builtin_datastore_mapping_reads_the_simulator_log(tmp_path: Path) -> None:
    assert "watchkeeper_datastore" in builtin_mappings()
    m = builtin_mapping("watchkeeper_datastore")
    result = run(tmp_path, m, jsonl(SIM_LINE, {**SIM_LINE, "id": "ds-2", "records": "7"}))
    assert result.rejects == []
    first = result.rows[0]
    assert first == {
        "event_id": "ds-1", "time": WHEN, "source": "watchkeeper_datastore",
        "class": "datastore", "activity": "export", "user": "AAM0658", "host": "PC-1234",
        "region": None, "dataset": "user_profiles_eu", "data_region": "EU",
        "record_count": 1234, "sensitivity": "high", "ticket": None, "purpose": "support",
        "src_ip": "10.1.2.3"}
    assert result.rows[1]["record_count"] == 7
    assert matches(m, write(tmp_path, "ds.jsonl", jsonl(SIM_LINE)))
    assert not matches(m, write(tmp_path, "x.jsonl", jsonl({"a": 1})))


def test_unknown_builtin_names_the_known_ones() -> None:
    with pytest.raises(MappingError, match="watchkeeper_datastore"):
        builtin_mapping("nope")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"id": None}, "field 'id': missing"),
    ({"user": None}, "field 'user': missing"),
    ({"timestamp": "06/01/2025"}, "field 'timestamp': cannot parse '06/01/2025' as ISO-8601"),
    ({"timestamp": 5}, "field 'timestamp': expected a time string, got integer"),
    ({"records": "many"}, "field 'records': cannot parse 'many' as an integer"),
    ({"records": True}, "field 'records': expected an integer, got boolean"),
    ({"host": {"name": "x"}}, "field 'host': expected a string, got object"),
    ({"operation": None}, "field 'operation': missing"),
])
def test_builtin_rejects(tmp_path: Path, changes: dict[str, Any], reason: str) -> None:
    result = run(tmp_path, builtin_mapping("watchkeeper_datastore"),
                 "\n" + jsonl({**SIM_LINE, **changes}))
    assert [(r.line, r.reason) for r in result.rejects] == [(2, reason)]


# ---------------------------------------------------------------- language features


def test_time_formats_and_timezones(tmp_path: Path) -> None:
    cases = [({"field": "ts", "format": "epoch_ms"}, 1736154753000),
             ({"field": "ts", "format": "epoch_s"}, "1736154753"),
             ({"field": "ts", "format": "%m/%d/%Y %H:%M:%S"}, "01/06/2025 09:12:33"),
             ({"field": "ts", "format": "%m/%d/%Y %H:%M:%S", "timezone": "Europe/Paris"},
              "01/06/2025 10:12:33"),
             ({"field": "ts"}, "2025-01-06T04:12:33-05:00")]
    for spec, value in cases:
        result = run(tmp_path, mapping(time=spec), jsonl({"ts": value, "op": "read"}))
        assert [r["time"] for r in result.rows] == [WHEN], spec


def test_naive_times_use_the_context_timezone(tmp_path: Path) -> None:
    from watchkeeper.sources.base import SourceContext
    path = write(tmp_path, "in.log", jsonl({"ts": "2025-01-06T10:12:33", "op": "read"}))
    chunks = list(MappedSource(mapping()).read(path, SourceContext(timezone="Europe/Berlin")))
    assert chunks[0].rows.to_pylist()[0]["time"] == WHEN


def test_activity_map_default_constant(tmp_path: Path) -> None:
    m = mapping(activity={"field": "op", "map": {"DL": "export", "Q": "Query"},
                          "default": "other"})
    records = [{"ts": "2025-01-06T09:12:33Z", "op": x} for x in ("dl", "q", "zzz", None)]
    result = run(tmp_path, m, jsonl(*records))
    assert [r["activity"] for r in result.rows] == ["export", "query", "other", "other"]
    nomap = run(tmp_path, mapping(activity={"field": "op"}),
                jsonl({"ts": "2025-01-06T09:12:33Z", "op": "Bulk Export"}))
    assert nomap.rows[0]["activity"] == "bulk_export"
    const = run(tmp_path, mapping(activity="Read"), jsonl({"ts": "2025-01-06T09:12:33Z"}))
    assert const.rows[0]["activity"] == "read"


def test_nested_paths_ids_and_constants(tmp_path: Path) -> None:
    m = mapping(id="meta.uid", fields={"user": "actor.name", "host": "hosts[1]",
                                       "dataset": "target.tables[0].name"},
                constants={"region": "EU", "sensitivity": "high"})
    record = {"ts": "2025-01-06T09:12:33Z", "op": "read", "meta": {"uid": 42},
              "actor": {"name": "u1"}, "hosts": ["a", "b"],
              "target": {"tables": [{"name": "t1"}]}}
    row = run(tmp_path, m, jsonl(record)).rows[0]
    assert (row["event_id"], row["user"], row["host"], row["dataset"]) == ("42", "u1", "b", "t1")
    assert (row["region"], row["sensitivity"]) == ("EU", "high")
    missing_hosts = run(tmp_path, m, jsonl({**record, "hosts": ["a"]})).rows[0]
    assert missing_hosts["host"] is None


def test_event_id_defaults_to_content_hash(tmp_path: Path) -> None:
    line = jsonl({"ts": "2025-01-06T09:12:33Z", "op": "read"})
    row = run(tmp_path, mapping(), line).rows[0]
    assert row["event_id"] == content_id("acme", line.rstrip("\n").encode())


@pytest.mark.parametrize(("cls", "column", "raw", "split", "expected"), [
    ("datastore", "record_count", "12", None, 12),
    ("datastore", "record_count", 12.0, None, 12),
    ("datastore", "record_count", " 7 ", None, 7),
    ("datastore", "user", 1234, None, "1234"),
    ("datastore", "user", "", None, None),
    ("file", "to_removable", "True", None, True),
    ("file", "to_removable", "true", None, True),
    ("file", "to_removable", "1", None, True),
    ("file", "to_removable", "no", None, False),
    ("file", "to_removable", False, None, False),
    ("file", "to_removable", 0, None, False),
    ("email", "to", ["a@x.test", "b@x.test"], None, ["a@x.test", "b@x.test"]),
    ("email", "to", '["a@x.test"]', None, ["a@x.test"]),
    ("email", "to", "a@x.test; b@x.test;", ";", ["a@x.test", "b@x.test"]),
    ("email", "to", "a@x.test", None, ["a@x.test"]),
    ("email", "recipient_count", "3", None, 3),
])
def test_coercions(tmp_path: Path, cls: str, column: str, raw: object, split: str | None,
                   expected: object) -> None:
    spec: Any = {"field": "v", "split": split} if split else "v"
    m = mapping(**{"class": cls, "fields": {column: spec}})
    result = run(tmp_path, m, jsonl({"ts": "2025-01-06T09:12:33Z", "op": "x", "v": raw}))
    assert result.rejects == []
    assert result.rows[0][column] == expected


@pytest.mark.parametrize(("cls", "column", "raw", "reason"), [
    ("datastore", "record_count", "1.5", "cannot parse '1.5' as an integer"),
    ("datastore", "record_count", 1.5, "expected an integer, got number"),
    ("datastore", "record_count", 2**64, "integer 18446744073709551616 out of range"),
    ("email", "recipient_count", 2**40, "integer 1099511627776 out of range"),
    ("file", "to_removable", "maybe", "cannot parse 'maybe' as a boolean"),
    ("file", "to_removable", 2, "cannot parse integer as a boolean"),
    ("email", "to", "[oops", "cannot parse '[oops' as a JSON array"),
    ("email", "to", {"a": 1}, "expected a list, got object"),
    ("email", "to", [["x"]], "expected a string, got array"),
    ("datastore", "user", [1], "expected a string, got array"),
])
def test_coercion_errors(tmp_path: Path, cls: str, column: str, raw: object,
                         reason: str) -> None:
    m = mapping(**{"class": cls, "fields": {column: "v"}})
    result = run(tmp_path, m, jsonl({"ts": "2025-01-06T09:12:33Z", "op": "x", "v": raw}))
    assert [r.reason for r in result.rejects] == [f"field 'v': {reason}"]


def test_email_and_web_columns_are_derived(tmp_path: Path) -> None:
    email = mapping(**{"class": "email", "fields": {
        "sender": "from", "to": {"field": "to", "split": ";"}, "attachments": "files"}})
    row = run(tmp_path, email, jsonl({"ts": "2025-01-06T09:12:33Z", "op": "send",
                                      "from": "a@corp.example", "files": ["x.zip"],
                                      "to": "b@corp.example;c@gmail.com"})).rows[0]
    assert row["recipients"] == ["b@corp.example", "c@gmail.com"]
    assert (row["recipient_count"], row["external_recipient_count"],
            row["attachment_count"]) == (2, 1, 1)
    web = mapping(**{"class": "web", "fields": {"url": "u"}})
    row = run(tmp_path, web, jsonl({"ts": "2025-01-06T09:12:33Z", "op": "visit",
                                    "u": "http://Dropbox.com:8080/x"})).rows[0]
    assert row["domain"] == "dropbox.com"


def test_filters(tmp_path: Path) -> None:
    records = [{"ts": "2025-01-06T09:12:33Z", "op": "read", "status": s, "n": i, "tag": t}
               for i, (s, t) in enumerate([("ok", "a1"), ("fail", "b2"), ("ok", None),
                                           ("ok", "a3")])]
    cases: list[tuple[dict[str, Any], list[int]]] = [
        ({"field": "status", "equals": "ok"}, [0, 2, 3]),
        ({"field": "status", "not_equals": "ok"}, [1]),
        ({"field": "n", "in": [1, 3]}, [1, 3]),
        ({"field": "tag", "exists": True}, [0, 1, 3]),
        ({"field": "tag", "exists": False}, [2]),
        ({"field": "tag", "matches": "^a"}, [0, 3]),
    ]
    for spec, kept in cases:
        m = mapping(filters=[spec], fields={"record_count": "n"})
        result = run(tmp_path, m, jsonl(*records) + "garbage\n")
        assert [r["record_count"] for r in result.rows] == kept, spec
        assert result.read == len(kept) + 1  # dropped records are not counted
        assert [r.line for r in result.rejects] == [5]


def test_class_from(tmp_path: Path) -> None:
    m = mapping(**{"class": None, "class_from": {
        "field": "kind", "values": {"dl": "datastore", "web": "web"}}})
    records = [{"ts": "2025-01-06T09:12:33Z", "op": "read", "kind": k}
               for k in ("dl", "web", "other")]
    result = run(tmp_path, m, jsonl(*records))
    assert result.tables() == {"datastore", "web"}
    assert result.reasons() == {3: "field 'kind': no class for value 'other'"}


def test_csv_mapping(tmp_path: Path) -> None:
    m = mapping(format="csv", delimiter=";", id="Id", time={"field": "When", "format":
                                                           "%Y-%m-%d %H:%M:%S"},
                activity={"field": "Op"}, fields={"user": "User", "record_count": "Rows",
                                                  "dataset": "a.b"})
    text = ("Id;When;Op;User;Rows;a.b\n1;2025-01-06 09:12:33;Read;u1;5;t1\n\n"
            "2;2025-01-06 09:12:33;Read;u1;x;t1\n3;2025-01-06 09:12:33;Read\n"
            '4;2025-01-06 09:12:33;"Re;ad";u2;;"t;2"\n')
    result = run(tmp_path, m, text, "in.csv")
    assert [(r["event_id"], r["user"], r["record_count"], r["dataset"]) for r in result.rows] \
        == [("1", "u1", 5, "t1"), ("4", "u2", None, "t;2")]
    assert result.reasons() == {4: "field 'Rows': cannot parse 'x' as an integer",
                                5: "expected 6 columns, got 3"}
    assert matches(m, write(tmp_path, "m.csv", text))
    with pytest.raises(InputError, match=re.escape("header lacks column(s) When")):
        run(tmp_path, m, "Id;Op\n1;read\n", "bad.csv")


# ---------------------------------------------------------------- mapping errors


def _yaml(**changes: Any) -> str:
    return yaml.safe_dump({**BASE_MAPPING, **changes})


@pytest.mark.parametrize(("text", "field", "reason"), [
    ("name: [unclosed\n", "-", "not valid YAML"),
    ("- a\n- b\n", "-", "expected a YAML mapping"),
    (_yaml(fields={"colour": "c"}), "fields.colour", "not a settable column of class datastore"),
    (_yaml(fields={"event_id": "c"}), "fields.event_id", "not a settable column"),
    (_yaml(constants={"nope": 1}), "constants.nope", "not a settable column"),
    (_yaml(constants={"record_count": "many"}), "constants.record_count", "cannot parse"),
    (_yaml(required=["colour"]), "required.colour", "not a settable column"),
    (_yaml(**{"class": "spaceship"}), "class", "Input should be"),
    (_yaml(**{"class": None}), "class", "exactly one of 'class' and 'class_from'"),
    (_yaml(time={"field": "ts", "format": "dd/mm/yyyy"}), "time.format", "strptime pattern"),
    (_yaml(time={"field": "ts", "timezone": "Mars/Base"}), "time.timezone", "unknown time zone"),
    (_yaml(time={"field": "a..b"}), "time.field", "malformed field path"),
    (_yaml(time=None), "time", "valid dictionary"),
    (_yaml(format="xml"), "format", "'jsonl' or 'csv'"),
    (_yaml(name="Bad Name"), "name", "pattern"),
    (_yaml(activity={"field": "op", "constant": "x"}), "activity", "exactly one of"),
    (_yaml(filters=[{"field": "a"}]), "filters.0", "exactly one of equals"),
    (_yaml(filters=[{"field": "a", "matches": "("}]), "filters.0.matches", "regular expression"),
    (_yaml(surprise=1), "surprise", "Extra inputs are not permitted"),
    (_yaml(delimiter=";;"), "delimiter", "at most 1 character"),
    (b"name: \xff\n".decode("latin-1"), "name", "pattern"),
])
def test_mapping_errors_name_file_and_field(tmp_path: Path, text: str, field: str,
                                            reason: str) -> None:
    error = mapping_error(tmp_path, text)
    assert error.field == field
    assert reason in error.reason


def test_mapping_file_not_utf8_or_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "bin.yaml", b"name: \xff\xfe\n")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(path)
    with pytest.raises(MappingError, match=re.escape("missing.yaml")):
        load_mapping(tmp_path / "missing.yaml")
