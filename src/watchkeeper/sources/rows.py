"""Shared building blocks for row-wise sources (JSON lines and CSV).

Lines are read as bytes, one at a time, so a file of any size streams in bounded memory.
Line numbers are 1-based physical lines; blank lines are skipped and never counted.
A record that cannot be turned into a row raises `RecordError` inside a source; the
source catches it and turns it into a `Reject`.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.schema.entities import ENTITIES
from watchkeeper.schema.events import EventClass, class_spec
from watchkeeper.sources.base import Parsed, Reject, SourceContext

CHUNK_SIZE = 50_000
SNIFF_BYTES = 4096
_BOM = b"\xef\xbb\xbf"
_MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIME = datetime(2200, 1, 1, tzinfo=UTC)

Row = dict[str, object]
Origin = tuple[Path, int, bytes]  # file, line, raw record: where a row came from


class RecordError(Exception):
    """One record cannot be accepted; the message is the reject reason."""


class FieldError(RecordError):
    """One field of a record is missing or malformed."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"field {field!r}: {reason}")


# ---------------------------------------------------------------------------- reading


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(path, exc.strerror or type(exc).__name__) from None


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, raw bytes without the line end) for every non-blank line."""
    with _open(path) as fh:
        try:
            for number, line in enumerate(fh, start=1):
                raw = line.removesuffix(b"\n").removesuffix(b"\r")   # only the line end
                if number == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                if raw.strip():
                    yield number, raw
        except OSError as exc:
            raise InputError(path, exc.strerror or type(exc).__name__) from None


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"invalid UTF-8 at byte {exc.start}") from None


def parse_json_object(raw: bytes) -> dict[str, object]:
    """One JSON-lines record; anything but a JSON object is a `RecordError`."""
    text = decode(raw)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
        raise RecordError(f"invalid JSON: {reason}") from None
    if not isinstance(value, dict):
        raise RecordError(f"expected a JSON object, got {json_type(value)}")
    if "\\u" in text:  # escapes may hide lone surrogates, which are not valid text
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError("invalid JSON: lone surrogate escape") from None
    return value


def json_type(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def parse_csv_line(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration) as exc:
        raise RecordError(f"malformed CSV: {exc}") from None


class CsvFile:
    """A CSV file with a header row; yields (line, raw, {column: text}) per record."""

    def __init__(self, path: Path, delimiter: str = ",") -> None:
        self.path = path
        self.delimiter = delimiter
        self._lines = iter_lines(path)
        self.header: list[str] = []
        for number, raw in self._lines:
            try:
                self.header = [h.strip() for h in parse_csv_line(decode(raw), delimiter)]
            except RecordError as exc:
                raise InputError(path, f"header: {exc}", line=number) from None
            break

    def require(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.header]
        if self.header and missing:
            raise InputError(self.path, f"header lacks column(s) {', '.join(missing)}", line=1)

    def records(self) -> Iterator[tuple[int, bytes, dict[str, str] | RecordError]]:
        width = len(self.header)
        for number, raw in self._lines:
            try:
                values = parse_csv_line(decode(raw), self.delimiter)
                if len(values) != width:
                    raise RecordError(f"expected {width} columns, got {len(values)}")
                yield number, raw, dict(zip(self.header, values, strict=True))
            except RecordError as exc:
                yield number, raw, exc


def head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first bytes of a file, or b"" when it cannot be read (for sniffing)."""
    try:
        with path.open("rb") as fh:
            return fh.read(size).removeprefix(_BOM)
    except OSError:
        return b""


def first_line(path: Path) -> str | None:
    """The first non-blank line within the first 4 KB, decoded; None when there is none."""
    for line in head(path).splitlines():
        if line.strip():
            try:
                return line.decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


def csv_header(path: Path, delimiter: str = ",") -> set[str]:
    line = first_line(path)
    if line is None:
        return set()
    try:
        return {h.strip() for h in parse_csv_line(line, delimiter)}
    except RecordError:
        return set()


