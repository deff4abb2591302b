"""Why a Sigma rule matched an event: which of its selections held, on which field and value.

The engine answers, not a second matcher: each named selection of the rule is compiled by
the same compiler (the rule with ``condition: <selection>``), and each field test in it
becomes a one-test rule; the fused runner (:func:`~.runner.run_rules`) evaluates them all
on the matched events only, so the record says exactly what the engine saw. The detect
run stores the result with each finding (``raw.matched``). The selections are compiled
when a rule file is parsed and kept in the rule cache (:mod:`.selections`), so explaining
cached rules parses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from watchkeeper.detect.runner import connect_table, run_rules
from watchkeeper.detect.selections import Selections, selection_rules
from watchkeeper.detect.sigma.compiler import Branch, CompiledRule
from watchkeeper.detect.sigma.ir import (
    KEYWORDS,
    AllOf,
    AnyOf,
    Const,
    Exists,
    FieldRef,
    IsNull,
    Node,
    Not,
    NumCompare,
    StrMatch,
)

SEP = "\x1f"


@dataclass(frozen=True)
class FieldMatch:
    """One field test that held: the event's field, the test (Sigma modifier style), the
    rule's value and the event's value."""

    field: str
    test: str
    pattern: str
    value: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "test": self.test, "pattern": self.pattern,
                "value": self.value}


@dataclass(frozen=True)
class SelectionMatch:
    """A named selection of the rule and whether it held on the event."""

    name: str
    matched: bool
    fields: tuple[FieldMatch, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"selection": self.name, "matched": self.matched,
                "fields": [f.to_dict() for f in self.fields]}


Explained = dict[tuple[str, str], tuple[SelectionMatch, ...]]  # (rule id, event id) -> ...


@dataclass(frozen=True)
class _Plan:
    """Per rule, its selections: the probe key of each, and of each of its field tests."""

    probes: list[CompiledRule]
    selections: dict[str, list[tuple[str, str, list[tuple[str, Node]]]]]


def explain(rules: Sequence[tuple[CompiledRule, Selections]], hits: pa.Table,
            events: pa.Table) -> Explained:
    """Per (rule id, event id) of ``hits``, the rule's selections as the engine saw them.

    ``rules`` pairs each compiled rule (whose ``rule_id`` the hits carry) with its named
    selections compiled alone (:func:`~.selections.selection_rules`, or the rule cache's);
    ``events`` holds the rows behind the hits.
    """
    plan = _plan(rules, set(hits["rule_id"].to_pylist()) if hits.num_rows else set())
    if not plan.probes:
        return {}
    found = run_rules(plan.probes, connect_table(events))
    held = set(zip(found["rule_id"].to_pylist(), found["event_id"].to_pylist(), strict=True))
    rows = {str(r["event_id"]): r for r in events.to_pylist()}
    out: Explained = {}
    for rule_id, event_id in zip(hits["rule_id"].to_pylist(), hits["event_id"].to_pylist(),
                                 strict=True):
        row = rows.get(str(event_id), {})
        out[(rule_id, event_id)] = tuple(
            SelectionMatch(name, True, tuple(dict.fromkeys(
                field_match(leaf, row) for k, leaf in tests if (k, event_id) in held)))
            if (key, event_id) in held else SelectionMatch(name, False)
            for name, key, tests in plan.selections.get(rule_id, ()))
    return out


def _plan(rules: Sequence[tuple[CompiledRule, Selections]], wanted: set[str]) -> _Plan:
    plan = _Plan([], {})
    for rule, selections in rules:
        if rule.rule_id not in wanted:
            continue
        entries = plan.selections.setdefault(rule.rule_id, [])
        for name, selection in selections.items():
            key = f"{rule.rule_id}{SEP}{name}"
            plan.probes.append(replace(selection, rule_id=key))
            tests: list[tuple[str, Node]] = []
            for b, branch in enumerate(selection.branches):
                for n, leaf in enumerate(leaves(branch.condition)):
                    tests.append((f"{key}{SEP}{b}{SEP}{n}", leaf))
                    plan.probes.append(replace(selection, rule_id=tests[-1][0],
                                               branches=(Branch(branch.route, leaf),)))
            entries.append((name, key, tests))
    return plan


def leaves(node: Node) -> Iterator[Node]:
    """The field tests of a condition, in order (a negated test counts as one)."""
    if isinstance(node, AllOf | AnyOf):
        for item in node.items:
            yield from leaves(item)
    elif not isinstance(node, Const):
        yield node


def field_match(leaf: Node, row: Mapping[str, Any]) -> FieldMatch:
    """A test that held, with the event's value of its field."""
    field, test, pattern = describe(leaf)
    if field == KEYWORDS:
        return FieldMatch("keywords", test, pattern, None)
    lowered = {str(k).lower(): v for k, v in row.items()}
    value = lowered.get(field.lower(), lowered.get(field.rsplit(".", 1)[-1].lower()))
    return FieldMatch(field, test, pattern, None if value is None else str(value))


def describe(leaf: Node) -> tuple[str, str, str]:
    """(field, test, value) of a field test, the test in Sigma's modifier words."""
    if isinstance(leaf, StrMatch):
        return leaf.field, leaf.kind + ("|cased" if leaf.cased else ""), leaf.value
    if isinstance(leaf, NumCompare):
        return leaf.field, leaf.op, str(leaf.number)
    if isinstance(leaf, IsNull):
        return leaf.field, "null", ""
    if isinstance(leaf, Exists):
        return leaf.field, "exists", str(leaf.present).lower()
    if isinstance(leaf, FieldRef):
        return leaf.field, f"fieldref|{leaf.kind}", leaf.other
    if isinstance(leaf, Not):
        field, test, pattern = describe(leaf.item)
        return field, f"not {test}", pattern
    raise TypeError(f"not a field test: {leaf!r}")


__all__ = ["Explained", "FieldMatch", "SelectionMatch", "describe", "explain", "field_match",
           "leaves", "selection_rules"]
