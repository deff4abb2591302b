"""A DuckDB fast path for JSON-lines mappings: one query instead of a Python loop.

`compile_sql(mapping)` turns a `Mapping` into the SQL that reads the file as one
VARCHAR column per line, checks each line is a JSON object and extracts every field
path in one parse. The SQL only decides records it can decide exactly as the Python
path would; every other record (invalid JSON, a bad or unusual value, a missing required
field, duplicate keys, a time near a daylight-saving change...) is staged as a problem
row and re-read by `MappedSource` itself, which gives the reject reason, or the row, or
drops it by a filter. Results are therefore identical to `MappedSource.read`.
Mappings using a feature the SQL does not cover compile to None.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pyarrow as pa

from watchkeeper.schema.events import EventClass, class_spec
from watchkeeper.sources.mapped import FilterSpec, Mapping, _text, _verb
from watchkeeper.sources.rows import coerce, split_path

DEFER = "needs the Python path"  # `_problem` of rows re-read by `MappedSource`
_NO_DERIVE = frozenset({EventClass.AUTHENTICATION, EventClass.PERIPHERAL,
                        EventClass.DATASTORE, EventClass.PROCESS, EventClass.FINDING})
# Python's str.isspace() characters (tests/sources/test_mapped_sql.py checks the list; a
# scan of every code point here cost 0.45 s at every start of the CLI)
_PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    chr(c) for c in range(0x2000, 0x200b)) + "\u2028\u2029\u202f\u205f\u3000")
_BLANK = " \t\n\r\x0b\x0c"  # bytes.strip()
# Python's json accepts neither trailing commas nor lower-case nan/inf; DuckDB does.
_TRAILING_COMMA = r",\s*[\]}]"
_NAN_INF = r"[:,\[]\s*-?(?i:nan|inf)"
_ISO = (r"\d{4}-\d{2}-\d{2}[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
        r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?")
_PATTERN_PARTS = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}",
                  "%M": r"\d{2}", "%S": r"\d{2}", "%%": "%"}
_INT = r"[ \t]*-?\d{1,18}[ \t]*"
_NUM = "('BIGINT', 'UBIGINT')"
_SQL_TYPES = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.int32(): "INTEGER",
              pa.bool_(): "BOOLEAN", pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ"}
_READ = ("read_csv($path, header = false, auto_detect = false, columns = {'line': 'VARCHAR'},"
         " delim = $delim, quote = '', escape = '', store_rejects = true, "
         "rejects_table = $rtable, rejects_scan = $rscan, max_line_size = 67108864)")


def _lit(text: str) -> str:
    """A constant of our own making (a pattern, a character set) as a SQL literal:
    DuckDB would compile a regex given as a parameter again for every row."""
    return "'" + text.replace("'", "''") + "'"


_WS_RUN = _lit("[" + "".join(f"\\x{{{ord(c):x}}}" for c in _PY_SPACE) + "]*")
_WS, _BLANK_SQL, _ISO_SQL = _lit(_PY_SPACE), _lit(_BLANK), _lit(_ISO)
# The NaN/Infinity regex is slow (it starts at every ':' and ','): a cheap substring test
# keeps it off the lines that cannot match (about 98% of a typical log).
_LENIENT_SQL = (f"CASE WHEN regexp_matches(line, {_lit(_TRAILING_COMMA)}) THEN true "
                "WHEN contains(lower(line), 'nan') OR contains(lower(line), 'inf') "
                f"THEN regexp_matches(line, {_lit(_NAN_INF)}) ELSE false END")


class _Unsupported(Exception):
    """The mapping uses something the SQL path does not compile."""


@dataclass
class _Builder:
    """Collects extraction paths, bound parameters and per-record exactness checks."""

    paths: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)  # all TRUE: the SQL row is exact
    extra: dict[str, str] = field(default_factory=dict)  # helper columns over t<i>, s<i>

    def path(self, dotted: str) -> int:
        """The 1-based index of a JSON path in the extracted list."""
        json_path = _json_path(split_path(dotted))
        if json_path not in self.paths:
            self.paths.append(json_path)
        return self.paths.index(json_path) + 1

    def param(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


@dataclass(frozen=True)
class SqlMapping:
    """A compiled mapping: SQL expressions over `t<i>` (JSON type) and `s<i>` (text) of
    each extracted path, and their bound parameters."""

    mapping: Mapping
    cls: EventClass
    paths: list[str]       # JSON paths extracted from each line, in one parse
    dup_paths: list[str]   # objects whose duplicate keys could change a value
    extra: dict[str, str]  # helper columns
    columns: list[str]     # one expression per schema column, in order
    checks: list[str]      # all TRUE: the row is exactly what the Python path gives
    filters: list[str]     # TRUE keep, FALSE drop, NULL unsure
    params: dict[str, object]


def _json_path(parts: tuple[str | int, ...]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += '."' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return out


def _parents(parts: tuple[str | int, ...]) -> list[str]:
    """JSON paths of the objects a path looks a key up in (for duplicate-key checks)."""
    return [_json_path(parts[:i]) for i in range(len(parts))
            if isinstance(parts[i], str)]


# ---------------------------------------------------------------------------- values


def _absent(i: int) -> str:
    return f"(t{i} IS NULL OR t{i} = 'NULL')"


def _blank(i: int) -> str:
    # Only a value starting with white space can be all white space: the CASE keeps the
    # regex off the (nearly all) values that do not, which DuckDB's AND would not.
    return (f"(t{i} = 'VARCHAR' AND CASE WHEN s{i} = '' THEN true "
            f"WHEN contains({_WS}, left(s{i}, 1)) THEN regexp_full_match(s{i}, {_WS_RUN}) "
            "ELSE false END)")


def _value(b: _Builder, i: int, typ: pa.DataType) -> tuple[str, str]:
    """SQL for `coerce(value, typ)` and the condition under which it is exact."""
    empty = f"({_absent(i)} OR {_blank(i)})"
    if pa.types.is_string(typ):
        return (f"CASE WHEN t{i} IN {_NUM} OR (t{i} = 'VARCHAR' AND NOT {_blank(i)}) "
                f"THEN s{i} END", f"({empty} OR t{i} IN ('VARCHAR', 'BIGINT', 'UBIGINT'))")
    if pa.types.is_integer(typ):
        limit = 2 ** (typ.bit_width - 1)
        num = (f"CASE WHEN t{i} IN {_NUM} THEN try_cast(s{i} AS BIGINT) WHEN t{i} = 'VARCHAR' "
               f"AND regexp_full_match(s{i}, '{_INT}') THEN trim(s{i}, ' \t')::BIGINT END")
        fits = f"({num}) BETWEEN {-limit} AND {limit - 1}"
        return (f"CASE WHEN {fits} THEN {num} END", f"({empty} OR coalesce({fits}, false))")
    if pa.types.is_boolean(typ):
        word = f"lower(trim(s{i}, {_WS}))"
        val = (f"CASE WHEN t{i} = 'BOOLEAN' THEN s{i} = 'true' WHEN t{i} IN {_NUM} AND s{i} "
               f"IN ('0', '1') THEN s{i} = '1' WHEN t{i} = 'VARCHAR' AND NOT {_blank(i)} "
               f"THEN CASE WHEN {word} IN ('true', 't', 'yes', 'y', '1') THEN true "
               f"WHEN {word} IN ('false', 'f', 'no', 'n', '0') THEN false END END")
        return val, f"({empty} OR ({val}) IS NOT NULL)"
    raise _Unsupported(f"columns of type {typ}")


def _text_sql(i: int) -> str:
    """`_text(value)` where it is exact (strings, integers, booleans), else NULL."""
    return f"CASE WHEN t{i} IN ('VARCHAR', 'BOOLEAN', 'BIGINT', 'UBIGINT') THEN s{i} END"


def _filter(b: _Builder, spec: FilterSpec) -> str:
    """TRUE keep, FALSE drop, NULL unsure (the Python path decides)."""
    i = b.path(spec.field)
    if spec.exists is not None:
        there = f"NOT ({_absent(i)} OR (t{i} = 'VARCHAR' AND s{i} = ''))"
        return there if spec.exists else f"NOT {there}"
    if spec.matches is not None:
        raise _Unsupported("'matches' filters (Python and DuckDB regexes differ)")
    text = _text_sql(i)
    if spec.equals is not None:
        cond = f"coalesce({text} = {b.param(_text(spec.equals))}, false)"
    elif spec.not_equals is not None:
        cond = f"({text}) IS DISTINCT FROM {b.param(_text(spec.not_equals))}"
    else:
        values = [_text(v) for v in spec.in_ or []]
        cond = f"coalesce(list_contains({b.param(values)}::VARCHAR[], {text}), false)"
    return f"CASE WHEN t{i} IN ('DOUBLE', 'ARRAY', 'OBJECT') THEN NULL ELSE {cond} END"


def _event_id(b: _Builder, mapping: Mapping) -> str:
    if mapping.id is None:
        raise _Unsupported("content-hash event ids (no 'id')")
    i = b.path(mapping.id)
    b.checks.append(f"(t{i} IN {_NUM} OR (t{i} = 'VARCHAR' AND s{i} <> ''))")
    return f"s{i}"


def _activity(b: _Builder, mapping: Mapping) -> str:
    spec = mapping.activity
    if spec.constant is not None:
        return b.param(_verb(spec.constant))
    i = b.path(spec.field or "")
    b.extra["wk_key"] = (
        f"CASE WHEN t{i} IN {_NUM} THEN s{i} ELSE array_to_string(list_filter("
        f"string_split(lower(s{i}), ' '), lambda x: x <> ''), '_') END")
    printable = f"(t{i} IN {_NUM} OR (t{i} = 'VARCHAR' AND regexp_full_match(s{i}, '[ -~]+')))"
    missing = f"({_absent(i)} OR (t{i} = 'VARCHAR' AND s{i} = ''))"
    fallback = b.param(_verb(spec.default)) if spec.default else "wk_key"
    table = {_verb(k): v for k, v in spec.map.items()}
    cases = "".join(f" WHEN {b.param(k)} THEN {b.param(_verb(v))}"
                    for k, v in table.items() if v)
    translated = f"CASE wk_key{cases} ELSE {fallback} END" if cases else fallback
    when_missing = "NULL" if spec.default is None else b.param(_verb(spec.default))
    b.checks.append(printable if spec.default is None else f"({missing} OR {printable})")
    return f"CASE WHEN {missing} THEN {when_missing} ELSE {translated} END"


def _time(b: _Builder, mapping: Mapping) -> None:
    """`wk_aware` (a TIMESTAMPTZ) or `wk_naive` (a local TIMESTAMP, for `$tz`)."""
    spec = mapping.time
    i = b.path(spec.field)
    if spec.format in ("epoch_ms", "epoch_s"):
        scale, top = (1000, 7258118400000) if spec.format == "epoch_ms" else (10**6, 7258118400)
        num = (f"CASE WHEN t{i} IN {_NUM} THEN try_cast(s{i} AS BIGINT) WHEN t{i} = 'VARCHAR'"
               f" AND regexp_full_match(s{i}, '\\d{{1,16}}') THEN s{i}::BIGINT END")
        b.extra["wk_aware"] = (f"CASE WHEN ({num}) BETWEEN 0 AND {top - 1} THEN "
                               f"timezone('UTC', make_timestamp(({num}) * {scale})) END")
        b.extra["wk_naive"] = "NULL::TIMESTAMP"
        return
    pattern = _ISO_SQL if spec.format == "iso8601" else _lit(_strptime_regex(spec.format))
    fmt_ok = f"(t{i} = 'VARCHAR' AND regexp_full_match(s{i}, {pattern}))"
    if spec.format == "iso8601":
        offset = f"regexp_matches(s{i}, '(Z|[+-]\\d\\d:\\d\\d)$')"
        b.extra["wk_aware"] = (f"CASE WHEN {fmt_ok} AND {offset} THEN "
                               f"try_cast(s{i} AS TIMESTAMPTZ) END")
        b.extra["wk_naive"] = (f"CASE WHEN {fmt_ok} AND NOT {offset} THEN "
                               f"try_cast(s{i} AS TIMESTAMP) END")
    else:
        b.extra["wk_aware"] = "NULL::TIMESTAMPTZ"
        b.extra["wk_naive"] = (f"CASE WHEN {fmt_ok} THEN "
                               f"try_strptime(s{i}, {_lit(spec.format)}) END")


def _strptime_regex(fmt: str) -> str:
    out, pos = "", 0
    for m in re.finditer(r"%.", fmt):
        if m.group() not in _PATTERN_PARTS:
            raise _Unsupported(f"strptime directive {m.group()}")
        out += re.escape(fmt[pos:m.start()]) + _PATTERN_PARTS[m.group()]
        pos = m.end()
    return out + re.escape(fmt[pos:])


# ---------------------------------------------------------------------------- compiling


def compile_sql(mapping: Mapping) -> SqlMapping | None:
    """The SQL form of a mapping, or None when it uses a feature the SQL does not cover
    (then `MappedSource.read` is the way)."""
    try:
        return _compile(mapping)
    except _Unsupported:
        return None


def _compile(mapping: Mapping) -> SqlMapping:
    if mapping.format != "jsonl" or mapping.class_ is None or mapping.class_from is not None:
        raise _Unsupported("CSV input or per-record classes")
    cls = mapping.class_
    if cls not in _NO_DERIVE:
        raise _Unsupported(f"class {cls.value} (derived columns)")
    b = _Builder()
    filters = [_filter(b, f) for f in mapping.filters]
    values = _field_values(b, mapping, cls)
    core = {"event_id": _event_id(b, mapping), "source": b.param(mapping.name),
            "class": b.param(cls.value), "activity": _activity(b, mapping), "time": "wk_time"}
    _time(b, mapping)
    columns = [f"CAST({core.get(f.name) or values.get(f.name, 'NULL')} AS "
               f"{_sql_type(f.type)}) AS {_quote(f.name)}" for f in class_spec(cls).schema]
    dups = sorted({p for path in b.paths for p in _parents(_split_json(path))} - {"$"})
    heads = [_split_json(p)[0] for p in [*b.paths, *dups]]
    if any(isinstance(h, int) for h in heads):
        raise _Unsupported("paths into a top-level array")
    if len({str(h).lower() for h in heads}) < len(set(heads)):
        raise _Unsupported("top-level keys differing only in case (DuckDB struct fields)")
    return SqlMapping(mapping, cls, list(b.paths), dups, dict(b.extra), columns,
                      list(b.checks), filters, dict(b.params))


def _field_values(b: _Builder, mapping: Mapping, cls: EventClass) -> dict[str, str]:
    schema = class_spec(cls).schema
    values: dict[str, str] = {}
    for col, spec in mapping.field_specs().items():
        if spec.split is not None:
            raise _Unsupported("list columns")
        val, ok = _value(b, b.path(spec.field), schema.field(col).type)
        values[col] = val
        b.checks.append(ok)
    for col, constant in mapping.constants.items():
        converted = coerce(constant, schema.field(col).type)
        if isinstance(converted, list):
            raise _Unsupported("list constants")
        if converted is not None:
            p = b.param(converted)
            values[col] = f"coalesce({values[col]}, {p})" if col in values else p
    for col in mapping.required:
        b.checks.append(f"({values.get(col, 'NULL')}) IS NOT NULL")
    return values


def _sql_type(typ: pa.DataType) -> str:
    if typ not in _SQL_TYPES:
        raise _Unsupported(f"columns of type {typ}")
    return _SQL_TYPES[typ]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_JSON_PART = re.compile(r'\[(\d+)\]|\."((?:[^"\\]|\\.)*)"')


def _split_json(path: str) -> tuple[str | int, ...]:
    """The parts of a path made by `_json_path`."""
    return tuple(int(m.group(1)) if m.group(1) is not None
                 else re.sub(r"\\(.)", r"\1", m.group(2))
                 for m in _JSON_PART.finditer(path, 1))


# ---------------------------------------------------------------------------- the query


def _json_type(i: int) -> str:
    """`json_type(v<i>)` from the first character of the JSON text: the text is DuckDB's
    own serialization of a valid value (JSON null reads as SQL NULL), so its first
    character decides the type; only numbers (BIGINT, UBIGINT or DOUBLE) go to the parser."""
    return (f"CASE left(v{i}, 1) WHEN '\"' THEN 'VARCHAR' WHEN 'n' THEN 'NULL' "
            f"WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' WHEN '{{' THEN 'OBJECT' "
            f"WHEN '[' THEN 'ARRAY' ELSE json_type(v{i}) END")


def _json_text(i: int) -> str:
    """`json_extract_string(v<i>, '$')`: a serialized string without a backslash holds
    its value verbatim between the quotes; anything else goes through the parser."""
    return (f"CASE WHEN left(v{i}, 1) = '\"' AND NOT contains(v{i}, '\\') "
            f"THEN substr(v{i}, 2, length(v{i}) - 2) ELSE json_extract_string(v{i}, '$') END")


def _top_keys(plan: SqlMapping) -> list[str]:
    """The top-level keys the mapping reads, in order of first use."""
    keys: list[str] = []
    for path in [*plan.paths, *plan.dup_paths]:
        head = _split_json(path)[0]
        if isinstance(head, str) and head not in keys:
            keys.append(head)
    return keys


def _json_value(parts: tuple[str | int, ...]) -> str:
    """SQL for the JSON text at a path, read from the line's transformed top level `wk_j`."""
    top = f"struct_extract(wk_j, {_lit(str(parts[0]))})"
    return top if len(parts) == 1 else f"json_extract({top}, {_lit(_json_path(parts[1:]))})"