# ---------------------------------------------------------------------------- values

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@functools.lru_cache(maxsize=1024)
def split_path(path: str) -> tuple[str | int, ...]:
    """`a.b[0].c` -> ("a", "b", 0, "c"); raises ValueError when malformed."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and parts and pos + 1 < len(path):
            pos += 1
        match = _PATH_PART.match(path, pos)
        if match is None:
            raise ValueError(f"malformed field path {path!r}")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if not parts:
        raise ValueError("empty field path")
    return tuple(parts)


def lookup(obj: object, parts: tuple[str | int, ...]) -> object:
    """The value at a split path, or None when any step is missing."""
    for part in parts:
        if isinstance(part, int):
            obj = obj[part] if isinstance(obj, list) and part < len(obj) else None
        else:
            obj = obj.get(part) if isinstance(obj, dict) else None
        if obj is None:
            return None
    return obj


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _in_range(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    if not _MIN_TIME <= moment < _MAX_TIME:
        raise ValueError("out of range")
    return moment


def parse_time(value: object, fmt: str, tz: str = "UTC") -> datetime:
    """A UTC datetime from ISO-8601, epoch_ms, epoch_s or a strptime pattern.

    Naive times are read in `tz`. Raises ValueError with a short reason.
    """
    if fmt in ("epoch_ms", "epoch_s"):
        number = _number(value)
        seconds = number / 1000 if fmt == "epoch_ms" else number
        try:
            return _in_range(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"cannot parse {value!r} as {fmt}") from None
    if not isinstance(value, str):
        raise ValueError(f"expected a time string, got {json_type(value)}")
    try:
        if fmt == "iso8601":
            moment = datetime.fromisoformat(value.strip())
        else:
            moment = datetime.strptime(value.strip(), fmt)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(tz))
        return _in_range(moment)
    except (ValueError, OverflowError):
        shown = "ISO-8601" if fmt == "iso8601" else repr(fmt)
        raise ValueError(f"cannot parse {value[:64]!r} as {shown}") from None


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"cannot parse {value[:64]!r} as a number") from None
    else:
        raise ValueError(f"expected a number, got {json_type(value)}")
    if not math.isfinite(number):
        raise ValueError(f"cannot parse {value!r} as a number")
    return number


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"cannot parse {value[:64]!r} as an ISO date") from None


# ---------------------------------------------------------------------------- chunks


@functools.cache
def schema_for(table: str) -> pa.Schema:
    """The Arrow schema of an event class or entity table."""
    entity = ENTITIES.get(table)
    return entity.schema if entity is not None else class_spec(table).schema


class ChunkBuffer:
    """Rows and rejects per target table, flushed as `Parsed` chunks.

    Each row keeps its origin (file, line, raw) so that a row Arrow still refuses (a
    safety net behind the per-field checks) becomes a reject instead of an exception.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Row, Origin]]] = {}
        self.rejects: dict[str, list[Reject]] = {}
        self.count = 0

    def add_row(self, table: str, row: Row, origin: Origin) -> None:
        self.rows.setdefault(table, []).append((row, origin))
        self.count += 1

    def add_reject(self, table: str, reject: Reject) -> None:
        self.rejects.setdefault(table, []).append(reject)
        self.count += 1

    def flush(self) -> list[Parsed]:
        chunks = [self._parsed(t) for t in sorted(self.rows.keys() | self.rejects.keys())]
        self.rows, self.rejects, self.count = {}, {}, 0
        return chunks

    def _parsed(self, table: str) -> Parsed:
        schema = schema_for(table) if table in ENTITIES or _is_class(table) else pa.schema([])
        rows = self.rows.get(table, [])
        rejects = self.rejects.get(table, [])
        try:
            return Parsed(table, pa.Table.from_pylist([r for r, _ in rows], schema=schema),
                          rejects)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            kept: list[Row] = []
            for row, origin in rows:
                try:
                    pa.Table.from_pylist([row], schema=schema)
                    kept.append(row)
                except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
                    reason = f"row does not fit the {table} schema: {str(exc)[:120]}"
                    rejects.append(Reject.of(*origin[:2], reason, origin[2]))
            rejects.sort(key=lambda r: r.line or 0)  # keep line order
            return Parsed(table, pa.Table.from_pylist(kept, schema=schema), rejects)


