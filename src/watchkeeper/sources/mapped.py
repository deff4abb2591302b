"""Any JSON-lines or CSV log, read through a declarative YAML mapping, with no code.

A mapping names the target event class, where the event id, time and activity come from,
which source field fills each normalized column, constant columns and record filters.
`docs/sources.md` is the language reference; `mappings/*.yaml` are the shipped ones.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from collections.abc import Mapping as Fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watchkeeper.errors import MappingError, yaml_location
from watchkeeper.schema.events import EventClass, class_spec
from watchkeeper.sources.base import Parsed, Reject, SourceContext, content_id
from watchkeeper.sources.rows import (
    CHUNK_SIZE,
    ChunkBuffer,
    CsvFile,
    FieldError,
    RecordError,
    Row,
    coerce,
    complete,
    csv_header,
    derive,
    first_line,
    iter_lines,
    lookup,
    parse_json_object,
    parse_time,
    schema_for,
    split_path,
    zone,
)

if TYPE_CHECKING:
    from watchkeeper.sources.mapped_stage import MappedSqlSource

__all__ = ["MappedSource", "Mapping", "builtin_mapping", "builtin_mappings", "load_mapping",
           "load_spec", "matches"]

BUILTIN_DIR = Path(__file__).parent / "mappings"
COMPUTED = frozenset({"event_id", "time", "source", "class", "activity"})
Scalar = str | int | float | bool
Record = Fields[str, object] | RecordError  # a parsed record, or why it could not be
SpecT = TypeVar("SpecT", bound=BaseModel)


class _ColumnError(ValueError):
    """A mapping names a column or value that does not fit its class; `field` says where."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(reason)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_path(path: str) -> str:
    split_path(path)  # raises ValueError naming the malformed path
    return path


class TimeSpec(_Spec):
    """Where the event time is and how to read it."""

    field: str
    format: str = "iso8601"  # iso8601 | epoch_ms | epoch_s | a strptime pattern
    timezone: str | None = None  # for naive times; default: the workspace setting

    _path = field_validator("field")(_check_path)

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in ("iso8601", "epoch_ms", "epoch_s") and "%" not in value:
            raise ValueError("use iso8601, epoch_ms, epoch_s or a strptime pattern")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value


class FieldSpec(_Spec):
    """A source field for one column, with an optional list separator."""

    field: str
    split: str | None = None

    _path = field_validator("field")(_check_path)


class ActivitySpec(_Spec):
    """The activity verb: a constant, or a source field translated through `map`."""

    field: str | None = None
    map: dict[str, str] = Field(default_factory=dict)
    default: str | None = None
    constant: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.field is None) == (self.constant is None):
            raise ValueError("give exactly one of 'field' and 'constant'")
        if self.field is not None:
            split_path(self.field)
        return self

    def verb(self, value: object) -> str:
        if self.constant is not None:
            return _verb(self.constant)
        if value is None or value == "":
            if self.default is None:
                raise FieldError(self.field or "activity", "missing")
            return _verb(self.default)
        key = _verb(str(value))
        mapped = {_verb(k): v for k, v in self.map.items()}.get(key)
        return _verb(mapped) if mapped else _verb(self.default) if self.default else key


class FilterSpec(_Spec):
    """Keep a record only when its field satisfies exactly one condition."""

    field: str
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    exists: bool | None = None
    matches: re.Pattern[str] | None = None

    _path = field_validator("field")(_check_path)

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        given = [self.equals, self.not_equals, self.in_, self.exists, self.matches]
        if sum(c is not None for c in given) != 1:
            raise ValueError("give exactly one of equals, not_equals, in, exists, matches")
        return self

    def keeps(self, value: object) -> bool:
        if self.exists is not None:
            return (value is not None and value != "") == self.exists
        text = _text(value)
        if self.equals is not None:
            return text == _text(self.equals)
        if self.not_equals is not None:
            return text != _text(self.not_equals)
        if self.in_ is not None:
            return text in {_text(v) for v in self.in_}
        return text is not None and self.matches is not None and bool(
            self.matches.search(text))


class ClassFrom(_Spec):
    """The target class chosen per record from a field's value."""

    field: str
    values: dict[str, EventClass]
    default: EventClass | None = None

    _path = field_validator("field")(_check_path)


