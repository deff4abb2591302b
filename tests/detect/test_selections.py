"""Explaining the matches of cached rules: the selections compiled alone are stored in the
rule cache the first time a rule is explained, and read (no pySigma parse) afterwards."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.detect import connect_table, run_rules
from watchkeeper.detect.matched import explain
from watchkeeper.detect.packtypes import PackRule
from watchkeeper.detect.rulefiles import read_selections, selections_key
from watchkeeper.detect.ruleset import load_pack
from watchkeeper.detect.selections import rule_selections
from watchkeeper.detect.sigma import loader
from watchkeeper.detect.sigma.cache import RuleCache
from watchkeeper.schema.windows import windows_schema

from .conftest import BASE_EVENT
from .test_plain_sigma import PLAIN, write

ROWS = [{**BASE_EVENT, "event_id": "e1", "Image": "C:\\Windows\\System32\\whoami.exe",
         "CommandLine": "whoami /all", "data_User": "CORP\\alice"}]


def cached_rule(folder: Path, cache: RuleCache) -> PackRule:
    load_pack([folder], cache)  # fills the cache
    (rule,) = load_pack([folder], cache).rules
    assert rule.source is None and rule.position == 0  # served by the cache
    return rule


def why(rule: PackRule, cache: RuleCache) -> dict[str, tuple[bool, list[str]]]:
    events = pa.Table.from_pylist(ROWS, schema=windows_schema(["Image", "CommandLine",
                                                               "data_User"]))
    assert rule.sigma is not None
    hits = run_rules([rule.sigma], connect_table(events))
    found = explain(rule_selections([rule], cache), hits, events)[(rule.rule_id, "e1")]
    return {s.name: (s.matched, [f.pattern for f in s.fields]) for s in found}


EXPECTED = {"selection": (True, ["\\whoami.exe"]), "options": (True, ["/all"]),
            "filter": (False, [])}


def test_a_second_explanation_parses_no_rule_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cache = RuleCache(tmp_path / "cache")
    path = write(tmp_path / "rules", "whoami.yml", PLAIN)
    rule = cached_rule(path.parent, cache)
    assert read_selections(path.read_bytes(), path, 0, cache) is None
    assert why(rule, cache) == EXPECTED  # parsed once, selections stored
    assert set(read_selections(path.read_bytes(), path, 0, cache) or {}) == set(EXPECTED)

    def no_parse(*args: object) -> None:
        raise AssertionError("parsed a rule file")

    monkeypatch.setattr(loader, "parse_bytes", no_parse)
    assert why(rule, cache) == EXPECTED


def test_selections_follow_the_files_bytes(tmp_path: Path) -> None:
    cache = RuleCache(tmp_path / "cache")
    path = write(tmp_path / "rules", "whoami.yml", PLAIN)
    why(cached_rule(path.parent, cache), cache)
    edited = PLAIN.replace("['/all', '/priv']", "['/all', '/groups']")
    path.write_text(edited, encoding="utf-8")
    assert read_selections(path.read_bytes(), path, 0, cache) is None  # another key
    rule = cached_rule(path.parent, cache)
    (_, selections), = rule_selections([rule], cache)
    assert "/groups" in repr(selections["options"])


def test_a_damaged_selections_entry_is_parsed_again(tmp_path: Path) -> None:
    cache = RuleCache(tmp_path / "cache")
    path = write(tmp_path / "rules", "whoami.yml", PLAIN)
    rule = cached_rule(path.parent, cache)
    why(rule, cache)
    stored = cache.path(selections_key(path.read_bytes(), 0))
    stored.write_bytes(stored.read_bytes().replace(b"whoami", b"whoamI"))  # checksum fails
    assert read_selections(path.read_bytes(), path, 0, cache) is None
    assert why(rule, cache) == EXPECTED
    assert read_selections(path.read_bytes(), path, 0, cache) is not None  # stored again
