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
        single: dict[str, str | int | None] = {
            "severity": self.severity, "title": self.title, "priority": self.priority,
            "status": self.status, "team": self.team, "sla": self.sla,
            "watchlist": self.watchlist}
        if name in single:
            value = single[name]
            return () if value is None else (value,)
        many = {"rule": self.rules, "source": self.sources, "region": self.regions,
                "person": self.people}
        return many[name]


@dataclass(frozen=True)
class Compiled:
    loaded: Loaded
    test: Test
    wants_watchlists: bool

    @property
    def playbook(self) -> Playbook:
        return self.loaded.playbook


class PlaybookSet:
    """The enabled playbooks compiled, by trigger kind."""

    def __init__(self, loaded: Iterable[Loaded]) -> None:
        self.by_kind: dict[str, list[Compiled]] = {}
        for one in loaded:
            if one.playbook.enabled:
                compiled = compile_playbook(one)
                self.by_kind.setdefault(one.playbook.trigger.on, []).append(compiled)

    def wants(self, kind: str) -> bool:
        return bool(self.by_kind.get(kind))

    def wants_watchlists(self, kind: str) -> bool:
        return any(c.wants_watchlists for c in self.by_kind.get(kind, ()))

    def matching(self, facts: Facts) -> list[Compiled]:
        return [c for c in self.by_kind.get(facts.kind, ()) if c.test(facts)]


def compile_playbook(loaded: Loaded) -> Compiled:
    """One predicate for the trigger's filters and the conditions, all of which apply."""
    book = loaded.playbook
    trigger = book.trigger
    tests: list[Test] = []
    if trigger.severity_at_least is not None:
        least = trigger.severity_at_least
        tests.append(lambda f: f.severity >= least)
    if trigger.rules:
        pattern = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in trigger.rules),
                             re.IGNORECASE)
        tests.append(lambda f: any(pattern.match(r) for r in f.rules))
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
    return Compiled(loaded, lambda f: all(t(f) for t in tests), wants)


def compile_condition(c: Condition) -> Test:
    name = c.field
    norm: Callable[[str | int], str | int] = (
        _severity_id if name == "severity" else (lambda v: str(v).casefold()))

    def values(f: Facts) -> list[str | int]:
        return [norm(v) for v in f.values(name)]

    if c.equals is not None:
        want = norm(c.equals)
        return lambda f: want in values(f)
    if c.in_ is not None:
        among = frozenset(norm(v) for v in c.in_)
        return lambda f: any(v in among for v in values(f))
    if c.not_in is not None:
        outside = frozenset(norm(v) for v in c.not_in)
        return lambda f: not any(v in outside for v in values(f))
    if c.matches is not None:
        pattern = re.compile(c.matches)
        return lambda f: any(pattern.search(str(v)) for v in f.values(name))
    if c.at_least is not None:
        least = c.at_least
        return lambda f: f.severity >= least
    most = c.at_most
    return lambda f: most is not None and f.severity <= most


def _severity_id(value: str | int) -> int:
    found = _severity(value)
    return found if isinstance(found, int) else -1


__all__ = ["Compiled", "Facts", "PlaybookSet", "compile_condition", "compile_playbook"]
