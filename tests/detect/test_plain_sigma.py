"""Plain Sigma rules load as they come; pack rules keep their checks; explanations; the
hunting query's read-only check."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.detect import connect_table, run_rules
from watchkeeper.detect.fields import field_warnings
from watchkeeper.detect.matched import explain
from watchkeeper.detect.rejections import NO_MAPPING, PACK_CHECK, rejections, summary
from watchkeeper.detect.ruleset import DEFAULT_RULES, load_pack
from watchkeeper.detect.selections import rule_selections
from watchkeeper.errors import QueryError
from watchkeeper.hunt import check_read_only, view_names
from watchkeeper.schema.windows import windows_schema

from .conftest import BASE_EVENT

PLAIN = """\
title: Whoami With Options
status: test
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\\\\whoami.exe'
  options:
    CommandLine|contains: ['/all', '/priv']
  filter:
    User: 'NT AUTHORITY\\\\SYSTEM'
  condition: selection and options and not filter
tags: [attack.discovery, attack.t1033]
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_plain_rule_gets_id_from_file_severity_default_and_tags(tmp_path: Path) -> None:
    write(tmp_path, "whoami_options.yml", PLAIN)
    write(tmp_path, "with_id.yaml", PLAIN.replace("status: test", "id: 1b0d6a0e-3c37-4d1f-"
                                                  "9a3e-2f7c5f6f9e10\nlevel: high"))
    pack = load_pack([tmp_path])
    assert pack.errors == ()
    rules = {r.rule_id: r for r in pack.rules}
    assert set(rules) == {"whoami_options", "1b0d6a0e-3c37-4d1f-9a3e-2f7c5f6f9e10"}
    plain = rules["whoami_options"]
    assert plain.plain and plain.meta.level == "informational" and plain.meta.runbook == ""
    assert plain.meta.tags == ("attack.discovery", "attack.t1033")
    assert rules["1b0d6a0e-3c37-4d1f-9a3e-2f7c5f6f9e10"].meta.level == "high"


def test_plain_rules_that_cannot_run_are_left_out_with_reason_and_line(tmp_path: Path) -> None:
    write(tmp_path, "ok.yml", PLAIN)
    write(tmp_path, "access.yml", PLAIN.replace("category: process_creation",
                                                "category: file_access"))
    pack = load_pack([tmp_path])
    assert [r.rule_id for r in pack.rules] == ["ok"]
    found = rejections(pack.errors)
    assert summary(found) == {NO_MAPPING: 1}
    assert found[0].path is not None and found[0].path.endswith("access.yml")
    assert found[0].line == 3  # the logsource line


def test_pack_rule_with_wrong_file_name_is_reported_and_not_run(tmp_path: Path) -> None:
    text = (DEFAULT_RULES / "insider.exfil.leak_site_upload.yml").read_text(encoding="utf-8")
    write(tmp_path, "wrong_name.yml", text)
    pack = load_pack([tmp_path])
    assert pack.rules == ()
    found = rejections(pack.errors)
    assert [r.reason for r in found] == [PACK_CHECK]
    assert "does not match the rule id" in found[0].detail and pack.is_fatal(found[0].path)


def test_plain_correlation_feeds_on_its_rules_unless_they_generate(tmp_path: Path) -> None:
    base = PLAIN.replace("title: Whoami With Options", "title: Whoami\nname: whoami")
    correlation = """\
title: Many whoami
name: many_whoami
correlation: {type: event_count, rules: [whoami], group-by: [Computer], timespan: 5m,
              condition: {gte: 3}}
"""
    write(tmp_path / "quiet", "set.yml", base + "---\n" + correlation)
    pack = load_pack([tmp_path / "quiet"])
    assert pack.errors == () and [r.rule_id for r in pack.rules] == ["many_whoami"]
    assert [h.rule.rule_id for h in pack.helpers] == ["whoami"]
    write(tmp_path / "loud", "set.yml", base + "---\n" + correlation.replace(
        "condition:", "generate: true,\n              condition:"))
    loud = load_pack([tmp_path / "loud"])
    assert loud.errors == () and [r.rule_id for r in loud.rules] == ["many_whoami", "whoami"]


def test_validate_warns_about_fields_the_log_source_never_has(tmp_path: Path) -> None:
    rule = """\
title: Leak site by typo
logsource: {product: watchkeeper, category: web}
detection:
  selection: {domian: wikileaks.org, activity: upload}
  condition: selection
"""
    write(tmp_path, "typo.yml", rule)
    write(tmp_path, "windows.yml", PLAIN.replace("CommandLine|contains", "CommandLin|contains"))
    warnings = field_warnings(load_pack([tmp_path]).rules)
    assert sorted((w.rule_id, w.field) for w in warnings) == [("typo", "domian"),
                                                               ("windows", "CommandLin")]
    assert field_warnings(load_pack([DEFAULT_RULES]).rules) == []


def test_explanation_is_the_engines_view_of_each_selection(tmp_path: Path) -> None:
    write(tmp_path, "whoami.yml", PLAIN)
    rule = load_pack([tmp_path]).rules[0]
    ((compiled, selections),) = rule_selections([rule])  # parsed when served cached
    assert rule.sigma is not None and compiled == rule.sigma
    rows = [{**BASE_EVENT, "event_id": "e1", "Image": "C:\\Windows\\System32\\whoami.exe",
             "CommandLine": "whoami /all", "data_User": "CORP\\alice"},
            {**BASE_EVENT, "event_id": "e2", "Image": "C:\\Windows\\System32\\whoami.exe",
             "CommandLine": "whoami /priv", "data_User": "NT AUTHORITY\\SYSTEM"}]
    events = pa.Table.from_pylist(rows, schema=windows_schema(["Image", "CommandLine",
                                                               "data_User"]))
    hits = run_rules([rule.sigma], connect_table(events))
    assert hits["event_id"].to_pylist() == ["e1"]
    why = {s.name: s for s in explain([(compiled, selections)], hits, events)[
        (rule.rule_id, "e1")]}
    assert why["selection"].matched and why["options"].matched and not why["filter"].matched
    assert [(f.field, f.test, f.pattern, f.value) for f in why["options"].fields] == [
        ("CommandLine", "contains", "/all", "whoami /all")]


WRITES = st.sampled_from(["INSERT INTO web VALUES (1)", "UPDATE web SET user = 'x'",
                          "DELETE FROM finding", "DROP VIEW people", "CREATE TABLE t (a INT)",
                          "COPY web TO 'x.csv'", "ATTACH 'x.db'", "PRAGMA version",
                          "SET threads = 1", "INSTALL httpfs", "CALL pragma_version()",
                          "SELECT * INTO t FROM web"])


@settings(max_examples=60, deadline=None)
@given(statement=WRITES, suffix=st.sampled_from(["", ";", " ; SELECT 1"]))
def test_anything_but_one_select_is_refused(statement: str, suffix: str) -> None:
    with pytest.raises(QueryError):
        check_read_only(statement + suffix)


@settings(max_examples=60, deadline=None)
@given(view=st.sampled_from(view_names()),
       name=st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True))
def test_selects_read_the_views_and_nothing_else(view: str, name: str) -> None:
    check_read_only(f"WITH x AS (SELECT * FROM {view}) SELECT count(*) FROM x")
    if name not in view_names() and name != "x":
        with pytest.raises(QueryError, match="unknown table"):
            check_read_only(f"SELECT * FROM {view} JOIN {name} USING (user)")
