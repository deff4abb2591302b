"""Grouping rules: alerts with equal key fields within a time window share a group.

A rule is data (`GroupingRule`: a name, key fields, a window), applied at intake in the
order the rules were made; the first rule whose key fields the alert has places it. An
alert joins the rule's group for its key when its event time lies within the window of
the group's span (``first_at - window <= t <= last_at + window``), which then widens to
take it in; otherwise it opens a new group. An alert joining a group takes the open case
(not resolved or closed) that the group's alerts are in, if any.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.cases.model import AlertIn
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.store.models import Alert, AlertGroup, Case, GroupingRule

CLOSED_CASES = ("resolved", "closed")
MAX_WINDOW = 366 * 86400
KEY_LENGTH = 1000   # AlertGroup.key; a longer key is stored as its SHA-256
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)([smhdw])")


def _joined(values: Sequence[str]) -> str | None:
    return ",".join(sorted(set(values))) or None


# key field -> its value in an alert (None: the alert has none, the rule does not apply)
KEY_FIELDS: dict[str, Callable[[AlertIn], str | None]] = {
    "rule": lambda a: a.rule or a.rule_id,
    "rule_id": lambda a: a.rule_id,
    "subject": lambda a: _joined(a.subjects),
    "host": lambda a: _joined(a.hosts),
    "source": lambda a: a.source,
    "severity": lambda a: a.severity.name.lower(),
    "title": lambda a: a.title,
    "region": lambda a: a.region,
    "class_uid": lambda a: str(a.class_uid),
}


@dataclass(frozen=True)
class GroupingRuleInfo:
    """A grouping rule, with how many groups it opened and alerts it placed."""

    id: int
    name: str
    keys: tuple[str, ...]
    window_seconds: int
    window: str
    enabled: bool
    created_at: datetime
    groups: int
    alerts: int


def parse_window(text: str, option: str = "--window") -> int:
    """Seconds of a duration such as ``90s``, ``30m``, ``24h``, ``7d``, ``2w`` or
    ``1d12h`` (from 1 second to 366 days)."""
    value = text.strip().lower()
    parts = _DURATION.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ConfigError(f"{option} {text!r}: not a duration (expected e.g. 30m, 24h, 7d)")
    seconds = sum(int(n) * UNITS[u] for n, u in parts)
    if not 1 <= seconds <= MAX_WINDOW:
        raise ConfigError(f"{option} {text!r}: expected 1 second to 366 days")
    return seconds


def format_window(seconds: int) -> str:
    """``86400`` → ``1d``, ``5400`` → ``1h30m``: what `parse_window` reads back."""
    out = []
    for unit in ("w", "d", "h", "m", "s"):
        n, seconds = divmod(seconds, UNITS[unit])
        if n:
            out.append(f"{n}{unit}")
    return "".join(out) or "0s"


def group_key(keys: Sequence[str], alert: AlertIn) -> str | None:
    """The alert's key under a rule's key fields (None when it lacks one of them)."""
    parts = []
    for name in keys:
        value = KEY_FIELDS[name](alert)
        if value is None or value == "":
            return None
        parts.append(f"{name}={value}")
    key = "|".join(parts)
    return key if len(key) <= KEY_LENGTH else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


# built once: intake asks for the rules with every batch
_ENABLED = (select(GroupingRule.id, GroupingRule.key_fields, GroupingRule.window_seconds)
            .where(GroupingRule.enabled).order_by(GroupingRule.id).with_for_update())


@dataclass(frozen=True)
class _Rule:
    id: int
    key_fields: list[str]
    window_seconds: int


@dataclass(frozen=True)
class Placement:
    """Where a new alert goes: its group (None: no rule applies), the open case of that
    group's alerts, and whether the group held alerts already."""

    group_id: int | None = None
    case_id: int | None = None
    joined: bool = False


