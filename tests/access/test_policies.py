"""The shipped Cedar policies: every golden case beside each policy file, and broken
policies refused with their file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from watchkeeper.access.golden import run_cases
from watchkeeper.access.policy import SHIPPED, load, statements
from watchkeeper.errors import PolicyError

GOLDEN = sorted(SHIPPED.glob("*.cases.yml"))


def test_every_shipped_policy_file_has_golden_cases() -> None:
    policies = {p.stem for p in SHIPPED.glob("*.cedar")}
    assert policies == {p.name.removesuffix(".cases.yml") for p in GOLDEN}
    assert {"default_deny", "same_region_read", "grants", "leavers",
            "elevated_risk"} <= policies


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden_cases(path: Path) -> None:
    results = run_cases(load(), path)
    assert results and all(r.expect in ("allow", "deny") for r in results)
    failed = [f"{r.name}: {r.decision.decision} by {r.decision.policies} "
              f"({'; '.join(r.decision.reasons)})" for r in results if not r.passed]
    assert not failed
    assert {r.expect for r in results} == {"allow", "deny"}   # both sides shown


def test_reasons_are_readable() -> None:
    results = run_cases(load(), SHIPPED / "default_deny.cases.yml")
    denied = next(r for r in results if r.expect == "deny")
    assert denied.decision.reasons == ("no policy permits this (deny by default)",)
    risky = [r for r in run_cases(load(), SHIPPED / "elevated_risk.cases.yml")
             if r.decision.policies == ("elevated-risk-extra-approver",)]
    assert risky and "one more approver" in risky[0].decision.reasons[0]


def _folder(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("*.yml"))
    (folder / name).write_text(text)
    return folder


def test_a_policy_that_does_not_parse_names_file_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "zz_broken.cedar", (
        "// first policy fine\n"
        '@id("ok") @reason("fine")\n'
        'permit (principal, action == Action::"read", resource) when { true };\n'
        "\n"
        '@id("bad") @reason("broken")\n'
        "permit (principal, action, resource) when { principal.region == };\n"))
    with pytest.raises(PolicyError) as caught:
        load(folder)
    assert caught.value.path.endswith("zz_broken.cedar") and caught.value.line == 5
    assert str(caught.value).startswith(f"{folder / 'zz_broken.cedar'}:5: does not parse")


def test_a_policy_that_does_not_validate_names_file_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "zz_typo.cedar", (
        '@id("typo") @reason("misspelt attribute")\n'
        "forbid (principal, action, resource)\n"
        '  when { principal.regoin == "EU" };\n'))
    with pytest.raises(PolicyError, match=r"zz_typo.cedar:1: does not validate against "
                       r"the schema: .*regoin"):
        load(folder)


def test_an_unknown_action_does_not_validate(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "zz_action.cedar", (
        "\n\n"
        '@id("copy") @reason("no such action")\n'
        'permit (principal, action == Action::"copy", resource);\n'))
    with pytest.raises(PolicyError, match=r"zz_action.cedar:3: does not validate"):
        load(folder)


@pytest.mark.parametrize(("text", "problem"), [
    ('@reason("why")\npermit (principal, action, resource);\n', "needs @id"),
    ('@id("x")\npermit (principal, action, resource);\n', "needs @reason"),
    ('@id("same-region-read") @reason("dup")\npermit (principal, action, resource);\n',
     "used already at same_region_read.cedar:2"),
])
def test_every_policy_is_named_and_explained_once(tmp_path: Path, text: str,
                                                  problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        load(_folder(tmp_path, "zz_extra.cedar", text))


def test_statements_ignore_semicolons_in_strings_and_comments() -> None:
    text = ('// a; comment\n@id("a;b") @reason("x")\npermit (principal, action, '
            'resource) when { "a;b" == "a;b" };\n\n@id("c") @reason("y")\n'
            "forbid (principal, action, resource);\n")
    found = statements(text)
    assert [s.line for s in found] == [2, 5]
    assert found[0].text.endswith('"a;b" == "a;b" };')


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such folder"):
        load(tmp_path / "nope")


def test_one_cedar_request_per_attribute_class_decides_as_one_per_query() -> None:
    """Grouping principals and resources by their attributes (no policy names an entity
    by id) answers exactly as asking Cedar once per query."""
    import random
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from watchkeeper.access.decide import Directory, Query, decide
    from watchkeeper.access.schema import Asset, Employee, GrantFacts

    rng = random.Random(5)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    people = {f"u{i}": Employee(f"u{i}", rng.choice(["EU", "US"]),
                                rng.choice(["SupportAgent", "Accountant", "Analyst"]),
                                status=rng.choice(["active", "active", "notice", "left"]))
              for i in range(40)}
    assets = {f"a{i}": Asset(f"a{i}", rng.choice(["EU", "US"]), "high", rng.random() < .2)
              for i in range(10)}
    queries = [Query(rng.choice(list(people)), rng.choice(["read", "export", "delete"]),
                     rng.choice(list(assets)), rng.choice(["investigation", "legal", ""]),
                     f"T-{rng.randrange(5)}") for _ in range(400)]
    grants = {(q.principal, q.action, q.resource): [GrantFacts(
        k, "investigation", int((now + timedelta(hours=rng.choice([-1, 1]))).timestamp()),
        rng.choice([1, 2, 3]), rng.choice([1, 2]))] for k, q in enumerate(queries[::7])}
    levels = {p: rng.choice(["normal", "elevated", "unknown"]) for p in people}
    bundle = load()
    assert bundle.by_attributes and not bundle.reads_ticket
    grouped = decide(bundle, Directory(now.date(), people, assets), queries, now, grants,
                     levels.__getitem__)
    single = decide(replace(bundle, by_attributes=False, reads_ticket=True),
                    Directory(now.date(), people, assets), queries, now, grants,
                    levels.__getitem__)
    assert grouped == single
    assert {d.decision for d in grouped} == {"allow", "deny"}


def test_a_policy_naming_an_entity_turns_grouping_off(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "zz_named.cedar", (
        '@id("no-ana") @reason("ana is suspended")\n'
        'forbid (principal == Employee::"ana", action, resource)\n'
        '  when { context.ticket == "" };\n'))
    bundle = load(folder)
    assert not bundle.by_attributes and bundle.reads_ticket
