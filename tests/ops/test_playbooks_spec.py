"""The playbook language: what loads, every error naming file, line and field, the
compiled triggers and conditions, the webhook allow-list, and the shipped examples'
golden tests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.errors import PlaybookError
from watchkeeper.ops.playbooks.golden import check, event_facts, read_event
from watchkeeper.ops.playbooks.loader import EXAMPLES, load_all, load_file
from watchkeeper.ops.playbooks.triggers import Facts, PlaybookSet
from watchkeeper.ops.playbooks.webhook import WebhookError, allowed, post

HEAD = "id: p\ntitle: A playbook\n"


def write(tmp_path: Path, text: str, name: str = "p.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "where"), [
    ("trigger:\n  on: alert\n  severity_at_least: hgh\nsteps:\n  - enrich:\n",
     "5 trigger.severity_at_least: 'hgh': expected informational"),
    ("trigger: {on: alert}\nsteps:\n  - enrich:\n  - set: {severity: high}\n",
     "6 steps.1.set: an alert trigger needs a group step before a case step"),
    ("trigger: {on: case}\nsteps:\n  - group: {}\n",
     "5 steps.0.group: only an alert trigger can group"),
    ("trigger: {on: watchlist}\nsteps:\n  - task: {title: t}\n",
     "5 steps.0.task: a watchlist trigger has no case nor alert"),
    ("trigger: {on: alert}\nsteps:\n  - frobnicate: {}\n",
     "5 steps.0.frobnicate: not an action (known: enrich, group"),
    ("trigger: {on: alert}\nsteps:\n  - enrich: {}\n    group: {}\n",
     "5 steps.0: give exactly one action of"),
    ("trigger: {on: alert}\nconditions:\n  - field: region\n    in: [eu]\n    equals: x\n"
     "steps:\n  - enrich:\n", "5 conditions.0: give exactly one of equals"),
    ("trigger: {on: alert}\nconditions:\n  - {field: title, matches: '(unclosed'}\n"
     "steps:\n  - enrich:\n", "5 conditions.0: matches: not a regular expression"),
    ("trigger: {on: alert}\nconditions:\n  - {field: region, at_least: high}\n"
     "steps:\n  - enrich:\n", "5 conditions.0: at_least: only for field severity"),
    ("trigger: {on: alert, sla: [acknowledge]}\nsteps:\n  - enrich:\n",
     "3 trigger: sla: only for on: sla-breach"),
    ("trigger: {on: alert}\nsteps:\n  - suppress: {for: 0s, reason: r}\n",
     "5 steps.0.suppress.for: must be longer than 0 s"),
    ("trigger: {on: alert}\nsteps: []\n", "4 steps: Tuple should have at least 1 item"),
    ("trigger: {on: alert}\n", "1 steps: Field required"),
])
def test_an_error_names_file_line_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path, HEAD + text)
    with pytest.raises(PlaybookError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{where.split(' ', 1)[0]} ")
    assert where.split(" ", 1)[1] in str(caught.value)


def test_yaml_errors_and_non_mappings_name_the_file(tmp_path: Path) -> None:
    broken = write(tmp_path, HEAD + "trigger: {on: alert\n", "broken.yml")
    with pytest.raises(PlaybookError, match=r"broken\.yml:\d+:\d+: not valid YAML"):
        load_file(broken)
    with pytest.raises(PlaybookError, match=r"list\.yml: expected a mapping"):
        load_file(write(tmp_path, "- a\n", "list.yml"))


def test_on_yes_and_no_are_words_not_booleans(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, HEAD + "enabled: no\ntrigger:\n  on: alert\n"
                             "steps:\n  - enrich:\n"))
    assert loaded.playbook.trigger.on == "alert" and loaded.playbook.enabled is False
    assert PlaybookSet([loaded]).by_kind == {}     # disabled: starts nothing


def test_one_bad_file_leaves_the_others_running_and_ids_are_unique(tmp_path: Path) -> None:
    good = HEAD + "trigger: {on: alert}\nsteps:\n  - enrich:\n"
    write(tmp_path, good, "a.yml")
    write(tmp_path, good, "b.yml")
    write(tmp_path, "id: c\n", "c.yml")
    report = load_all([tmp_path])
    assert [one.playbook.id for one in report.playbooks] == ["p"]
    assert [e.field for e in report.errors] == ["id", "title"]
    assert "'p' is the id of" in str(report.errors[0])


def facts(**given: object) -> Facts:
    base: dict[str, object] = {"kind": "alert", "key": "alert:1", "severity": 4,
                               "rules": ("insider.exfil.archive_to_removable",),
                               "regions": ("eu",), "people": ("ACM2278",),
                               "title": "Archive copied", "sources": ("ocsf",)}
    return Facts(**(base | given))  # type: ignore[arg-type]


def books(tmp_path: Path, trigger: str, conditions: str = "") -> PlaybookSet:
    text = HEAD + f"trigger: {trigger}\n" + (f"conditions:\n{conditions}" if conditions
                                             else "") + "steps:\n  - enrich:\n"
    return PlaybookSet([load_file(write(tmp_path, text))])


@pytest.mark.parametrize(("trigger", "conditions", "given", "starts"), [
    ("{on: alert, severity_at_least: high}", "", {}, True),
    ("{on: alert, severity_at_least: critical}", "", {}, False),
    ("{on: alert, rules: ['insider.exfil.*']}", "", {}, True),
    ("{on: alert, rules: ['INSIDER.EXFIL.*']}", "", {}, True),
    ("{on: alert, rules: ['insider.access.*']}", "", {}, False),
    ("{on: alert, watchlists: [insider-watch]}", "", {}, False),
    ("{on: alert, watchlists: [insider-watch]}", "",
     {"on_watchlists": frozenset({"insider-watch"})}, True),
    ("{on: case}", "", {}, False),
    ("{on: alert}", "  - {field: region, in: [EU, us]}\n", {}, True),
    ("{on: alert}", "  - {field: region, not_in: [eu]}\n", {}, False),
    ("{on: alert}", "  - {field: title, matches: '(?i)archive'}\n", {}, True),
    ("{on: alert}", "  - {field: severity, at_most: medium}\n", {}, False),
    ("{on: alert}", "  - {field: severity, equals: high}\n", {}, True),
    ("{on: alert}", "  - {field: person, equals: acm2278}\n", {}, True),
    ("{on: alert}", "  - {field: priority, equals: high}\n", {}, False),
    ("{on: sla-breach, sla: [resolve]}", "", {"kind": "sla-breach", "sla": "acknowledge"},
     False),
    ("{on: watchlist, watchlists: [insider-watch]}", "",
     {"kind": "watchlist", "watchlist": "insider-watch"}, True),
])
def test_triggers_and_conditions(tmp_path: Path, trigger: str, conditions: str,
                                 given: dict[str, object], starts: bool) -> None:
    assert bool(books(tmp_path, trigger, conditions).matching(facts(**given))) is starts


def test_the_allow_list_is_a_prefix_of_scheme_host_port_and_path() -> None:
    allow = ["https://hooks.example.com/soc/", "http://127.0.0.1:8080"]
    assert allowed("https://hooks.example.com/soc/cases", allow)
    assert allowed("https://HOOKS.example.com:443/soc/", allow)
    assert allowed("http://127.0.0.1:8080/anything", allow)
    assert not allowed("https://hooks.example.com/socks", allow)
    assert not allowed("http://hooks.example.com/soc/cases", allow)
    assert not allowed("https://hooks.example.com.evil.test/soc/", allow)
    assert not allowed("http://127.0.0.1:8081/", allow)
    assert not allowed("http://[::1/", allow)


@pytest.mark.parametrize(("playbook", "event", "expect"), [
    ("leaver-exfiltration", "usb-copy-eu.json", "leaver-exfiltration.expected.yml"),
    ("leaver-exfiltration", "usb-copy-us.json", "not-triggered.expected.yml"),
])
def test_the_shipped_examples_pass_their_golden_tests(playbook: str, event: str,
                                                      expect: str) -> None:
    loaded = {one.playbook.id: one for one in load_all([EXAMPLES]).playbooks}
    golden = EXAMPLES / "golden"
    result = check(loaded[playbook], read_event(golden / event), golden / expect,
                   ["https://hooks.example.com/soc/"])
    assert result.passed, result.problems


def test_a_golden_event_with_an_unknown_key_is_named() -> None:
    with pytest.raises(PlaybookError, match=r"x\.json severty: unknown key"):
        event_facts({"severty": "high"}, "x.json")


SCALARS = st.none() | st.booleans() | st.integers(-10, 10) | st.sampled_from(
    ["alert", "case", "high", "enrich", "group", "set", "webhook", "7d", "x", ""])
KEYS = st.sampled_from(["id", "title", "trigger", "on", "steps", "conditions", "field",
                        "in", "severity_at_least", "rules", "enrich", "set", "url",
                        "severity", "priority", "retries", "for", "reason", "other"])
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) |
                    st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.dictionaries(KEYS, DOCS, max_size=6))
def test_any_document_loads_or_is_one_playbook_error(tmp_path: Path,
                                                     doc: dict[str, object]) -> None:
    path = write(tmp_path, yaml.safe_dump(doc))
    try:
        load_file(path)
    except PlaybookError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)


def test_a_webhook_that_times_out_or_answers_no_2xx_is_an_error() -> None:
    allow = ["https://hooks.example.com/soc/"]

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(WebhookError, match="ReadTimeout"):
        post("https://hooks.example.com/soc/x", {"a": 1}, allow=allow,
             timeout=timedelta(seconds=1), transport=httpx.MockTransport(slow))
    refused = httpx.MockTransport(lambda r: httpx.Response(302, headers={"Location": "/"}))
    with pytest.raises(WebhookError, match="answered HTTP 302"):   # redirects not followed
        post("https://hooks.example.com/soc/x", {}, allow=allow,
             timeout=timedelta(seconds=1), transport=refused)
    seen: list[bytes] = []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(204)

    assert post("https://hooks.example.com/soc/x", {"a": 1}, allow=allow,
                timeout=timedelta(seconds=1), transport=httpx.MockTransport(ok)) == 204
    assert seen == [b'{"a":1}'] or seen == [b'{"a": 1}']
