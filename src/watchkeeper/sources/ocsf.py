"""OCSF events as JSON lines: one event object per line.

Supported classes: Authentication (3002), File System Activity (1001), Email Activity
(4009), HTTP Activity (4002) and Datastore Activity (6005). Anything else is rejected
with ``unsupported OCSF class_uid N``. `docs/sources.md` lists the attributes read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from pathlib import Path

from watchkeeper.schema.events import EventClass
from watchkeeper.sources.base import Parsed, Reject, SourceContext, content_id
from watchkeeper.sources.rows import (
    CHUNK_SIZE,
    ChunkBuffer,
    FieldError,
    RecordError,
    Row,
    complete,
    derive,
    first_line,
    iter_lines,
    json_type,
    lookup,
    parse_json_object,
    parse_time,
    schema_for,
    split_path,
)

__all__ = ["OcsfSource", "check_event", "looks_like", "sniff"]

_CLASS_UID = re.compile(r'"class_uid"\s*:\s*\d')
_UNCLASSIFIED = "unclassified"  # buffer key of rejects whose class is unknown


class Doc:
    """Typed access to one OCSF event; a value of the wrong type raises `FieldError`."""

    def __init__(self, data: dict[str, object]) -> None:
        self.data = data

    def get(self, path: str) -> object:
        return lookup(self.data, split_path(path))

    def text(self, *paths: str) -> str | None:
        """The first present string among `paths` (numbers are accepted as text)."""
        for path in paths:
            value = self.get(path)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise FieldError(path, f"expected a string, got {json_type(value)}")
        return None

    def integer(self, *paths: str) -> int | None:
        for path in paths:
            value = self.get(path)
            if value is None:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                if not -(2**63) <= value < 2**63:
                    raise FieldError(path, f"integer {value} out of range")
                return value
            raise FieldError(path, f"expected an integer, got {json_type(value)}")
        return None

    def texts(self, path: str) -> list[str] | None:
        value = self.get(path)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FieldError(path, f"expected an array of strings, got {json_type(value)}")
        return list(value)

    def objects(self, path: str) -> list[Doc]:
        value = self.get(path)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise FieldError(path, f"expected an array of objects, got {json_type(value)}")
        return [Doc(v) for v in value]


# ---------------------------------------------------------------------------- common


def _activity(doc: Doc, names: dict[int, str]) -> str:
    """The normalized verb from activity_id, else from activity_name."""
    activity_id = doc.integer("activity_id")
    if activity_id in names:
        return names[activity_id]
    name = doc.text("activity_name")
    if name:
        return "_".join(name.lower().split())
    if activity_id is None:
        raise FieldError("activity_id", "missing")
    return "other" if activity_id == 99 else "unknown"


def _time(doc: Doc) -> datetime:
    value = doc.get("time")
    path, fmt = "time", "epoch_ms"
    if value is None:
        value, path = doc.get("time_dt"), "time_dt"
    if value is None:
        raise FieldError("time", "missing")
    if isinstance(value, str):
        fmt = "iso8601"
    try:
        return parse_time(value, fmt)
    except ValueError as exc:
        raise FieldError(path, str(exc)) from None


def _actor(doc: Doc) -> str | None:
    return doc.text("actor.user.name", "actor.user.uid", "user.name", "user.uid")


# ---------------------------------------------------------------------------- classes

_LOGON_TYPES = {1: "system", 2: "interactive", 3: "network", 4: "batch", 5: "service",
                7: "unlock", 8: "network", 9: "explicit", 10: "remote",
                11: "interactive", 12: "remote", 13: "unlock"}


def _authentication(doc: Doc) -> Row:
    status_id = doc.integer("status_id")
    status = {1: "success", 2: "failure"}.get(status_id or 0)
    logon_type = _LOGON_TYPES.get(doc.integer("logon_type_id") or 0)
    actor = doc.text("actor.user.name", "actor.user.uid")
    target = doc.text("user.name", "user.uid")
    return {
        "activity": _activity(doc, {1: "logon", 2: "logoff", 3: "authentication_ticket",
                                    4: "service_ticket", 5: "service_ticket_renew",
                                    6: "preauth"}),
        "user": actor or target,
        "target_user": target if actor and target and actor != target else None,
        "host": doc.text("device.hostname", "dst_endpoint.hostname", "dst_endpoint.ip"),
        "status": status or _lower(doc.text("status")),
        "logon_type": logon_type or _lower(doc.text("logon_type")),
        "src_host": doc.text("src_endpoint.hostname", "src_endpoint.ip"),
    }


def _file(doc: Doc) -> Row:
    folder = doc.text("file.parent_folder")
    name = doc.text("file.name")
    joined = f"{folder.rstrip('/')}/{name}" if folder and name else None
    return {
        "activity": _activity(doc, {1: "create", 2: "read", 3: "write", 4: "delete",
                                    5: "rename", 6: "set_attributes", 7: "set_security",
                                    8: "get_attributes", 9: "get_security", 10: "encrypt",
                                    11: "decrypt", 12: "mount", 13: "unmount", 14: "open"}),
        "user": _actor(doc),
        "host": doc.text("device.hostname", "src_endpoint.hostname"),
        "path": doc.text("file.path") or joined or name,
        "size": doc.integer("file.size"),
    }


def _email(doc: Doc) -> Row:
    attachments = [f.text("name", "path") for f in doc.objects("email.files")]
    single = doc.text("file.name", "file.path")
    names = [a for a in (*attachments, single) if a]
    return {
        "activity": _activity(doc, {1: "send", 2: "receive", 3: "scan"}),
        "user": _actor(doc),
        "host": doc.text("device.hostname", "src_endpoint.hostname"),
        "sender": doc.text("email.from"),
        "to": doc.texts("email.to") or [],
        "cc": doc.texts("email.cc") or [],
        "bcc": doc.texts("email.bcc") or [],
        "attachments": names,
        "size": doc.integer("email.size"),
        "content": doc.text("email.subject"),
    }


_HTTP_ACTIVITY = {"get": "visit", "head": "visit", "post": "upload", "put": "upload",
                  "patch": "upload", "delete": "delete", "connect": "connect"}


def _web(doc: Doc) -> Row:
    method = doc.text("http_request.http_method")
    url = doc.text("http_request.url.url_string")
    hostname = _lower(doc.text("http_request.url.hostname"))
    if url is None and hostname:
        scheme = doc.text("http_request.url.scheme") or "https"
        url = f"{scheme}://{hostname}{doc.text('http_request.url.path') or ''}"
    activity = _HTTP_ACTIVITY.get((method or "").lower()) or _activity(
        doc, {1: "connect", 2: "delete", 3: "visit", 4: "visit", 5: "options",
              6: "upload", 7: "upload", 8: "trace", 9: "upload"})
    return {
        "activity": activity,
        "user": _actor(doc),
        "host": doc.text("src_endpoint.hostname", "device.hostname"),
        "url": url,
        "domain": hostname,
        "http_method": method.upper() if method else None,
    }


def _datastore(doc: Doc) -> Row:
    return {
        "activity": _activity(doc, {1: "read", 2: "update", 3: "connect", 4: "query",
                                    5: "write", 6: "create", 7: "delete", 8: "list",
                                    9: "encrypt", 10: "decrypt"}),
        "user": _actor(doc),
        "host": doc.text("src_endpoint.hostname", "device.hostname"),
        "dataset": doc.text("table.name", "databucket.name", "database.name"),
        "data_region": doc.text("unmapped.data_region"),
        "record_count": doc.integer("unmapped.record_count", "unmapped.records"),
        "sensitivity": _lower(doc.text("unmapped.sensitivity",
                                       "table.data_classification.confidentiality",
                                       "databucket.data_classification.confidentiality",
                                       "database.data_classification.confidentiality")),
        "ticket": doc.text("unmapped.ticket"),
        "purpose": doc.text("unmapped.purpose"),
        "src_ip": doc.text("src_endpoint.ip"),
    }


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


Extractor = Callable[[Doc], Row]

CLASS_UIDS: dict[int, tuple[EventClass, Extractor]] = {
    3002: (EventClass.AUTHENTICATION, _authentication),
    1001: (EventClass.FILE, _file),
    4009: (EventClass.EMAIL, _email),
    4002: (EventClass.WEB, _web),
    6005: (EventClass.DATASTORE, _datastore),
}


# ---------------------------------------------------------------------------- source


class OcsfSource:
    """Reads OCSF JSON lines into the authentication, file, email, web and datastore
    classes; yields one `Parsed` per class per chunk of `chunk_size` records."""

    name = "ocsf"

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        buffer = ChunkBuffer()
        for number, raw in iter_lines(path):
            self._record(buffer, path, number, raw, ctx)
            if buffer.count >= self.chunk_size:
                yield from _place_unclassified(buffer.flush())
        if buffer.count:
            yield from _place_unclassified(buffer.flush())

    def _record(self, buffer: ChunkBuffer, path: Path, number: int, raw: bytes,
                ctx: SourceContext) -> None:
        table = _UNCLASSIFIED
        try:
            doc = Doc(parse_json_object(raw))
            cls, extract = _classify(doc)
            table = cls.value
            buffer.add_row(table, self.row(cls, extract, doc, raw, ctx), (path, number, raw))
        except RecordError as exc:
            buffer.add_reject(table, Reject.of(path, number, str(exc), raw))

    def row(self, cls: EventClass, extract: Extractor, doc: Doc, raw: bytes,
            ctx: SourceContext) -> Row:
        """One normalized row; raises `FieldError` for a missing or malformed field."""
        row = extract(doc)
        row.update(
            event_id=doc.text("metadata.uid") or content_id(self.name, raw),
            time=_time(doc),
            source=self.name,
            **{"class": cls.value},
            region=row.get("region") or doc.text("cloud.region", "device.region"),
        )
        return complete(cls.value, derive(cls, row, ctx))


def check_event(data: dict[str, object], ctx: SourceContext) -> EventClass:
    """The class one OCSF event would be stored in; raises what `OcsfSource` would
    quarantine it for: `FieldError` naming the field, or `RecordError`."""
    doc = Doc(data)
    cls, extract = _classify(doc)
    OcsfSource().row(cls, extract, doc, b"", ctx)
    return cls


def _place_unclassified(chunks: list[Parsed]) -> list[Parsed]:
    """Rejects of unknown class join the chunk's first class (rejects go to quarantine
    whatever their table); a chunk of such rejects alone goes as authentication."""
    stray = [c for c in chunks if c.table == _UNCLASSIFIED]
    chunks = [c for c in chunks if c.table != _UNCLASSIFIED]
    if not stray:
        return chunks
    if not chunks:
        name = EventClass.AUTHENTICATION.value
        chunks = [Parsed(name, schema_for(name).empty_table())]
    first = chunks[0]
    first.rejects = sorted([*first.rejects, *stray[0].rejects], key=lambda r: r.line or 0)
    return chunks


def _classify(doc: Doc) -> tuple[EventClass, Extractor]:
    class_uid = doc.integer("class_uid")
    if class_uid is None:
        raise FieldError("class_uid", "missing")
    if class_uid not in CLASS_UIDS:
        raise RecordError(f"unsupported OCSF class_uid {class_uid}")
    return CLASS_UIDS[class_uid]


def looks_like(path: Path) -> Generator[bool, None, None]:
    """Per record: is it an OCSF event (a JSON object with an integer class_uid, of any
    class)? Lazy, so a caller reads only the records it asks for."""
    for _, raw in iter_lines(path):
        try:
            uid = parse_json_object(raw).get("class_uid")
        except RecordError:
            yield False
            continue
        yield isinstance(uid, int) and not isinstance(uid, bool)


def sniff(path: Path) -> bool:
    """True when the first non-blank line is a JSON object with an integer class_uid."""
    line = first_line(path)
    return line is not None and line.lstrip().startswith("{") and bool(
        _CLASS_UID.search(line))
