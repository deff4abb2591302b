"""Reading a parsed JSON payload safely: every value knows its JSON path, so any shape
problem becomes an `IntakeError` naming the field (``alerts[3].severity_id``).

Also the normalizations every format shares: people ids, status words, observables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from watchkeeper.cases.model import Observable, Severity
from watchkeeper.errors import IntakeError
from watchkeeper.sources.rows import json_type, parse_time
from watchkeeper.store.types import unstorable

STATUSES = ("new", "in_progress", "suppressed", "resolved", "archived", "deleted", "other",
            "unknown")
_STATUS_WORDS = {
    "new": "new", "open": "new", "unassigned": "new", "triggered": "new",
    "in_progress": "in_progress", "active": "in_progress", "acknowledged": "in_progress",
    "assigned": "in_progress", "investigating": "in_progress", "under_review": "in_progress",
    "suppressed": "suppressed", "false_positive": "suppressed", "benign": "suppressed",
    "dismissed": "suppressed", "ignored": "suppressed",
    "resolved": "resolved", "closed": "resolved", "remediated": "resolved",
    "fixed": "resolved", "done": "resolved",
    "archived": "archived", "deleted": "deleted", "other": "other", "unknown": "unknown",
}
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


class Node:
    """A value inside a payload and its JSON path; reading never raises anything but
    `IntakeError`. The path is built when asked for (only an error needs it): a node
    keeps its parent and its step, a key or an array index."""

    __slots__ = ("_parent", "_step", "value")

    def __init__(self, value: object, path: str | int = "",
                 parent: Node | None = None) -> None:
        self.value = value
        self._step = path      # the whole path of a root; a key or an index below one
        self._parent = parent

    def __repr__(self) -> str:
        return f"Node({self.value!r}, {self.path!r})"

    @property
    def path(self) -> str:
        """``alerts[3].finding_info.uid``: where the value sits in the payload."""
        step = self._step
        if self._parent is None:
            return str(step)
        base = self._parent.path
        if isinstance(step, int):
            return f"{base}[{step}]"
        return f"{base}.{step}" if base else step

    def at(self, *keys: str) -> Node:
        """The value under nested keys; missing steps (or a non-object) give None."""
        node = self
        for key in keys:
            value = node.value
            node = Node(value.get(key) if isinstance(value, dict) else None, key, node)
        return node

    def flat(self, dotted: str) -> Node:
        """A dotted field stored flat (``{"kibana.alert.uuid": …}``, as Elasticsearch
        keeps it) or nested (``{"kibana": {"alert": {"uuid": …}}}``)."""
        if isinstance(self.value, dict) and dotted in self.value:
            return Node(self.value[dotted], dotted, self)
        return self.at(*dotted.split("."))

    def fail(self, reason: str) -> IntakeError:
        return IntakeError(self.path or "(payload)", reason)

    @property
    def missing(self) -> bool:
        return self.value is None or self.value == ""

    def obj(self) -> Node:
        """This node, checked to be an object (or absent)."""
        if self.value is not None and not isinstance(self.value, dict):
            raise self.fail(f"expected an object, got {json_type(self.value)}")
        return self

    def items(self) -> list[Node]:
        """Elements of an array (absent: none); a single object counts as one element."""
        if self.value is None:
            return []
        if isinstance(self.value, dict):
            return [self]
        if not isinstance(self.value, list):
            raise self.fail(f"expected an array, got {json_type(self.value)}")
        return [Node(v, i, self) for i, v in enumerate(self.value)]

    def values(self) -> list[Node]:
        """Elements of an array, or a lone value as one element (Elasticsearch keeps a
        one-value keyword list as a plain string)."""
        if isinstance(self.value, list):
            return self.items()
        return [] if self.value is None else [self]

    def text(self, *, required: bool = False) -> str | None:
        """A string (numbers are written as text), stripped; blank is absent; text the
        stores cannot hold (a NUL character, a lone surrogate) is refused."""
        value = self.value
        if isinstance(value, str):
            problem = unstorable(value)
            if problem is not None:
                raise self.fail(problem)
            value = value.strip() or None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        elif value is not None:
            raise self.fail(f"expected a string, got {json_type(value)}")
        if value is None and required:
            raise self.fail("missing")
        return value

    def integer(self, allowed: Iterable[int], what: str) -> int | None:
        """An integer among `allowed` (``what`` describes them for the message)."""
        value = self.value
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise self.fail(f"must be an integer {what}")
        return value

    def time(self, numbers: str = "epoch_ms", *, required: bool = False) -> datetime | None:
        """A UTC time: ISO-8601 text (naive is UTC), or a number read as `numbers`
        (``epoch_ms`` or ``epoch_s``), also when written as text."""
        value = self.value
        if value is None or value == "":
            if required:
                raise self.fail("missing")
            return None
        is_number = (isinstance(value, int | float) and not isinstance(value, bool)) or (
            isinstance(value, str) and _NUMBER.match(value) is not None)
        try:
            return parse_time(value, numbers if is_number else "iso8601", "UTC")
        except ValueError as exc:
            raise self.fail(str(exc)) from None


def node_texts(nodes: Iterable[Node]) -> Iterator[str]:
    for node in nodes:
        value = node.text()
        if value is not None:
            yield value


def person(text: str | None) -> str | None:
    """A user id as the lake knows it: as given, without a ``DOMAIN\\`` prefix or an
    ``@domain`` suffix (``CORP\\KMS9822`` and ``KMS9822@dtaa.com`` are ``KMS9822``)."""
    if text is None:
        return None
    name = text.rsplit("\\", 1)[-1].split("@", 1)[0].strip()
    return name or None


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Distinct non-empty values in order of first appearance."""
    return tuple(dict.fromkeys(v for v in values if v))


def people(values: Iterable[str | None]) -> tuple[str, ...]:
    return unique(person(v) for v in values)


def observables(pairs: Iterable[tuple[str, str | None]]) -> tuple[Observable, ...]:
    return tuple(dict.fromkeys(Observable(t, v) for t, v in pairs if v))


def status_word(text: str | None) -> str:
    """A source's status as an OCSF status word; unknown words are ``other``."""
    if text is None:
        return "new"
    key = "_".join(text.strip().lower().replace("-", " ").split())
    return _STATUS_WORDS.get(key, "other")


def severity_of(node: Node) -> Severity:
    """A severity given by name (``High``, ``informational``) or OCSF number (0-6)."""
    value = node.value
    if value is None or value == "":
        return Severity.UNKNOWN
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Severity(node.integer(range(7), "0-6") or 0)
    text = node.text() or ""
    if text.isdigit():
        return Severity(Node(int(text), node.path).integer(range(7), "0-6") or 0)
    return Severity.from_name(text)


def extras(**values: object) -> tuple[tuple[str, str], ...]:
    """Source-specific extras, sorted by name, without the empty ones."""
    out = []
    for key, value in sorted(values.items()):
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value if v not in (None, ""))
        if value not in (None, ""):
            out.append((key, str(value)))
    return tuple(out)
