"""Any JSON alert through a YAML mapping, in the language of ``ingest mapped``.

The pieces are the source mapping's own (`watchkeeper.sources.mapped`): field paths
(``a.b[0].c``), `TimeSpec` for times, `FieldSpec` for values and lists (``split``),
`ActivitySpec` for a value translated through a ``map`` with a ``default`` (or a
constant), and `load_spec` for reading and error messages. See ``docs/cases.md``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from watchkeeper.cases.intake.node import Node, observables, people, status_word, unique
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.sources.mapped import ActivitySpec, FieldSpec, TimeSpec, load_spec
from watchkeeper.sources.rows import FieldError, coerce, lookup, parse_time, split_path
from watchkeeper.store.types import unstorable

Target = Literal["rule", "rule_id", "description", "subjects", "hosts", "region"]
_LISTS = frozenset({"subjects", "hosts"})
_TEXT = pa.string()
_LIST = pa.list_(pa.string())


class TextSpec(BaseModel):
    """A text from a field path, or a constant: ``title: alert.name`` or
    ``title: {constant: "DLP alert"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    field: str | None = None
    constant: str | None = None

    @model_validator(mode="after")
    def _one(self) -> TextSpec:
        if (self.field is None) == (self.constant is None):
            raise ValueError("give exactly one of 'field' and 'constant'")
        if self.field is not None:
            split_path(self.field)
        return self


class AlertMapping(BaseModel):
    """A validated alert mapping (see ``docs/cases.md``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # the alerts' `source`
    class_uid: Literal[2004, 2006] = 2004
    id: str                                         # path of the source's alert id
    title: TextSpec
    time: TimeSpec
    first_seen: TimeSpec | None = None
    last_seen: TimeSpec | None = None
    severity: ActivitySpec = ActivitySpec(constant="unknown")
    status: ActivitySpec = ActivitySpec(constant="new")
    fields: dict[Target, str | FieldSpec] = Field(default_factory=dict)
    observables: dict[str, str | FieldSpec] = Field(default_factory=dict)
    constants: dict[Target, str | list[str]] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_path(cls, value: str) -> str:
        split_path(value)
        return value

    @field_validator("title", mode="before")
    @classmethod
    def _title_path(cls, value: object) -> object:
        return {"field": value} if isinstance(value, str) else value

    @field_validator("severity", "status", mode="before")
    @classmethod
    def _constant(cls, value: object) -> object:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return {"constant": str(value)}
        return value

    @field_validator("observables")
    @classmethod
    def _kinds(cls, value: dict[str, str | FieldSpec]) -> dict[str, str | FieldSpec]:
        for kind in value:
            if not kind.replace("_", "").isalpha() or kind != kind.lower():
                raise ValueError(f"observable type {kind!r}: use lower case and _")
        return value


def load_alert_mapping(path: Path | str) -> AlertMapping:
    """Read and validate an alert mapping; problems raise `MappingError` naming the file
    and the field at fault."""
    return load_spec(path, AlertMapping)


def parse(node: Node, raw: str, mapping: AlertMapping) -> AlertIn:
    node.obj()
    values = {**mapping.constants, **{t: _value(node, t, s) for t, s in mapping.fields.items()}}
    return AlertIn(
        source=mapping.name, source_ref=_field(node, mapping.id).text(required=True) or "",
        title=_title(node, mapping.title), severity=_severity(node, mapping.severity),
        event_time=_event_time(node, mapping.time),
        raw=raw, class_uid=mapping.class_uid,
        status=status_word(_verb(node, mapping.status)),
        rule=_one(values.get("rule")), rule_id=_one(values.get("rule_id")),
        description=_one(values.get("description")), region=_one(values.get("region")),
        subjects=people(_many(values.get("subjects"))),
        hosts=unique(_many(values.get("hosts"))),
        observables=observables(
            (kind, v) for kind, spec in mapping.observables.items()
            for v in _many(_value(node, "hosts", spec))),
        first_seen=_time(node, mapping.first_seen), last_seen=_time(node, mapping.last_seen))


def _field(node: Node, path: str) -> Node:
    return Node(lookup(node.value, split_path(path)), f"{node.path}.{path}" if node.path
                else path)


def _value(node: Node, target: str, spec: str | FieldSpec) -> str | list[str] | None:
    spec = FieldSpec(field=spec) if isinstance(spec, str) else spec
    field = _field(node, spec.field)
    try:
        value = coerce(field.value, _LIST if target in _LISTS else _TEXT, spec.split)
    except ValueError as exc:
        raise field.fail(str(exc)) from None
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for text in texts:
        problem = unstorable(text) if isinstance(text, str) else None
        if problem is not None:
            raise field.fail(problem)
    return value if isinstance(value, str | list) else None


def _one(value: str | list[str] | None) -> str | None:
    return ", ".join(value) if isinstance(value, list) else value


def _many(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _title(node: Node, spec: TextSpec) -> str:
    if spec.constant is not None:
        return spec.constant
    return _field(node, spec.field or "").text(required=True) or ""


def _verb(node: Node, spec: ActivitySpec) -> str:
    field = _field(node, spec.field) if spec.field else node
    try:
        return spec.verb(field.value if spec.field else None)
    except FieldError:
        raise field.fail("missing") from None


def _severity(node: Node, spec: ActivitySpec) -> Severity:
    word = _verb(node, spec)
    if word.isdigit() and int(word) <= 6:
        return Severity(int(word))
    severity = Severity.from_name(word)
    if severity is Severity.UNKNOWN and word != "unknown":
        where = _field(node, spec.field) if spec.field else node
        raise where.fail(f"unknown severity {word!r} (map it to informational, low, "
                         "medium, high, critical or fatal)")
    return severity


def _event_time(node: Node, spec: TimeSpec) -> datetime:
    moment = _time(node, spec)
    if moment is None:
        raise _field(node, spec.field).fail("missing")
    return moment


def _time(node: Node, spec: TimeSpec | None) -> datetime | None:
    if spec is None:
        return None
    field = _field(node, spec.field)
    if field.missing:
        return None
    try:
        return parse_time(field.value, spec.format, spec.timezone or "UTC")
    except ValueError as exc:
        raise field.fail(str(exc)) from None
