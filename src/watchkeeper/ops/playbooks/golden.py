"""`playbooks test`: a golden event in, the expected actions out, nothing changed.

The golden event is JSON: an alert as the trigger sees it (``title``, ``severity``,
``rule``, ``source``, ``region``, ``subjects``, ``hosts``, ``event_time``), plus
``on_watchlists`` (the lists its people are on) and, for other triggers, ``kind``
(``case``, ``sla-breach``, ``watchlist``) and ``priority``, ``status``, ``team``,
``sla``, ``watchlist``. The expectation is YAML::

    triggered: true
    actions:
      - enrich
      - group
      - set: {severity: critical, priority: high}
      - webhook: {url: "https://hooks.example.com/soc/cases"}

An action given with options passes when each option given equals the plan's (other
options are not compared); severities may be names, durations ``7d``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.config import parse_duration
from watchkeeper.errors import PlaybookError, yaml_location
from watchkeeper.ops.playbooks.loader import Loaded, YamlLoader
from watchkeeper.ops.playbooks.spec import TRIGGERS, _severity
from watchkeeper.ops.playbooks.triggers import Facts, compile_playbook
from watchkeeper.ops.playbooks.webhook import allowed

GOLDEN_KEYS = {"kind", "title", "severity", "rule", "rule_id", "source", "region",
               "subjects", "hosts", "event_time", "on_watchlists", "priority", "status",
               "team", "sla", "watchlist", "description", "source_ref", "id"}
DURATIONS = ("for", "window")


@dataclass(frozen=True)
class PlannedStep:
    action: str
    name: str
    options: dict[str, Any]


@dataclass(frozen=True)
class GoldenResult:
    """What the playbook would do with the golden event, and how that differs from the
    expectation (`problems` empty: passed)."""

    playbook: str
    event: str
    triggered: bool
    plan: tuple[PlannedStep, ...]
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def read_event(path: Path) -> Facts:
    """A golden event file as the facts a trigger tests."""
    try:
        doc = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise PlaybookError(str(path), "", exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise PlaybookError(f"{path}:{line}" if line else str(path), "",
                            f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise PlaybookError(str(path), "", "expected a JSON object (one alert)")
    return event_facts(doc, str(path))


def event_facts(doc: Mapping[str, Any], where: str) -> Facts:
    unknown = sorted(set(doc) - GOLDEN_KEYS)
    if unknown:
        raise PlaybookError(where, unknown[0], f"unknown key (known: "
                            f"{', '.join(sorted(GOLDEN_KEYS))})")
    kind = str(doc.get("kind", "alert"))
    if kind not in TRIGGERS:
        raise PlaybookError(where, "kind", f"{kind!r}: expected one of {', '.join(TRIGGERS)}")
    try:
        severity = _severity(doc.get("severity", 0))
    except ValueError as exc:
        raise PlaybookError(where, "severity", str(exc)) from None
    if not isinstance(severity, int):
        raise PlaybookError(where, "severity", "expected a name or 0-6")
    day: date | None = None
    if doc.get("event_time"):
        try:
            day = datetime.fromisoformat(str(doc["event_time"]).replace("Z", "+00:00")).date()
        except ValueError:
            raise PlaybookError(where, "event_time", "expected an ISO time") from None
    rules = tuple(str(doc[k]) for k in ("rule", "rule_id") if doc.get(k))
    return Facts(kind, f"golden:{where}", severity=severity, rules=rules,
                 sources=(str(doc.get("source", "golden")),),
                 regions=(str(doc["region"]),) if doc.get("region") else (),
                 people=_strings(doc, "subjects", where), title=str(doc.get("title", "")),
                 priority=doc.get("priority"), status=doc.get("status"),
                 team=doc.get("team"), sla=doc.get("sla"), watchlist=doc.get("watchlist"),
                 on_watchlists=frozenset(_strings(doc, "on_watchlists", where)),
                 alert_id=0 if kind == "alert" else None, day=day)


def _strings(doc: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlaybookError(where, key, "expected a list of strings")
    return tuple(value)


def plan(loaded: Loaded, facts: Facts) -> tuple[bool, tuple[PlannedStep, ...]]:
    """Whether the playbook starts on `facts`, and the steps it would run."""
    if not loaded.playbook.enabled or loaded.playbook.trigger.on != facts.kind:
        return False, ()
    if not compile_playbook(loaded).test(facts):
        return False, ()
    return True, tuple(PlannedStep(s.action, s.label,
                                   s.options.model_dump(mode="json", by_alias=True))
                       for s in loaded.playbook.steps)


def check(loaded: Loaded, facts: Facts, expect_path: Path,
          allow: Sequence[str]) -> GoldenResult:
    """Plan the playbook on `facts` and compare it with the expectation file."""
    expect = _read_expect(expect_path)
    triggered, steps = plan(loaded, facts)
    problems: list[str] = []
    want_triggered = expect.get("triggered", True)
    if want_triggered != triggered:
        problems.append(f"triggered: expected {str(want_triggered).lower()}, got "
                        f"{str(triggered).lower()}")
    wanted = expect.get("actions", [] if not want_triggered else None)
    if wanted is not None and triggered == want_triggered:
        problems.extend(_compare(wanted, steps, str(expect_path)))
    for i, step in enumerate(steps):
        url = step.options.get("url")
        if step.action == "webhook" and not allowed(str(url), allow):
            problems.append(f"actions[{i}] webhook: {url} is not on [playbooks] "
                            "webhook_allow")
    return GoldenResult(loaded.playbook.id, facts.key.removeprefix("golden:"), triggered,
                        steps, tuple(problems))


def _read_expect(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.load(path.read_text("utf-8"), Loader=YamlLoader)
    except OSError as exc:
        raise PlaybookError(str(path), "", exc.strerror or str(exc)) from None
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise PlaybookError(where, "", problem) from None
    if not isinstance(doc, dict) or set(doc) - {"triggered", "actions"}:
        raise PlaybookError(str(path), "", "expected a mapping of triggered and actions")
    if not isinstance(doc.get("triggered", True), bool):
        raise PlaybookError(str(path), "triggered", "expected true or false")
    if "actions" in doc and not isinstance(doc["actions"], list):
        raise PlaybookError(str(path), "actions", "expected a list")
    return doc


def _compare(wanted: list[Any], steps: Sequence[PlannedStep], where: str) -> list[str]:
    problems: list[str] = []
    got = [s.action for s in steps]
    for i, item in enumerate(wanted):
        name, options = _expected(item, where, i)
        if i >= len(steps):
            problems.append(f"actions[{i}]: expected {name}, the playbook has "
                            f"{len(steps)} step(s)")
            continue
        if steps[i].action != name:
            problems.append(f"actions[{i}]: expected {name}, got {steps[i].action}")
            continue
        for key, value in options.items():
            have = steps[i].options.get(key)
            if _normal(key, value) != _normal(key, have):
                problems.append(f"actions[{i}] {name}.{key}: expected {value!r}, got "
                                f"{have!r}")
    if len(wanted) < len(steps):
        problems.append(f"actions: expected {len(wanted)}, got {len(steps)} "
                        f"({', '.join(got[len(wanted):])} more)")
    return problems


def _expected(item: Any, where: str, i: int) -> tuple[str, dict[str, Any]]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, dict) and len(item) == 1:
        name, options = next(iter(item.items()))
        if isinstance(options, dict):
            return str(name), options
    raise PlaybookError(where, f"actions[{i}]", "expected an action name, or one action "
                        "name with a mapping of options")


def _normal(key: str, value: Any) -> Any:
    try:
        if key == "severity" and value is not None:
            return _severity(value)
        if key in DURATIONS and value is not None:
            found = parse_duration(value)
            return found.total_seconds() if hasattr(found, "total_seconds") else found
    except ValueError:
        return value
    if isinstance(value, list):
        return tuple(value)
    return value


__all__ = ["GoldenResult", "PlannedStep", "check", "event_facts", "plan", "read_event"]