class Mapping(_Spec):
    """A validated source mapping (see `docs/sources.md`)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    format: Literal["jsonl", "csv"]
    delimiter: str = Field(",", min_length=1, max_length=1)
    class_: EventClass | None = Field(default=None, alias="class")
    class_from: ClassFrom | None = None
    id: str | None = None
    time: TimeSpec
    activity: ActivitySpec
    fields: dict[str, str | FieldSpec] = Field(default_factory=dict)
    constants: dict[str, Scalar | list[str] | None] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list)
    filters: list[FilterSpec] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_path(cls, value: str | None) -> str | None:
        return None if value is None else _check_path(value)

    @field_validator("activity", mode="before")
    @classmethod
    def _constant_activity(cls, value: object) -> object:
        return {"constant": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _columns(self) -> Self:
        for target in self.classes():
            self._check_columns(target)
        return self

    def classes(self) -> list[EventClass]:
        """Every class this mapping can produce."""
        if self.class_ is not None and self.class_from is None:
            return [self.class_]
        if self.class_from is not None and self.class_ is None:
            found = {*self.class_from.values.values(), self.class_from.default}
            return sorted(c for c in found if c is not None)
        raise _ColumnError("class", "give exactly one of 'class' and 'class_from'")

    def _check_columns(self, target: EventClass) -> None:
        schema = class_spec(target).schema
        for section, names in (("fields", self.fields), ("constants", self.constants),
                               ("required", self.required)):
            for name in names:
                if name in COMPUTED or name not in schema.names:
                    raise _ColumnError(f"{section}.{name}",
                                       f"not a settable column of class {target.value}")
        for name, value in self.constants.items():
            try:
                coerce(value, schema.field(name).type)
            except ValueError as exc:
                raise _ColumnError(f"constants.{name}", str(exc)) from None

    def field_specs(self) -> dict[str, FieldSpec]:
        return {col: FieldSpec(field=f) if isinstance(f, str) else f
                for col, f in self.fields.items()}


def _verb(text: str) -> str:
    return "_".join(text.strip().lower().split())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------- loading


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a YAML mapping; any problem raises `MappingError` naming the
    file and the field at fault."""
    return load_spec(path, Mapping)


def load_spec(path: Path | str, model: type[SpecT]) -> SpecT:
    """Read a YAML file into the pydantic `model` (a source mapping, an alert mapping);
    any problem raises `MappingError` naming the file and the field at fault."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(path, "-", exc.strerror or type(exc).__name__) from None
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise MappingError(where, "-", problem) from None
    except UnicodeDecodeError as exc:
        raise MappingError(path, "-", f"not valid YAML: {_first_line(exc)}") from None
    if not isinstance(document, dict):
        raise MappingError(path, "-", "expected a YAML mapping at the top level")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise _mapping_error(path, exc) from None


def _mapping_error(path: Path, exc: ValidationError) -> MappingError:
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _ColumnError):
        return MappingError(path, cause.field, str(cause))
    where = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
    reason = error["msg"].removeprefix("Value error, ")
    return MappingError(path, where or "-", reason)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def builtin_mappings() -> list[str]:
    """Names of the mappings shipped in `watchkeeper/sources/mappings/`."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def builtin_mapping(name: str) -> Mapping:
    path = BUILTIN_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(builtin_mappings())
        raise MappingError(path, "name", f"no built-in mapping {name!r} (known: {known})")
    return load_mapping(path)


# ---------------------------------------------------------------------------- reading