def _is_class(name: str) -> bool:
    return name in EventClass._value2member_map_


# ---------------------------------------------------------------------------- derived


def file_ext(path: str | None) -> str | None:
    if not path:
        return None
    name = re.split(r"[\\/]", path)[-1]
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem and ext else None


def url_domain(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def derive(cls: EventClass, row: Row, ctx: SourceContext) -> Row:
    """Fill the columns computed from others (counts, domain, extension) when absent."""
    if cls is EventClass.EMAIL:
        _derive_email(row, ctx)
    elif cls is EventClass.WEB and row.get("domain") is None:
        row["domain"] = url_domain(_opt_str(row.get("url")))
    elif cls is EventClass.FILE and row.get("file_ext") is None:
        row["file_ext"] = file_ext(_opt_str(row.get("path")))
    return row


def _derive_email(row: Row, ctx: SourceContext) -> None:
    if row.get("recipients") is None:
        parts = [row.get(k) for k in ("to", "cc", "bcc")]
        row["recipients"] = [a for p in parts if isinstance(p, list) for a in p]
    recipients = row["recipients"]
    addresses = {a.strip().lower() for a in recipients if isinstance(a, str)} \
        if isinstance(recipients, list) else set()
    if row.get("recipient_count") is None:
        row["recipient_count"] = len(addresses)
    if row.get("external_recipient_count") is None:
        row["external_recipient_count"] = sum(ctx.is_external(a) for a in addresses)
    attachments = row.get("attachments")
    if row.get("attachment_count") is None and isinstance(attachments, list):
        row["attachment_count"] = len(attachments)


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def complete(table: str, row: Mapping[str, object]) -> Row:
    """The row with every column of `table`, in order; a missing non-null column is an
    error."""
    out: Row = {}
    for name, nullable in _columns(table):
        value = row.get(name)
        if value is None and not nullable:
            raise FieldError(name, "missing")
        out[name] = value
    return out


@functools.cache
def _columns(table: str) -> tuple[tuple[str, bool], ...]:
    return tuple((f.name, f.nullable) for f in schema_for(table))


# ---------------------------------------------------------------------------- coercion

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_INT_RANGE = {8: 2**7, 16: 2**15, 32: 2**31, 64: 2**63}


def coerce(value: object, typ: pa.DataType, split: str | None = None) -> object:
    """A JSON or CSV value converted to a column's Arrow type; ValueError says why not.

    Empty strings count as missing. Lists come from JSON arrays, from a string holding
    a JSON array, or from a string cut on `split`.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if pa.types.is_string(typ):
        return _to_str(value)
    if pa.types.is_integer(typ):
        return _to_int(value, typ.bit_width)
    if pa.types.is_boolean(typ):
        return _to_bool(value)
    if pa.types.is_list(typ):
        return _to_list(value, split)
    if pa.types.is_date32(typ):
        return value if isinstance(value, date) else parse_date(_to_str(value))
    raise ValueError(f"cannot convert to {typ}")


def _to_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, got {json_type(value)}")


def _to_int(value: object, bits: int) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got boolean")
    number: int
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"cannot parse {value[:64]!r} as an integer") from None
    else:
        raise ValueError(f"expected an integer, got {json_type(value)}")
    limit = _INT_RANGE.get(bits, 2**63)
    if not -limit <= number < limit:
        raise ValueError(f"integer {number} out of range")
    return number


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    shown = repr(value[:64]) if isinstance(value, str) else json_type(value)
    raise ValueError(f"cannot parse {shown} as a boolean")


def _to_list(value: object, split: str | None) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            return [p.strip() for p in text.split(split) if p.strip()] if split else [text]
        try:
            value = json.loads(text)
        except ValueError:
            if split:
                return [p.strip() for p in text.split(split) if p.strip()]
            raise ValueError(f"cannot parse {text[:64]!r} as a JSON array") from None
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {json_type(value)}")
    return [_to_str(item) for item in value if item is not None]

