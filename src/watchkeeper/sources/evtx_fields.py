"""Windows events into field rows: the per-record half of EVTX reading, without Arrow.

:class:`FieldReader` turns the ``evtx`` package's JSON records (or exported ``{"Event":
…}`` objects) into :class:`FieldRows`: the core values of each row, and its event fields
grouped by shape (the field names an event has: one provider's event id has one shape).
A group holds its values column by column, so the Arrow side (`watchkeeper.sources.evtx`)
builds a batch from a few hundred column lists instead of a dictionary per row. This
module imports neither pyarrow nor the schema package, so a worker process that reads
files starts in a few tens of milliseconds.

Most records take a flat path: their ``EventData`` is one level of text, number or null
values, so which fields a group has (and which System values join them) is worked out
once per shape, and a record costs a tuple of its values. Anything else (``UserData``, nested or
repeated elements, attributes, a missing record number) takes the general path,
:func:`flatten_event_fields`. Both give the same row (tests/sources/test_evtx_paths.py).

A record that repeats one the reader has already given in the same run (:class:`Seen`)
is not turned into a row again, only counted in :attr:`FieldRows.repeats`: its file read
it, and the lake keeps the first row of a key in a run, so it is a duplicate whatever
its fields. A repeat is known by its event id after parsing, or before parsing by its JSON
text, equal to that of a record that gave a row (a copied log).
"""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evtx import PyEvtxParser

from watchkeeper.errors import InputError
from watchkeeper.sources.evtx_values import (
    attributes,
    event_digest,
    flatten_event_fields,
    int_of,
    micros,
    text_of,
    time_created,
)

SYSTEM_EXTRAS = ("Level", "Task", "Opcode", "Keywords", "Version")
USER_FIELDS = ("TargetUserName", "SubjectUserName", "User")
MAX_CONSECUTIVE_ERRORS = 1000
# Event ids a reader remembers to skip repeats (about 110 bytes each), and characters of
# records' JSON text (a record's text is ~1,500; 16 M of them take 16 to 64 MB, by the
# widest character): past these it stops remembering, and the lake's commit still drops
# the repeats it lets through.
SEEN_LIMIT = 500_000
SEEN_TEXT_LIMIT = 16_000_000
_LEAF_TYPES = frozenset({str, int, float, type(None)})
_STR_ONLY = {str}


class Seen:
    """What readers of one run have given: event ids (the digest part), and the JSON
    texts of records that gave a row (the texts themselves: a copy is known by equal
    text, never by a hash). Each stops growing at its limit."""

    def __init__(self, limit: int = SEEN_LIMIT, text_limit: int = SEEN_TEXT_LIMIT) -> None:
        self.limit = limit
        self.text_limit = text_limit
        self.ids: set[str] = set()
        self.texts: set[str] = set()
        self.text_size = 0

    def clear(self) -> None:
        self.ids.clear()
        self.texts.clear()
        self.text_size = 0

    def add_text(self, text: str) -> None:
        if self.text_size + len(text) <= self.text_limit and text not in self.texts:
            self.texts.add(text)
            self.text_size += len(text)


@dataclass(frozen=True)
class Reject:
    """A record that could not be turned into a row."""

    path: str
    record: int | None
    reason: str
    raw: str


@dataclass
class FieldGroup:
    """Rows of one shape: their field names, row positions and values by column."""

    names: tuple[str, ...]
    positions: list[int] = field(default_factory=list)
    columns: list[list[str | None]] = field(default_factory=list)


@dataclass
class FieldRows:
    """Rows read from one or more files: core values by row, fields by shape."""

    digests: list[str] = field(default_factory=list)  # the event id without its prefix
    times: list[int | None] = field(default_factory=list)  # microseconds since 1970, UTC
    channels: list[str | None] = field(default_factory=list)
    providers: list[str | None] = field(default_factory=list)
    codes: list[int | None] = field(default_factory=list)
    computers: list[str | None] = field(default_factory=list)
    record_ids: list[int | None] = field(default_factory=list)
    users: list[str | None] = field(default_factory=list)
    files: list[int] = field(default_factory=list)  # each row's input-file number
    groups: list[FieldGroup] = field(default_factory=list)  # by first row
    rejects: list[Reject] = field(default_factory=list)
    reject_files: list[int] = field(default_factory=list)
    repeats: dict[int, int] = field(default_factory=dict)  # file number -> rows skipped

    def __len__(self) -> int:
        return len(self.digests)