class MappedSource:
    """Reads one JSON-lines or CSV file through a `Mapping`; `source` is its name.

    Records that fail a filter are dropped before counting: they are neither rows nor
    rejects. Malformed records are rejects even when a filter would have dropped them.
    """

    def __init__(self, mapping: Mapping, chunk_size: int = CHUNK_SIZE) -> None:
        self.mapping = mapping
        self.name = mapping.name
        self.chunk_size = chunk_size
        self._fields = mapping.field_specs()
        self._classes = mapping.classes()

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        buffer = ChunkBuffer()
        for number, raw, record in self._records(path):
            self._record(buffer, (path, number, raw), record, ctx)
            if buffer.count >= self.chunk_size:
                yield from buffer.flush()
        if buffer.count:
            yield from buffer.flush()

    def sql_plan(self) -> MappedSqlSource | None:
        """The DuckDB fast path for this mapping (`MappedSqlSource.stage`), or None when
        the mapping uses a feature only this Python path reads."""
        from watchkeeper.sources.mapped_sql import compile_sql
        from watchkeeper.sources.mapped_stage import MappedSqlSource
        plan = compile_sql(self.mapping)
        return None if plan is None else MappedSqlSource(self, plan)

    def looks_like(self, path: Path) -> Generator[bool, None, None]:
        """Per record: could it be this mapping's input (it parses, and holds the time
        field every record needs)? Lazy, so a caller reads only the records it asks for."""
        for _, _, record in self._records(path):
            yield not isinstance(record, RecordError) and self._get(
                record, self.mapping.time.field) not in (None, "")

    def add_line(self, buffer: ChunkBuffer, origin: tuple[Path, int, bytes],
                 ctx: SourceContext) -> None:
        """One JSON line into `buffer`: a row, a reject, or nothing when filtered out."""
        try:
            record: Record = parse_json_object(origin[2])
        except RecordError as exc:
            record = exc
        self._record(buffer, origin, record, ctx)

    def _records(self, path: Path) -> Iterator[tuple[int, bytes, Record]]:
        if self.mapping.format == "csv":
            csv_file = CsvFile(path, self.mapping.delimiter)
            csv_file.require(*self._key_columns())
            yield from csv_file.records()
            return
        for number, raw in iter_lines(path):
            try:
                yield number, raw, parse_json_object(raw)
            except RecordError as exc:
                yield number, raw, exc

    def _key_columns(self) -> list[str]:
        m = self.mapping
        keys = [m.time.field, m.id, m.activity.field,
                m.class_from.field if m.class_from else None]
        return [k for k in keys if k is not None]

    def _record(self, buffer: ChunkBuffer, origin: tuple[Path, int, bytes],
                record: Record, ctx: SourceContext) -> None:
        table = self._classes[0].value
        try:
            if isinstance(record, RecordError):
                raise record
            if not all(f.keeps(self._get(record, f.field)) for f in self.mapping.filters):
                return
            cls = self._class_of(record)
            table = cls.value
            buffer.add_row(table, self.row(cls, record, origin[2], ctx), origin)
        except RecordError as exc:
            buffer.add_reject(table, Reject.of(origin[0], origin[1], str(exc), origin[2]))

    def _get(self, record: Fields[str, object], path: str) -> object:
        if self.mapping.format == "csv":
            return record.get(path)
        return lookup(record, split_path(path))

    def _class_of(self, record: Fields[str, object]) -> EventClass:
        spec = self.mapping.class_from
        if spec is None:
            return self._classes[0]
        value = _text(self._get(record, spec.field))
        cls = spec.values.get(value or "", spec.default)
        if cls is None:
            raise FieldError(spec.field, f"no class for value {value!r}")
        return cls

    def row(self, cls: EventClass, record: Fields[str, object], raw: bytes,
            ctx: SourceContext) -> Row:
        """One normalized row; raises `FieldError` naming the source field at fault."""
        schema = schema_for(cls.value)
        row: Row = {col: coerce(v, schema.field(col).type)
                    for col, v in self.mapping.constants.items()}
        for col, spec in self._fields.items():
            value = self._get(record, spec.field)
            try:
                converted = coerce(value, schema.field(col).type, spec.split)
            except ValueError as exc:
                raise FieldError(spec.field, str(exc)) from None
            if converted is not None:
                row[col] = converted
        row.update(event_id=self._event_id(record, raw), time=self._time(record, ctx),
                   source=self.name, activity=self._activity(record), **{"class": cls.value})
        for col in self.mapping.required:
            if row.get(col) is None:
                raise FieldError(self._fields[col].field if col in self._fields else col,
                                 "missing")
        return complete(cls.value, derive(cls, row, ctx))

    def _event_id(self, record: Fields[str, object], raw: bytes) -> str:
        if self.mapping.id is None:
            return content_id(self.name, raw)
        value = self._get(record, self.mapping.id)
        if value is None or value == "" or isinstance(value, dict | list | bool):
            reason = "missing" if value is None or value == "" else "expected a string"
            raise FieldError(self.mapping.id, reason)
        return str(value)

    def _time(self, record: Fields[str, object], ctx: SourceContext) -> datetime:
        spec = self.mapping.time
        value = self._get(record, spec.field)
        if value is None or value == "":
            raise FieldError(spec.field, "missing")
        try:
            return parse_time(value, spec.format, spec.timezone or ctx.timezone)
        except ValueError as exc:
            raise FieldError(spec.field, str(exc)) from None

    def _activity(self, record: Fields[str, object]) -> str:
        spec = self.mapping.activity
        return spec.verb(self._get(record, spec.field) if spec.field else None)


def matches(mapping: Mapping, path: Path) -> bool:
    """Cheap check (first 4 KB) that a file looks like input for `mapping`."""
    needed = [mapping.time.field, *(s.field for s in mapping.field_specs().values())]
    if mapping.format == "csv":
        return set(needed) <= csv_header(path, mapping.delimiter)
    line = first_line(path)
    try:
        record = parse_json_object(line.encode()) if line is not None else None
    except RecordError:
        return False
    return record is not None and lookup(record, split_path(mapping.time.field)) is not None
