"""Values of Windows events as the ``evtx`` package's JSON gives them: the text of an
element, numbers, times, and the hash part of an event's id. No Arrow here (worker
processes import this)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def event_digest(computer: str | None, channel: str | None, record_id: int | None,
                 time: datetime | None, fields: Mapping[str, str | None]) -> str:
    """The hash part of a Windows event's id (`watchkeeper.sources.evtx.event_id`)."""
    h = hashlib.blake2b(digest_size=16)
    parts = [computer or "", channel or "", "" if record_id is None else str(record_id),
             "" if time is None else time.isoformat()]
    if record_id is None:
        parts += [f"{k}={v}" for k, v in sorted(fields.items())]
    h.update("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def flatten_event_fields(body: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(field, text) pairs of an event's EventData and UserData, nested elements flattened."""
    for section in ("EventData", "UserData"):
        value = body.get(section)
        if isinstance(value, dict):
            yield from _flatten(value, section)
        elif value is not None:
            yield section, text_of(value)


def _flatten(node: Mapping[str, Any], parent: str) -> Iterator[tuple[str, str | None]]:
    for name, value in node.items():
        if name == "#attributes":
            continue
        if name == "#text":
            yield parent, text_of(value)
        elif isinstance(value, dict) and "#text" not in value:
            yield from _flatten(value, name)
        elif value is None:
            # a present element without a value: the evtx package's JSON says null (a
            # NullType substitution), its XML and XML-based exports an empty element; both
            # are the empty string, so ``|exists`` holds and EVTX and JSON input agree
            yield name, ""
        else:
            yield name, text_of(value)


def text_of(value: Any) -> str | None:
    if value is None or value.__class__ is str:  # most values: checked first
        return value  # type: ignore[no-any-return,unused-ignore]
    if isinstance(value, dict):
        return text_of(value["#text"]) if "#text" in value else json.dumps(value)
    if isinstance(value, list):
        return "\n".join("" if v is None else str(text_of(v)) for v in value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def int_of(value: Any) -> int | None:
    text = text_of(value)
    return int(text) if text not in (None, "") else None


def micros(time: datetime) -> int:
    """Microseconds since 1970 UTC (a time without an offset is taken as UTC): Arrow
    builds a timestamp column from these without a conversion per value."""
    return (time - (_EPOCH if time.tzinfo is not None else _NAIVE_EPOCH)) // _MICROSECOND


def attributes(value: Any) -> Mapping[str, Any]:
    if isinstance(value, dict):
        attributes = value.get("#attributes")
        if isinstance(attributes, dict):
            return attributes
    return {}


def time_created(system: Mapping[str, Any]) -> datetime | None:
    stamp = attributes(system.get("TimeCreated")).get("SystemTime")
    if not isinstance(stamp, str):
        return None
    return datetime.fromisoformat(stamp.replace(" UTC", "").replace("Z", "+00:00"))


__all__ = ["attributes", "event_digest", "flatten_event_fields", "int_of", "micros", "text_of",
           "time_created"]