def _typed(plan: SqlMapping, unique_keys: bool = False) -> str:
    """Per-path JSON type and text, and whether the line is a JSON object the SQL reads
    exactly as Python does (no duplicate keys on a path, no DuckDB-only syntax).

    Each line is parsed three times (validity, its keys, one transform of every top-level
    key the mapping reads to its JSON text); types and texts come from those texts.
    `unique_keys`: the file is known to hold no line repeating a top-level key the mapping
    reads (`MappedSqlSource` asks DuckDB's JSON reader first), so the keys are not listed."""
    keys = _top_keys(plan)
    struct = _lit(json.dumps({k: "JSON" for k in keys}))
    n = len(plan.paths)
    values = ", ".join(f"{_json_value(_split_json(p))} AS v{i}"
                       for i, p in enumerate(plan.paths, 1))
    per_path = ", ".join(f"{_json_type(i)} AS t{i}, {_json_text(i)} AS s{i}"
                         for i in range(1, n + 1))
    nested = [f"coalesce(list_unique(json_keys({d})) = len(json_keys({d})), true)"
              for d in (_json_value(_split_json(p)) for p in plan.dup_paths)]
    unique = [*([] if unique_keys else ["list_unique(wk_keys) = len(wk_keys)"]), *nested, "true"]
    return (
        "SELECT line, CASE WHEN wk_obj THEN " + " AND ".join(unique) +
        f" ELSE false END AS wk_sure, {per_path} FROM ("
        f"SELECT line, wk_obj, wk_keys, wk_j, {values} FROM ("
        f"SELECT line, wk_obj, CASE WHEN wk_obj THEN json_transform(line, {struct}) END AS wk_j, "
        f"{'NULL' if unique_keys else 'CASE WHEN wk_obj THEN json_keys(line) END'} AS wk_keys "
        # a valid JSON text is an object exactly when it starts with '{'
        f"FROM (SELECT line, CASE WHEN json_valid(line) THEN left(ltrim(line, {_BLANK_SQL}), 1)"
        f" = '{{' AND NOT ({_LENIENT_SQL}) ELSE false END AS wk_obj "
        f"FROM {_READ} WHERE line IS NOT NULL AND trim(line, {_BLANK_SQL}) <> '')))")


