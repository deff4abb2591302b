"""The EVTX reader as it was before field rows (commit 83c917b), kept as the oracle
that the faster reader (`watchkeeper.sources.evtx`, `evtx_fields`) must equal: a dict of
fields per record, flattened by generators, stored column by column. Not used by the
product."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
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
    """Rows of the raw Windows-event table plus the records rejected while reading them.

    From :func:`read_files`, rows of many files share a batch: ``files`` then holds each
    row's file number and ``reject_files`` each reject's.
    """

    table: pa.Table
    rejects: tuple[Reject, ...]
    files: pa.Array | None = None
    reject_files: tuple[int, ...] = ()


def read_evtx(path: Path | str, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[EvtxBatch]:
    """Yield the records of one EVTX file as batches of the raw Windows-event table."""
    path = Path(path)
    parser = _parser(path)
    builder = _BatchBuilder(str(path))
    for item in _records(parser, str(path)):
        if isinstance(item, Reject):
            builder.reject(item)
        else:
            builder.add_json(item)
        if builder.size >= batch_size:
            yield builder.flush()
    yield builder.flush()


def read_files(files: Sequence[tuple[int, Path]], batch_size: int = DEFAULT_BATCH_SIZE
               ) -> Iterator[EvtxBatch]:
    """Yield the records of many files (EVTX, or ``.json`` exports by suffix) in shared
    batches, so that a folder of small logs costs what its records cost, not a table per
    file. A file that cannot be opened becomes one reject naming it."""
    builder = _BatchBuilder("")
    for file_no, path in files:
        builder.start(str(path), file_no)
        try:
            if path.suffix.lower() == ".json":
                for number, event in enumerate(_json_events(path), start=1):
                    builder.add_event(event, number)
            else:
                for item in _records(_parser(path), str(path)):
                    if isinstance(item, Reject):
                        builder.reject(item)
                    else:
                        builder.add_json(item)
        except (InputError, OSError) as exc:
            reason = exc.reason if isinstance(exc, InputError) else f"cannot read: {exc}"
            builder.reject(Reject(str(path), None, reason, ""))
        if builder.size >= batch_size:
            yield builder.flush()
    if builder.size or builder.rejects:
        yield builder.flush()


def _parser(path: Path) -> Any:
    try:
        return PyEvtxParser(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(path, f"not a readable EVTX file: {exc}") from exc


def read_event_json(path: Path | str, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[EvtxBatch]:
    """Yield events exported as JSON (``{"Event": {"System": …, "EventData": …}}``)."""
    path = Path(path)
    builder = _BatchBuilder(str(path))
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

    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[str, list[Any]] = {}  # column -> its values, rows in order
        self.rejects: list[Reject] = []
        self.columns: dict[str, str] = {}  # case-folded field name -> column spelling
        self.names: dict[str, str] = {}  # field name as written -> its column
        self.file_no = 0
        self.file_nos: list[int] = []  # per row, when batching many files
        self.reject_files: list[int] = []

    def start(self, path: str, file_no: int) -> None:
        """Rows and rejects from here on belong to another file."""
        self.path, self.file_no = path, file_no

    def reject(self, reject: Reject) -> None:
        self.rejects.append(reject)
        self.reject_files.append(self.file_no)

    @property
    def size(self) -> int:
        return len(self.file_nos)

    def add_json(self, record: Mapping[str, Any]) -> None:
        number = record.get("event_record_id")
        raw = str(record.get("data", ""))
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            self.reject(Reject(self.path, number, f"invalid record JSON: {exc}", raw))
            return
        self.add_event(event, number, raw)

    def add_event(self, event: Mapping[str, Any], number: int | None, raw: str = "") -> None:
        try:
            row = self._row(event)
        except (KeyError, TypeError, ValueError) as exc:
            text = raw or json.dumps(event, default=str)[:10000]
            self.reject(Reject(self.path, number, f"malformed event: {exc!r}", text))
            return
        # stored by column: a batch of many providers has hundreds of mostly empty columns,
        # which Arrow builds far faster from column lists than from row dictionaries
        n = self.size
        for column, value in row.items():
            values = self.values.get(column)
            if values is None:
                values = self.values[column] = [None] * n
            elif len(values) < n:
                values.extend([None] * (n - len(values)))
            values.append(value)
        self.file_nos.append(self.file_no)

    def flush(self) -> EvtxBatch:
        n = self.size
        schema = windows_schema(sorted(set(self.columns.values())))
        arrays = []
        for f in schema:
            values = self.values.get(f.name, [])
            values.extend([None] * (n - len(values)))
            arrays.append(pa.array(values, f.type))
        table = pa.Table.from_arrays(arrays, schema=schema)
        batch = EvtxBatch(table, tuple(self.rejects), pa.array(self.file_nos, pa.int32()),
                          tuple(self.reject_files))
        self.values, self.rejects, self.file_nos, self.reject_files = {}, [], [], []
        return batch

    def _row(self, event: Mapping[str, Any]) -> dict[str, Any]:
        body = event.get("Event", event)
        system = body["System"]
        fields = dict(flatten_event_fields(body))
        for name in _SYSTEM_EXTRAS:
            if name in system and name not in fields:
                fields[name] = _text(system[name])
        row = _core_values(system, fields)
        for name, value in fields.items():
            row[self._column(name)] = value
        return row

    def _column(self, field: str) -> str:
        column = self.names.get(field)
        if column is None:
            # Defender writes "Threat Name"; Sigma rules (and other providers) say ThreatName
            name = field.replace(" ", "")
            column = self.columns.get(name.casefold())
            if column is None:
                column = data_column_name(name)
                self.columns[name.casefold()] = column
            self.names[field] = column
        return column


def _core_values(system: Mapping[str, Any], fields: Mapping[str, str | None]
                 ) -> dict[str, Any]:
    record_id = _int(system.get("EventRecordID"))
    computer = _text(system.get("Computer"))
    channel = _text(system.get("Channel"))
    time = _time(system)
    user = next((fields[f] for f in _USER_FIELDS if fields.get(f)), None)
    return {
        "event_id": event_id(computer, channel, record_id, time, fields),
        "time": time,
        "source": SOURCE,
        "channel": channel,
        "provider": _text(_attributes(system.get("Provider")).get("Name")),
        "event_code": _int(system.get("EventID")),
        "computer": computer,
        "record_id": record_id,
        "user": user,
        "host": computer,
    }


def event_id(computer: str | None, channel: str | None, record_id: int | None,
             time: datetime | None, fields: Mapping[str, str | None]) -> str:
    """The id of a Windows event, from the event itself: computer, channel, record number
    and creation time, which Windows never repeats within a log (a record number is
    reused only after the log is cleared, at another time). So one event read from a copy
    of a log, from a later export of the grown log or from its JSON export is one event,
    and nothing has to hash the file. Without a record number, the fields stand in."""
    h = hashlib.blake2b(digest_size=16)
    parts = [computer or "", channel or "", "" if record_id is None else str(record_id),
             "" if time is None else time.isoformat()]
    if record_id is None:
        parts += [f"{k}={v}" for k, v in sorted(fields.items())]
    h.update("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return f"{SOURCE}:{h.hexdigest()}"


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
    if value is None or value.__class__ is str:  # most values: checked first
        return value  # type: ignore[no-any-return]
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
