"""Column layouts of the CERT releases and the SQL that normalizes each one.

The SQL holds identifiers and constants only; every value (path, time zone, file number,
company domains, snapshot day) is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

V, TS, BI, BO, SI = "VARCHAR", "TIMESTAMP", "BIGINT", "BOOLEAN", "SMALLINT"


@dataclass(frozen=True)
class Layout:
    """One release's columns for one CERT file kind, and how they normalize."""

    kind: str
    table: str
    read_types: tuple[tuple[str, str], ...]
    select: str        # the normalized columns, over the raw columns of the file
    problem: str       # SQL giving a reason when a parsed row lacks a required value
    key: str           # first column: how a problem row is found again in the file
    prepare: tuple[str, ...] = ()  # layers of helper columns, each may use the previous

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.read_types)


def _lst(col: str) -> str:
    """A ';'-separated list without blank items. An ASCII value without spaces, empty
    items or an edge ';' (nearly every CERT value) is just split, twice as fast as the
    filter, which the rest take (DuckDB's trim strips spaces, Unicode ones included)."""
    c = f'"{col}"'
    general = f"list_filter(string_split(coalesce({c}, ''), ';'), lambda x: trim(x) <> '')"
    simple = (f"strlen({c}) = length({c}) AND NOT (contains({c}, ' ') OR contains({c}, ';;') "
              f"OR starts_with({c}, ';') OR ends_with({c}, ';'))")
    return (f"CASE WHEN {c} IS NULL OR {c} = '' THEN []::VARCHAR[] WHEN {simple} "
            f"THEN string_split({c}, ';') ELSE {general} END")


_CORE = (
    "id AS event_id, timezone($tz, \"date\") AS time, 'cert' AS source, '{cls}' AS class, "
    "{activity} AS activity, \"user\" AS \"user\", pc AS host, NULL::VARCHAR AS region"
)
_EVENT_PROBLEM = (
    "CASE WHEN id IS NULL THEN 'field id: empty' "
    "WHEN \"date\" IS NULL THEN 'field date: empty' "
    "WHEN \"user\" IS NULL THEN 'field user: empty' END"
)
_BASE = (("id", V), ("date", TS), ("user", V), ("pc", V))


def _core(cls: str, activity: str) -> str:
    return _CORE.format(cls=cls, activity=activity)


def _ext(col: str) -> str:
    return f"nullif(lower(regexp_extract(\"{col}\", '\\.([A-Za-z0-9]{{1,10}})$', 1)), '')"


def _event(kind: str, table: str, extra: tuple[tuple[str, str], ...], select: str) -> Layout:
    return Layout(kind, f"events/{table}", _BASE + extra, select, _EVENT_PROBLEM, "id")


_LOGON = _event("logon", "authentication", (("activity", V),), ", ".join([
    _core("authentication", "lower(activity)"), "'success' AS status",
    "'interactive' AS logon_type", "NULL::VARCHAR AS src_host",
    "NULL::VARCHAR AS target_user"]))


def _device(with_tree: bool) -> Layout:
    extra = (("file_tree", V), ("activity", V)) if with_tree else (("activity", V),)
    tree = _lst("file_tree") if with_tree else "[]::VARCHAR[]"
    return _event("device", "peripheral", extra, ", ".join([
        _core("peripheral", "lower(activity)"), "'usb' AS device_kind",
        "NULL::VARCHAR AS device_name", f"{tree} AS file_tree"]))


def _file(r6: bool) -> Layout:
    extra: tuple[tuple[str, str], ...]
    if r6:
        extra = (("filename", V), ("activity", V), ("to_removable_media", BO),
                 ("from_removable_media", BO), ("content", V))
        act, to_rm, from_rm = ("replace(lower(activity), 'file ', '')",
                               "to_removable_media", "from_removable_media")
    else:  # r4.2-r5: the log holds copies to removable media only
        extra = (("filename", V), ("content", V))
        act, to_rm, from_rm = "'copy'", "true", "NULL::BOOLEAN"
    return _event("file", "file", extra, ", ".join([
        _core("file", act), "filename AS path", f"{_ext('filename')} AS file_ext",
        f"{to_rm} AS to_removable", f"{from_rm} AS from_removable", "NULL::BIGINT AS size",
        "content AS content"]))


# Outside every company domain and its subdomains; the exact match (by far the most
# common case) short-circuits the suffix test: four times faster than testing both.
_EXTERNAL = (
    "len(list_filter(recipients, lambda r: CASE WHEN list_contains($domains, "
    "lower(split_part(r, '@', -1))) THEN false ELSE NOT list_bool_or(list_transform("
    "$domains, lambda d: ends_with(lower(split_part(r, '@', -1)), '.' || d))) END))::INTEGER"
)


