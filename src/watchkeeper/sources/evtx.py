"""Windows event logs (EVTX, or their JSON export) into the raw Windows-event table.

:func:`read_evtx` parses a file with the Rust-backed ``evtx`` package and yields
:class:`EvtxBatch` objects of at most ``batch_size`` rows, so memory stays bounded. A file
that cannot be opened raises :class:`~watchkeeper.errors.InputError`; a record that cannot
be parsed becomes a :class:`Reject` (file, record number, reason, raw text) and reading
goes on. :func:`read_event_json` reads the JSON form of the same events (one ``{"Event":
…}`` object, a list of them, or one per line), as found next to the SigmaHQ regression
samples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from evtx import PyEvtxParser

from watchkeeper.errors import InputError
from watchkeeper.schema.windows import SOURCE, data_column_name, windows_schema

DEFAULT_BATCH_SIZE = 50_000
_SYSTEM_EXTRAS = ("Level", "Task", "Opcode", "Keywords", "Version")
_USER_FIELDS = ("TargetUserName", "SubjectUserName", "User")
_MAX_CONSECUTIVE_ERRORS = 1000


@dataclass(frozen=True)
class Reject:
    """A record that could not be turned into a row."""

    path: str
    record: int | None
    reason: str
    raw: str


@dataclass(frozen=True)
class EvtxBatch:
    """Rows of the raw Windows-event table plus the records rejected while reading them."""

    table: pa.Table
    rejects: tuple[Reject, ...]


def file_key(path: Path) -> str:
    """Stable short key of a file: SHA-1 of its first 64 KiB (header and first chunk)."""
    with path.open("rb") as handle:
        return hashlib.sha1(handle.read(65536)).hexdigest()[:16]


def read_evtx(path: Path | str, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[EvtxBatch]:
    """Yield the records of one EVTX file as batches of the raw Windows-event table."""
    path = Path(path)
    try:
        parser = PyEvtxParser(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(path, f"not a readable EVTX file: {exc}") from exc
    builder = _BatchBuilder(str(path), file_key(path))
    for item in _records(parser, str(path)):
        if isinstance(item, Reject):
            builder.rejects.append(item)
        else:
            builder.add_json(item)
        if builder.size >= batch_size:
            yield builder.flush()
    yield builder.flush()


def read_event_json(path: Path | str, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[EvtxBatch]:
    """Yield events exported as JSON (``{"Event": {"System": …, "EventData": …}}``)."""
    path = Path(path)
    builder = _BatchBuilder(str(path), file_key(path))
    for number, event in enumerate(_json_events(path), start=1):
        builder.add_event(event, number)
        if builder.size >= batch_size:
            yield builder.flush()
    yield builder.flush()


def _records(parser: Any, path: str) -> Iterator[Mapping[str, Any] | Reject]:
    """The parser's records; a record that fails to parse becomes a Reject."""
    iterator = iter(parser.records_json())
    errors = 0
    while errors < _MAX_CONSECUTIVE_ERRORS:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:
            errors += 1
            yield Reject(path, None, f"unreadable record: {exc}", "")
            continue
        errors = 0
        yield record