class Grouper:
    """The enabled grouping rules of one intake transaction. On PostgreSQL their rows are
    locked, so two concurrent intakes place alerts one after the other and never open
    two groups for one key."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rules = [_Rule(r.id, r.key_fields, r.window_seconds)
                      for r in session.connection().execute(_ENABLED)]

    def place(self, alert: AlertIn) -> Placement:
        """The group a new alert (not yet inserted) joins or opens, and its case."""
        for rule in self.rules:
            key = group_key(rule.key_fields, alert)
            if key is not None:
                return self._join(rule, key, alert.event_time)
        return Placement()

    def _join(self, rule: _Rule, key: str, when: datetime) -> Placement:
        window = timedelta(seconds=rule.window_seconds)
        group = self.session.scalars(
            select(AlertGroup).where(AlertGroup.grouping_rule_id == rule.id,
                                     AlertGroup.key == key,
                                     AlertGroup.last_at >= when - window,
                                     AlertGroup.first_at <= when + window)
            .order_by(AlertGroup.last_at.desc(), AlertGroup.id.desc()).limit(1)).first()
        if group is None:
            group = AlertGroup(grouping_rule_id=rule.id, key=key, first_at=when,
                               last_at=when, alert_count=1)
            self.session.add(group)
            self.session.flush()
            return Placement(group.id)
        group.first_at = min(group.first_at, when)
        group.last_at = max(group.last_at, when)
        group.alert_count += 1
        case_id = self.session.scalars(
            select(Alert.case_id).join(Case, Case.id == Alert.case_id)
            .where(Alert.group_id == group.id, Case.status.not_in(CLOSED_CASES))
            .order_by(Alert.case_id.desc()).limit(1)).first()
        return Placement(group.id, case_id, joined=True)


def add_rule(session: Session, name: str, keys: Sequence[str],
             window_seconds: int) -> GroupingRuleInfo:
    """Make a grouping rule; a taken name, an unknown key field or no key is an error."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ConfigError(f"grouping rule name {name!r}: expected 1 to 200 characters")
    unknown = [k for k in keys if k not in KEY_FIELDS]
    if unknown or not keys:
        raise ConfigError(f"--key {', '.join(unknown) or '(none)'}: expected one or more "
                          f"of {', '.join(KEY_FIELDS)}")
    if not 1 <= window_seconds <= MAX_WINDOW:
        raise ConfigError(f"--window {window_seconds}s: expected 1 second to 366 days")
    if session.scalar(select(GroupingRule.id).where(GroupingRule.name == name)) is not None:
        raise ConfigError(f"grouping rule {name!r} exists already (remove it first)")
    rule = GroupingRule(name=name, key_fields=list(dict.fromkeys(keys)),
                        window_seconds=window_seconds, enabled=True)
    session.add(rule)
    session.flush()
    return _info(session, rule)


def list_rules(session: Session) -> tuple[GroupingRuleInfo, ...]:
    rules = session.scalars(select(GroupingRule).order_by(GroupingRule.id))
    return tuple(_info(session, r) for r in rules)


def remove_rule(session: Session, name: str) -> GroupingRuleInfo:
    """Delete a rule; its groups and their alerts stay (no longer extended)."""
    rule = session.scalar(select(GroupingRule).where(GroupingRule.name == name))
    if rule is None:
        raise NotFoundError(f"grouping rule {name!r}: no such rule (see `alerts group-rule "
                            "list`)")
    info = _info(session, rule)
    session.delete(rule)
    session.flush()
    return info


def _info(session: Session, rule: GroupingRule) -> GroupingRuleInfo:
    groups, alerts = session.execute(
        select(func.count(AlertGroup.id), func.coalesce(func.sum(AlertGroup.alert_count), 0))
        .where(AlertGroup.grouping_rule_id == rule.id)).one()
    return GroupingRuleInfo(rule.id, rule.name, tuple(rule.key_fields), rule.window_seconds,
                            format_window(rule.window_seconds), rule.enabled,
                            rule.created_at, int(groups), int(alerts))