def _email(r6: bool) -> Layout:
    head = (("to", V), ("cc", V), ("bcc", V), ("from", V))
    extra: tuple[tuple[str, str], ...]
    if r6:
        extra = (*head, ("activity", V), ("size", BI), ("attachments", V), ("content", V))
        act = "lower(activity)"
        att = ("list_transform(" + _lst("attachments") +
               ", lambda a: regexp_replace(trim(a), '\\(\\d+\\)$', ''))")
        att_n = f"len({att})::INTEGER"
    else:
        extra = (*head, ("size", BI), ("attachments", BI), ("content", V))
        act, att, att_n = "'send'", "[]::VARCHAR[]", "coalesce(attachments, 0)::INTEGER"
    lists = f"{_lst('to')} AS to_l, {_lst('cc')} AS cc_l, {_lst('bcc')} AS bcc_l"
    layout = _event("email", "email", extra, ", ".join([
        _core("email", act), "\"from\" AS sender", "recipients",
        "to_l AS \"to\"", "cc_l AS cc", "bcc_l AS bcc",
        "len(list_distinct(recipients))::INTEGER AS recipient_count",
        f"{_EXTERNAL} AS external_recipient_count", f"{att} AS attachments",
        f"{att_n} AS attachment_count", "size AS size", "content AS content"]))
    return replace(layout, prepare=(lists, "list_concat(to_l, cc_l, bcc_l) AS recipients"))


# The URL's host, lower case: string functions, twice as fast as the equivalent regex.
_HOST = ("lower(split_part(split_part(split_part(split_part(CASE WHEN position('://' IN url) "
         "BETWEEN 2 AND 16 THEN substr(url, position('://' IN url) + 3) ELSE url END, '/', 1), "
         "'?', 1), '#', 1), ':', 1))")


def _http(r6: bool, content: bool) -> Layout:
    extra: tuple[tuple[str, str], ...] = (("url", V),)
    if r6:
        extra += (("activity", V),)
    if content:
        extra += (("content", V),)
    act = "replace(lower(activity), 'www ', '')" if r6 else "'visit'"
    return _event("http", "web", extra, ", ".join([
        _core("web", act), "url AS url",
        f"{_HOST} AS domain", "NULL::VARCHAR AS http_method",
        ("content" if content else "NULL::VARCHAR") + " AS content"]))


_PSYCHOMETRIC = Layout(
    "psychometric", "entities/psychometric",
    (("employee_name", V), ("user_id", V), ("O", SI), ("C", SI), ("E", SI), ("A", SI),
     ("N", SI)),
    'user_id AS "user", employee_name AS name, "O", "C", "E", "A", "N"',
    "CASE WHEN user_id IS NULL THEN 'field user_id: empty' END", "employee_name")


def _ldap(with_projects: bool) -> Layout:
    cols = [("employee_name", V), ("user_id", V), ("email", V), ("role", V)]
    if with_projects:
        cols.append(("projects", V))
    cols += [("business_unit", V), ("functional_unit", V), ("department", V), ("team", V),
             ("supervisor", V)]
    select = ", ".join([
        "'ldap:' || strftime($as_of::DATE, '%Y-%m-%d') || ':' || s.user_id "
        "AS observation_id", "'ldap' AS source", "$as_of::DATE AS as_of",
        "s.user_id AS \"user\"", "s.employee_name AS name", "s.email AS email",
        "s.department AS department", "s.team AS team", "s.role AS role",
        "/*MANAGER*/ m.user_id AS manager", "NULL::VARCHAR AS region",
        "NULL::VARCHAR AS country", "NULL::DATE AS employment_start",
        "NULL::DATE AS notice_date", "NULL::DATE AS end_date",
        "NULL::VARCHAR[] AS watchlists"])
    return Layout("ldap", "entities/people_observations", tuple(cols), select,
                  "CASE WHEN s.user_id IS NULL THEN 'field user_id: empty' END",
                  "employee_name")


LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "logon": (_LOGON,),
    "device": (_device(True), _device(False)),
    "file": (_file(True), _file(False)),
    "email": (_email(True), _email(False)),
    "http": (_http(True, True), _http(False, True), _http(True, False), _http(False, False)),
    "psychometric": (_PSYCHOMETRIC,),
    "ldap": (_ldap(True), _ldap(False)),
}

_READ = (
    "read_csv($path, header = $header, auto_detect = false, delim = ',', quote = '\"', "
    "escape = '\"', columns = $columns, timestampformat = $tformat, store_rejects = true, "
    "rejects_table = $rtable, rejects_scan = $rscan)"
)
_BOOK = "$file_no::INTEGER AS _file"


def select_sql(layout: Layout) -> str:
    """The query producing normalized rows plus `_file`, `_problem`, `_key`."""
    if layout.kind == "ldap":
        return (
            f"WITH s AS MATERIALIZED (SELECT * FROM {_READ}), "
            "m AS (SELECT employee_name, min(user_id) AS user_id FROM s GROUP BY 1) "
            f"SELECT {layout.select}, {_BOOK}, {layout.problem} AS _problem, "
            f"s.{layout.key} AS _key FROM s LEFT JOIN m ON s.supervisor = m.employee_name")
    source = _READ
    for columns in layout.prepare:
        source = f"(SELECT *, {columns} FROM {source})"
    return (f"SELECT {layout.select}, {_BOOK}, {layout.problem} AS _problem, "
            f"{layout.key} AS _key FROM {source}")