class _Shape:
    """A flat shape's plan: field names, and how to take its values from a record."""

    __slots__ = ("extras", "flat", "group", "names", "rows")

    def __init__(self, keys: tuple[str, ...], system_keys: tuple[str, ...]) -> None:
        present = set(keys)
        extras = tuple(n for n in SYSTEM_EXTRAS if n in system_keys and n not in present)
        self.names = keys + extras
        self.flat = len(keys)  # the first `flat` names are EventData's, the rest System's
        self.extras: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = (
            None if not extras else operator.itemgetter(*extras) if len(extras) > 1
            else _one(extras[0]))
        self.rows: list[tuple[Any, ...]] = []
        self.group = FieldGroup(self.names)

    def columns(self) -> list[list[str | None]]:
        """The rows' values as text, column by column: a null EventData element is the
        empty string (as in `flatten_event_fields`), System values read as `_text`."""
        out: list[list[str | None]] = []
        for n, values in enumerate(zip(*self.rows, strict=True)):
            if set(map(type, values)) == _STR_ONLY:
                out.append(list(values))
            elif n < self.flat:
                out.append(["" if v is None else v if v.__class__ is str else text_of(v)
                            for v in values])
            else:
                out.append([v if v.__class__ is str else text_of(v) for v in values])
        return out


def _one(name: str) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    return lambda system: (system[name],)


class FieldReader:
    """Accumulates field rows of records, file by file; `take` hands them over."""

    def __init__(self, seen: Seen | None = None, *, flat: bool = True) -> None:
        self.path = ""
        self.file_no = 0
        self.seen = seen  # what this run has given so far, when repeats are skipped
        self.flat = flat  # False: every record takes the general path (tests)
        self._rows = FieldRows()
        self._shapes: dict[tuple[tuple[str, ...], tuple[str, ...]], _Shape | None] = {}
        self._general: dict[tuple[str, ...], tuple[FieldGroup, list[tuple[Any, ...]]]] = {}

    def start(self, path: str, file_no: int) -> None:
        """Rows and rejects from here on belong to another file."""
        self.path, self.file_no = path, file_no

    @property
    def size(self) -> int:
        return len(self._rows.digests)

    @property
    def pending(self) -> bool:
        rows = self._rows
        return bool(rows.digests or rows.rejects or rows.repeats)

    def reject(self, reject: Reject) -> None:
        self._rows.rejects.append(reject)
        self._rows.reject_files.append(self.file_no)

    def add_json(self, record: Mapping[str, Any]) -> None:
        """One record of the ``evtx`` package (``data`` holds its JSON text)."""
        number = record.get("event_record_id")
        raw = str(record.get("data", ""))
        seen = self.seen
        if seen is not None and raw in seen.texts:  # a copy's record: counted, not parsed
            repeats = self._rows.repeats
            repeats[self.file_no] = repeats.get(self.file_no, 0) + 1
            return
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            self.reject(Reject(self.path, number, f"invalid record JSON: {exc}", raw))
            return
        rejects = len(self._rows.rejects)
        self.add_event(event, number, raw)
        if seen is not None and len(self._rows.rejects) == rejects:
            seen.add_text(raw)  # a row or a repeat of one: so is the same text again

    def add_event(self, event: Mapping[str, Any], number: int | None, raw: str = "") -> None:
        try:
            if not (self.flat and self._add_flat(event)):
                self._add_general(event)
        except (KeyError, TypeError, ValueError) as exc:
            text = raw or json.dumps(event, default=str)[:10000]
            self.reject(Reject(self.path, number, f"malformed event: {exc!r}", text))

    def _add_flat(self, event: Mapping[str, Any]) -> bool:
        """Add a record whose EventData is one level of leaves; False for any other."""
        body: Any = event.get("Event", event) if event.__class__ is dict else None
        if body.__class__ is not dict or "UserData" in body:
            return False
        system = body["System"]
        data = body.get("EventData")
        if system.__class__ is not dict or data.__class__ is not dict \
                or not _LEAF_TYPES.issuperset(map(type, data.values())):
            return False
        record_id = int_of(system.get("EventRecordID"))
        if record_id is None:  # the id then hashes the fields: the general path
            return False
        keys = tuple(data)
        key = (keys, tuple(system))
        try:
            shape = self._shapes[key]
        except KeyError:  # a new shape: planned once
            shape = self._shapes[key] = None if "#text" in keys or "#attributes" in keys \
                else _Shape(keys, key[1])
        if shape is None:
            return False
        user = next((v if v.__class__ is str else text_of(v) for v in map(data.get, USER_FIELDS)
                     if v is not None and v != ""), None)
        if self._add_core(system, record_id, user, None):
            values = tuple(data.values())
            shape.rows.append(values if shape.extras is None
                              else values + shape.extras(system))
            shape.group.positions.append(self.size - 1)
        return True

    def _add_general(self, event: Mapping[str, Any]) -> None:
        body = event.get("Event", event)
        system = body["System"]
        fields = dict(flatten_event_fields(body))
        for name in SYSTEM_EXTRAS:
            if name in system and name not in fields:
                fields[name] = text_of(system[name])
        user = next((fields[f] for f in USER_FIELDS if fields.get(f)), None)
        if self._add_core(system, int_of(system.get("EventRecordID")), user, fields):
            names = tuple(fields)
            group, rows = self._general.get(names) or self._general.setdefault(
                names, (FieldGroup(names), []))
            group.positions.append(self.size - 1)
            rows.append(tuple(fields.values()))

    def _add_core(self, system: Mapping[str, Any], record_id: int | None, user: str | None,
                  fields: Mapping[str, str | None] | None) -> bool:
        """The row's core values; False (and the row counted as a repeat) when its event
        id was given earlier in the run. `fields` matter only without a record number."""
        computer = text_of(system.get("Computer"))
        channel = text_of(system.get("Channel"))
        time = time_created(system)
        digest = event_digest(computer, channel, record_id, time, fields or {})
        provider = text_of(attributes(system.get("Provider")).get("Name"))
        code = int_of(system.get("EventID"))
        seen = self.seen
        if seen is not None:
            if digest in seen.ids:
                self._repeat()
                return False
            if len(seen.ids) < seen.limit:
                seen.ids.add(digest)
        rows = self._rows
        rows.digests.append(digest)
        rows.times.append(None if time is None else micros(time))
        rows.channels.append(channel)
        rows.providers.append(provider)
        rows.codes.append(code)
        rows.computers.append(computer)
        rows.record_ids.append(record_id)
        rows.users.append(user)
        rows.files.append(self.file_no)
        return True

    def _repeat(self) -> None:
        repeats = self._rows.repeats
        repeats[self.file_no] = repeats.get(self.file_no, 0) + 1

    def take(self) -> FieldRows:
        """The rows added since the last `take` (their groups ordered by first row)."""
        rows, self._rows = self._rows, FieldRows()
        groups = []
        for shape in self._shapes.values():
            if shape is not None and shape.rows:
                shape.group.columns = shape.columns()
                groups.append(shape.group)
                shape.rows, shape.group = [], FieldGroup(shape.names)
        for names, (group, values) in list(self._general.items()):
            if values:
                group.columns = [list(c) for c in zip(*values, strict=True)] if names else []
                groups.append(group)
        self._general.clear()
        rows.groups = sorted(groups, key=lambda g: g.positions[0])
        return rows