def _json_events(path: Path) -> Iterator[Mapping[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read JSON events: {exc}") from exc
    items: list[Any] = []
    decoder = json.JSONDecoder()
    position = text.find("{") if not text.lstrip().startswith("[") else text.find("[")
    while 0 <= position < len(text):
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"invalid JSON events: {exc}") from exc
        items.extend(item if isinstance(item, list) else [item])
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
    for item in items:
        if not isinstance(item, dict):
            raise InputError(path, "expected JSON objects with an 'Event' key")
        yield item


class _BatchBuilder:
    """Accumulates flattened rows for one file and turns them into Arrow tables."""

    def __init__(self, path: str, key: str) -> None:
        self.path = path
        self.key = key
        self.rows: list[dict[str, Any]] = []
        self.rejects: list[Reject] = []
        self.columns: dict[str, str] = {}  # case-folded field name -> column spelling

    @property
    def size(self) -> int:
        return len(self.rows)

    def add_json(self, record: Mapping[str, Any]) -> None:
        number = record.get("event_record_id")
        raw = str(record.get("data", ""))
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            self.rejects.append(Reject(self.path, number, f"invalid record JSON: {exc}", raw))
            return
        self.add_event(event, number, raw)

    def add_event(self, event: Mapping[str, Any], number: int | None, raw: str = "") -> None:
        try:
            self.rows.append(self._row(event))
        except (KeyError, TypeError, ValueError) as exc:
            text = raw or json.dumps(event, default=str)[:10000]
            self.rejects.append(Reject(self.path, number, f"malformed event: {exc!r}", text))

    def flush(self) -> EvtxBatch:
        names = sorted(set(self.columns.values()))
        table = pa.Table.from_pylist(self.rows, schema=windows_schema(names))
        batch = EvtxBatch(table, tuple(self.rejects))
        self.rows, self.rejects = [], []
        return batch

    def _row(self, event: Mapping[str, Any]) -> dict[str, Any]:
        body = event.get("Event", event)
        system = body["System"]
        fields = dict(flatten_event_fields(body))
        for name in _SYSTEM_EXTRAS:
            if name in system and name not in fields:
                fields[name] = _text(system[name])
        row = _core_values(system, fields, self.key)
        for name, value in fields.items():
            row[self._column(name)] = value
        return row

    def _column(self, field: str) -> str:
        # Defender writes "Threat Name"; Sigma rules (and other providers) say ThreatName
        name = field.replace(" ", "")
        column = self.columns.get(name.casefold())
        if column is None:
            column = data_column_name(name)
            self.columns[name.casefold()] = column
        return column


def _core_values(system: Mapping[str, Any], fields: Mapping[str, str | None],
                 key: str) -> dict[str, Any]:
    record_id = _int(system.get("EventRecordID"))
    computer = _text(system.get("Computer"))
    user = next((fields[f] for f in _USER_FIELDS if fields.get(f)), None)
    return {
        "event_id": f"{SOURCE}:{key}:{record_id}",
        "time": _time(system),
        "source": SOURCE,
        "channel": _text(system.get("Channel")),
        "provider": _text(_attributes(system.get("Provider")).get("Name")),
        "event_code": _int(system.get("EventID")),
        "computer": computer,
        "record_id": record_id,
        "user": user,
        "host": computer,
    }


def flatten_event_fields(body: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(field, text) pairs of an event's EventData and UserData, nested elements flattened."""
    for section in ("EventData", "UserData"):
        value = body.get(section)
        if isinstance(value, dict):
            yield from _flatten(value, section)
        elif value is not None:
            yield section, _text(value)


def _flatten(node: Mapping[str, Any], parent: str) -> Iterator[tuple[str, str | None]]:
    for name, value in node.items():
        if name == "#attributes":
            continue
        if name == "#text":
            yield parent, _text(value)
        elif isinstance(value, dict) and "#text" not in value:
            yield from _flatten(value, name)
        elif value is None:
            # a present element without a value: the evtx package's JSON says null (a
            # NullType substitution), its XML and XML-based exports an empty element; both
            # are the empty string, so ``|exists`` holds and EVTX and JSON input agree
            yield name, ""
        else:
            yield name, _text(value)


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value["#text"]) if "#text" in value else json.dumps(value)
    if isinstance(value, list):
        return "\n".join("" if v is None else str(_text(v)) for v in value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text not in (None, "") else None


def _attributes(value: Any) -> Mapping[str, Any]:
    if isinstance(value, dict):
        attributes = value.get("#attributes")
        if isinstance(attributes, dict):
            return attributes
    return {}


def _time(system: Mapping[str, Any]) -> datetime | None:
    stamp = _attributes(system.get("TimeCreated")).get("SystemTime")
    if not isinstance(stamp, str):
        return None
    return datetime.fromisoformat(stamp.replace(" UTC", "").replace("Z", "+00:00"))


def read_many(paths: Iterable[Path | str], batch_size: int = DEFAULT_BATCH_SIZE
              ) -> Iterator[EvtxBatch]:
    """Batches of several files in turn (EVTX by default, ``.json`` exports by suffix)."""
    for path in paths:
        reader = read_event_json if str(path).endswith(".json") else read_evtx
        yield from reader(path, batch_size)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "EvtxBatch",
    "Reject",
    "file_key",
    "flatten_event_fields",
    "read_event_json",
    "read_evtx",
    "read_many",
]
