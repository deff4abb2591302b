"""Which playbooks an event starts, decided cheaply enough for alert intake.

A `PlaybookSet` compiles each enabled playbook once (rule globs into one regular
expression, conditions into small predicates) and indexes them by trigger kind; an
event (`Facts`) is then tested with integer compares and a few regex matches. The
facts of a batch of new alerts are read in one query, the watchlists of their people
in one more, and only when a playbook of the batch's kind asks for watchlists.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from watchkeeper.ops.playbooks.loader import Loaded
from watchkeeper.ops.playbooks.spec import Condition, Playbook, _severity

Test = Callable[["Facts"], bool]


@dataclass(frozen=True)
class Facts:
    """What a trigger and its conditions may test about one event."""

    kind: str                      # alert, case, sla-breach, watchlist
    key: str                       # alert:12, case:4, sla:4:acknowledge, watchlist:9
    severity: int = 0
    rules: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    title: str = ""
    priority: str | None = None
    status: str | None = None
    team: str | None = None
    sla: str | None = None
    watchlist: str | None = None   # the list a watchlist event added to
    on_watchlists: frozenset[str] = frozenset()   # lists the people are on today
    alert_id: int | None = None
    case_id: int | None = None
    day: date | None = None        # the day the event is about (HR record, risk)
    context: dict[str, str] = field(default_factory=dict)

    def values(self, name: str) -> tuple[str | int, ...]:
        """The values of a condition field (docs/operations.md lists them)."""
        return GETTERS[name](self)


def _one(attr: str) -> Callable[[Facts], tuple[str | int, ...]]:
    def get(f: Facts) -> tuple[str | int, ...]:
        value = getattr(f, attr)
        return () if value is None else (value,)
    return get


def _many(attr: str) -> Callable[[Facts], tuple[str | int, ...]]:
    def get(f: Facts) -> tuple[str | int, ...]:
        found: tuple[str | int, ...] = getattr(f, attr)
        return found
    return get


GETTERS: dict[str, Callable[[Facts], tuple[str | int, ...]]] = {
    **{name: _one(name) for name in ("severity", "title", "priority", "status", "team",
                                     "sla", "watchlist")},
    "rule": _many("rules"), "source": _many("sources"), "region": _many("regions"),
    "person": _many("people")}


@dataclass(frozen=True)
class Compiled:
    loaded: Loaded
    test: Test
    wants_watchlists: bool
    rules: Callable[[str | int], bool] | None = None   # the rule globs, None: any rule
    steps: tuple[tuple[str, str, dict[str, Any], int | None], ...] = ()
    """(action, name, options as JSON, retries) of each step, dumped once."""

    @property
    def playbook(self) -> Playbook:
        return self.loaded.playbook


class PlaybookSet:
    """The enabled playbooks compiled, by trigger kind."""

    def __init__(self, loaded: Iterable[Loaded]) -> None:
        self.by_kind: dict[str, list[Compiled]] = {}
        self._by_rules: dict[tuple[str, tuple[str, ...]], list[Compiled]] = {}
        for one in loaded:
            if one.playbook.enabled:
                compiled = compile_playbook(one)
                self.by_kind.setdefault(one.playbook.trigger.on, []).append(compiled)

    def wants(self, kind: str) -> bool:
        return bool(self.by_kind.get(kind))

    def wants_watchlists(self, kind: str) -> bool:
        return any(c.wants_watchlists for c in self.by_kind.get(kind, ()))

    def matching(self, facts: Facts) -> list[Compiled]:
        return [c for c in self.candidates(facts.kind, facts.rules) if c.test(facts)]

    def candidates(self, kind: str, rules: tuple[str, ...]) -> list[Compiled]:
        """The playbooks of `kind` whose rule globs let `rules` through, remembered
        per set of rules (an alert's rules recur: most playbooks are ruled out by one
        dictionary look-up)."""
        key = (kind, rules)
        found = self._by_rules.get(key)
        if found is None:
            found = [c for c in self.by_kind.get(kind, ())
                     if c.rules is None or any(c.rules(r) for r in rules)]
            if len(self._by_rules) < 4096:
                self._by_rules[key] = found
        return found


def compile_playbook(loaded: Loaded) -> Compiled:
    """One predicate for the trigger's filters and the conditions, all of which apply."""
    book = loaded.playbook
    trigger = book.trigger
    tests: list[Test] = []
    rule_ok: Callable[[str | int], bool] | None = None
    if trigger.severity_at_least is not None:
        least = trigger.severity_at_least
        tests.append(lambda f: f.severity >= least)
    if trigger.rules:
        pattern = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in trigger.rules),
                             re.IGNORECASE)
        rule_ok = _memo(lambda r: pattern.match(str(r)) is not None)
        matcher = rule_ok
        tests.append(lambda f: any(matcher(r) for r in f.rules))
    if trigger.watchlists:
        lists = frozenset(trigger.watchlists)
        if trigger.on == "watchlist":
            tests.append(lambda f: f.watchlist in lists)
        else:
            tests.append(lambda f: bool(f.on_watchlists & lists))
    if trigger.sla:
        kinds = frozenset(trigger.sla)
        tests.append(lambda f: f.sla in kinds)
    tests.extend(compile_condition(c) for c in book.conditions)
    wants = bool(trigger.watchlists) and trigger.on != "watchlist"
    ordered = tuple(tests)

    def test(f: Facts) -> bool:   # cheapest first: severity, rules, the conditions
        return all(one(f) for one in ordered)

    steps = tuple((s.action, s.label, s.options.model_dump(mode="json", by_alias=True),
                   s.retries) for s in book.steps)
    return Compiled(loaded, test, wants, rule_ok, steps)


def compile_condition(c: Condition) -> Test:
    name = c.field
    get = GETTERS[name]
    norm: Callable[[str | int], str | int] = (
        _severity_id if name == "severity" else (lambda v: str(v).casefold()))

    def any_value(ok: Callable[[str | int], bool]) -> Test:
        cached = _memo(ok)   # an alert's rule, region, title recur: test each value once
        return lambda f: any(cached(v) for v in get(f))

    if c.equals is not None:
        want = norm(c.equals)
        return any_value(lambda v: norm(v) == want)
    if c.in_ is not None:
        among = frozenset(norm(v) for v in c.in_)
        return any_value(lambda v: norm(v) in among)
    if c.not_in is not None:
        outside = frozenset(norm(v) for v in c.not_in)
        inside = any_value(lambda v: norm(v) in outside)
        return lambda f: not inside(f)
    if c.matches is not None:
        pattern = re.compile(c.matches)
        return any_value(lambda v: pattern.search(str(v)) is not None)
    if c.at_least is not None:
        least = c.at_least
        return lambda f: f.severity >= least
    most = c.at_most
    return lambda f: most is not None and f.severity <= most


def _memo(test: Callable[[str | int], bool]) -> Callable[[str | int], bool]:
    """`test` remembering its answers for up to 4,096 values."""
    return lru_cache(maxsize=4096)(test)


def _severity_id(value: str | int) -> int:
    found = _severity(value)
    return found if isinstance(found, int) else -1


__all__ = ["Compiled", "Facts", "PlaybookSet", "compile_condition", "compile_playbook"]