def read_records(reader: FieldReader, path: Path | str) -> None:
    """Add every record of one file (EVTX, or a ``.json`` export by suffix); a file that
    cannot be opened raises `InputError`, a record that cannot be parsed is a reject."""
    name = str(path)
    if os.path.splitext(name)[1].lower() == ".json":
        for number, event in enumerate(json_events(Path(name)), start=1):
            reader.add_event(event, number)
        return
    add, reject = reader.add_json, reader.reject
    for item in records(parser(name), name):
        if isinstance(item, Reject):
            reject(item)
        else:
            add(item)


def read_chunk(files: Sequence[tuple[int, Path | str]], reader: FieldReader,
               batch_size: int) -> Iterator[FieldRows]:
    """Field rows of many files, at most `batch_size` rows at a time; an unreadable file
    becomes one reject naming it."""
    for file_no, path in files:
        name = str(path)
        reader.start(name, file_no)
        try:
            read_records(reader, name)
        except (InputError, OSError) as exc:
            reason = exc.reason if isinstance(exc, InputError) else f"cannot read: {exc}"
            reader.reject(Reject(name, None, reason, ""))
        if reader.size >= batch_size:
            yield reader.take()
    if reader.pending:
        yield reader.take()


# -- in a worker process: the run's event ids, one set per process ------------------------

_worker_seen = Seen()


def start_worker() -> None:
    """A worker process's start (`ProcessPoolExecutor(initializer=...)`): a new run."""
    _worker_seen.clear()


def read_in_worker(files: Sequence[tuple[int, str]], batch_size: int) -> list[FieldRows]:
    """A worker's job: the field rows of some files, skipping the repeats of this run
    that this worker has seen (its earlier chunks come earlier in the run)."""
    return list(read_chunk(files, FieldReader(_worker_seen), batch_size))


# -- records ------------------------------------------------------------------------------

def parser(path: Path | str) -> Any:
    try:
        # one thread: files are read side by side by processes, not within one file
        return PyEvtxParser(str(path), number_of_threads=1)
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(path, f"not a readable EVTX file: {exc}") from exc


def records(evtx_parser: Any, path: str) -> Iterator[Mapping[str, Any] | Reject]:
    """The parser's records; a record that fails to parse becomes a Reject."""
    iterator = iter(evtx_parser.records_json())
    errors = 0
    while errors < MAX_CONSECUTIVE_ERRORS:
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


def json_events(path: Path) -> Iterator[Mapping[str, Any]]:
    """The events of a JSON export: one object, a list of them, or one per line."""
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


__all__ = [
    "SEEN_LIMIT",
    "SEEN_TEXT_LIMIT",
    "FieldGroup",
    "FieldReader",
    "FieldRows",
    "Reject",
    "Seen",
    "json_events",
    "read_chunk",
    "read_in_worker",
    "read_records",
    "start_worker",
]
