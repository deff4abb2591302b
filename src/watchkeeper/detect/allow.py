"""Exceptions as data: a rule's ``allow:`` list and a workspace's ``exceptions.yml``.

A match that satisfies every condition of one entry's ``where`` is suppressed (counted,
not stored); see :func:`watchkeeper.detect.findings.suppress`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.errors import RuleError, yaml_location

#: The workspace file of site-specific exceptions (next to the ``lake`` folder).
EXCEPTIONS_FILE = "exceptions.yml"
ALLOW_OPS = ("eq", "gt", "gte", "lt", "lte", "neq")


@dataclass(frozen=True)
class Condition:
    """One ``where`` test: ``key`` (``user``, ``host``, a column of the match or
    ``person.<column>``) compared with ``op`` to any of ``values``."""

    key: str
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Allow:
    """An exception: matches of ``rules`` satisfying every condition are suppressed.

    ``rules`` is empty for a rule's own ``allow:`` list (it applies to that rule) and lists
    rule ids (or ``*``) in a workspace exceptions file. ``until`` (inclusive) ends it.
    """

    reason: str
    where: tuple[Condition, ...]
    rules: tuple[str, ...] = ()
    until: date | None = None
    source: str | None = None

    def applies_to(self, rule_id: str) -> bool:
        return not self.rules or "*" in self.rules or rule_id in self.rules


def parse_allow(raw: Any, path: Path | str | None, rule_id: str | None,
                workspace: bool = False) -> tuple[Allow, ...]:
    """Exception entries (a rule's ``allow:`` or a workspace file's ``exceptions:``).

    Each entry: ``reason`` (required), ``where`` (a mapping of ``key`` or ``key|op`` to a
    value or list of values; ``op`` is one of :data:`ALLOW_OPS`), optional ``until``
    (a date); in a workspace file also ``rules`` (rule ids or ``*``).
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError("'allow' must be a list of entries", path=path, rule_id=rule_id)
    out: list[Allow] = []
    for i, entry in enumerate(raw):
        where = f"{'exceptions' if workspace else 'allow'}[{i}]"
        if not isinstance(entry, dict):
            raise RuleError(f"{where}: must be a mapping", path=path, rule_id=rule_id)
        unknown = set(entry) - {"reason", "where", "until", *(("rules",) if workspace else ())}
        if unknown:
            raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}", path=path,
                            rule_id=rule_id)
        reason, tests = entry.get("reason"), entry.get("where")
        if not isinstance(reason, str) or len(reason.strip()) < 3:
            raise RuleError(f"{where}: needs a 'reason'", path=path, rule_id=rule_id)
        if not isinstance(tests, dict) or not tests:
            raise RuleError(f"{where}: 'where' must be a non-empty mapping", path=path,
                            rule_id=rule_id)
        conditions = []
        for key, value in tests.items():
            name, _, op = str(key).partition("|")
            op = op or "eq"
            values = tuple(value) if isinstance(value, list) else (value,)
            if op not in ALLOW_OPS or not name:
                raise RuleError(f"{where}: bad key {key!r} (operators: {', '.join(ALLOW_OPS)})",
                                path=path, rule_id=rule_id)
            if op in ("gt", "gte", "lt", "lte") and not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise RuleError(f"{where}: {key!r} compares numbers", path=path,
                                rule_id=rule_id)
            conditions.append(Condition(name, op, values))
        until = entry.get("until")
        if until is not None and not isinstance(until, date):
            try:
                until = date.fromisoformat(str(until))
            except ValueError:
                raise RuleError(f"{where}: 'until' must be a date (YYYY-MM-DD)", path=path,
                                rule_id=rule_id) from None
        rules: tuple[str, ...] = ()
        if workspace:
            names = entry.get("rules")
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, list) or not names:
                raise RuleError(f"{where}: needs 'rules' (rule ids or '*')", path=path,
                                rule_id=rule_id)
            rules = tuple(str(n) for n in names)
        out.append(Allow(reason.strip(), tuple(conditions), rules, until,
                         str(path) if path is not None else None))
    return tuple(out)


def load_exceptions(path: Path | str) -> tuple[Allow, ...]:
    """A workspace's exceptions file (nothing when it does not exist)::

        exceptions:
          - rules: [insider.access.logon_other_users_machine]
            reason: desk-side support contract, ticket CHG-1234
            where: {user: [U123, U456]}
            until: 2025-12-31
    """
    path = Path(path)
    if not path.exists():
        return ()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise RuleError(problem, path=where) from None
    except OSError as exc:
        raise RuleError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if doc is None:
        return ()
    if not isinstance(doc, dict) or set(doc) - {"exceptions"}:
        raise RuleError("an exceptions file holds one key, 'exceptions' (a list)", path=path)
    return parse_allow(doc.get("exceptions") or [], path, None, workspace=True)


__all__ = ["ALLOW_OPS", "EXCEPTIONS_FILE", "Allow", "Condition", "load_exceptions",
           "parse_allow"]