def _time_sql(local_utc: bool) -> tuple[str, str]:
    """The time, and the check that it is in range and not near a DST change."""
    if local_utc:
        time, steady = "coalesce(wk_aware, timezone('UTC', wk_naive))", "true"
    else:
        time = "coalesce(wk_aware, timezone($tz, wk_naive))"
        off = "(timezone($tz, {x}) - timezone('UTC', {x}))"
        u = "timezone($tz, wk_naive)"
        steady = (f"(wk_naive IS NULL OR {off.format(x=u + ' - INTERVAL 3 HOUR')} = "
                  f"{off.format(x=u + ' + INTERVAL 3 HOUR')})")
    in_range = ("wk_time >= TIMESTAMPTZ '1970-01-01 00:00:00+00' "
                "AND wk_time < TIMESTAMPTZ '2200-01-01 00:00:00+00'")
    return time, f"({in_range} AND {steady})"


def build_query(plan: SqlMapping, tz: str, unique_keys: bool = False) -> str:
    """The full query: schema columns plus `_file`, `_problem` and `_key`."""
    extra = ", ".join(f"{expr} AS {name}" for name, expr in plan.extra.items())
    time, time_ok = _time_sql(tz == "UTC")
    ok = " AND ".join(f"coalesce({c}, false)" for c in [*plan.checks, time_ok])
    sure = " AND ".join(["wk_sure", ok, *(f"({f}) IS NOT NULL" for f in plan.filters)])
    keep = " AND ".join(f"coalesce({f}, true)" for f in plan.filters) or "true"
    return (
        f"SELECT {', '.join(plan.columns)}, $file_no::INTEGER AS _file, "
        f"CASE WHEN NOT ({sure}) THEN $p_defer END AS _problem, line AS _key "
        f"FROM (SELECT *, {time} AS wk_time FROM (SELECT *, {extra} FROM ("
        f"{_typed(plan, unique_keys)}))) "
        f"WHERE NOT wk_sure OR ({keep})")


def _bind(sql: str, params: dict[str, object]) -> dict[str, object]:
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used}


__all__ = ["DEFER", "SqlMapping", "build_query", "compile_sql"]
