"""Violations over data-store access events: Ibis expressions, so DuckDB and Spark alike.

Six kinds, each a filter or join over the lake's ``datastore`` events:

- ``no_grant``: an access no allowing window covers (no grant, no allowing decision);
- ``expired_grant``: an access no window covers, after a window for the same person,
  action and store had ended (a grant that expired or was revoked);
- ``cross_region``: an access to a store of another region than the person's home
  region that holds personal data (sensitivity high or restricted), without a ticket
  (and, when windows are given, without an allowing window);
- ``volume``: reads, queries or exports beyond the person's usual daily volume (the mean
  of their own previous days) and their peers' (a quantile of the same role's
  person-days), on at least ``sustain_days`` days within ``window_days``;
- ``leaver``: an access after the person's last day of employment;
- ``movement``: an export from one region's store followed, within ``movement_hours``,
  by the same person writing into a store of another region.

The policy inputs come in as one explicit table of *allowing windows* (`WINDOW_SCHEMA`):
who (``principal``) may do what (``action``, ``*`` for any) to which store (``resource``,
``*`` for any) from ``start`` until ``end`` (null: open), and whether a grant or a
recorded allowing decision says so (``source``). Without it the two grant kinds are not
checked. Hits are grouped into one violation per kind, person, store and day, keeping
up to `max_refs` event ids (`watchkeeper.access.violations_store` stores them).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from ibis.expr.types import BooleanValue, Table

    from watchkeeper.lake.store import Lake

KINDS = ("no_grant", "expired_grant", "cross_region", "volume", "leaver", "movement")
READS = ("read", "query", "export")
WRITES = ("write", "import", "copy", "load", "insert", "upload")
ANY = "*"

WINDOW_SCHEMA = pa.schema([
    pa.field("principal", pa.string(), nullable=False),
    pa.field("action", pa.string(), nullable=False),
    pa.field("resource", pa.string(), nullable=False),
    pa.field("start", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("end", pa.timestamp("us", tz="UTC")),
    pa.field("source", pa.string(), nullable=False),  # grant | decision
])

HIT_COLUMNS = ("kind", "event_id", "user", "dataset", "day", "time", "records", "detail")


@dataclass(frozen=True)
class Thresholds:
    """How far beyond usual a volume must be, and how long a movement may take."""

    volume_factor: float = 3.0        # times the person's own mean of previous days
    peer_quantile: float = 0.95       # of the same role's person-days
    min_events: int = 5               # a day with fewer reads is never "beyond usual"
    self_days: int = 28               # previous active days the own mean looks at
    sustain_days: int = 3             # high days needed ...
    window_days: int = 7              # ... within this many days
    movement_hours: int = 24
    max_refs: int = 50                # event ids kept per violation
    # stores whose data residency rules bind: cross-region access to them is checked
    resident_levels: tuple[str, ...] = ("high", "restricted")


def windows_table(rows: list[dict[str, object]] | pa.Table) -> pa.Table:
    """Allowing windows as Arrow rows in `WINDOW_SCHEMA` (checks the columns)."""
    if isinstance(rows, pa.Table):
        return rows.select(WINDOW_SCHEMA.names).cast(WINDOW_SCHEMA)
    return pa.Table.from_pylist(rows, schema=WINDOW_SCHEMA)


def events(lake: Lake, first: date | None = None, last: date | None = None) -> Table:
    """The data-store events the checks read, on days `first` to `last` when given."""
    t = lake.table("datastore")
    if first is not None:
        t = t.filter(t.day >= first)
    if last is not None:
        t = t.filter(t.day <= last)
    return t.select("event_id", "time", "day", "user", "activity", "dataset",
                    "data_region", "record_count", "ticket", "sensitivity"
                    ).filter(t.user.notnull())


def _people(lake: Lake) -> Table:
    """One row per person: current home region and role, and the last day employed."""
    p = lake.table("people")
    return p.group_by("user").aggregate(
        home=p.region.upper().arbitrary(where=p.valid_to.isnull()),
        role=p.role.arbitrary(where=p.valid_to.isnull()),
        end_date=p.end_date.max())


def _with_regions(lake: Lake, ev: Table) -> Table:
    """Events with the store's region (catalog, else the event's) and the person's."""
    import ibis

    assets = lake.table("data_assets").select(asset="dataset", asset_region="region",
                                              asset_level="sensitivity")
    people = _people(lake)
    j = ev.left_join(assets, ev.dataset == assets.asset)
    j = j.left_join(people, j.user == people.user)
    region = ibis.coalesce(j.asset_region, j.data_region).upper()
    level = ibis.coalesce(j.asset_level, j.sensitivity).lower()
    return j.select(*ev.columns, store_region=region, store_level=level, home=j.home,
                    role=j.role, end_date=j.end_date)


def _hits(t: Table, kind: str, text: str | None = None) -> Table:
    """Hit rows of `kind`; the detail is `text`, else the table's ``wk_detail``."""
    import ibis

    return t.select(kind=ibis.literal(kind), event_id=t.event_id, user=t.user,
                    dataset=t.dataset.cast("string"), day=t.day, time=t.time,
                    records=t.record_count.fill_null(0).cast("int64"),
                    detail=ibis.literal(text, "string") if text is not None
                    else t.wk_detail)


def _covers(ev: Table, w: Table, *, ended: bool = False) -> list[BooleanValue]:
    """Join predicates: the window is this person's, for this action and store, and it
    covers the event's time (or, `ended`, it had ended by then)."""
    same = [w.principal == ev.user,
            (w.action == ANY) | (w.action == ev.activity),
            (w.resource == ANY) | (w.resource == ev.dataset)]
    if ended:
        return [*same, w.end.notnull(), w.end <= ev.time]
    return [*same, w.start <= ev.time, w.end.isnull() | (ev.time < w.end)]


def grant_hits(lake: Lake, ev: Table, windows: Table) -> tuple[pa.Table, pa.Table]:
    """(events no window covers, hits of kinds no_grant and expired_grant), in Arrow:
    the uncovered events are few, and run once (a query that used them twice would
    have the engine keep every event meanwhile)."""
    uncovered = ev.anti_join(windows, _covers(ev, windows)).to_pyarrow()
    u = arrow_table(lake, uncovered, "uncovered")
    w = windows.view()
    expired = u.semi_join(w, _covers(u, w, ended=True))
    w = windows.view()
    never = u.anti_join(w, _covers(u, w, ended=True))
    hits = _hits(expired, "expired_grant", "window ended before access").union(
        _hits(never, "no_grant", "no allowing grant or decision"))
    return uncovered, hits.to_pyarrow()


def region_hits(placed: Table, th: Thresholds) -> Table:
    """Accesses to another region's store holding personal data (sensitivity in
    `resident_levels`, from the catalog, else the event) without a ticket."""
    other = placed.filter(placed.home.notnull(), placed.store_region.notnull(),
                          placed.store_region != placed.home, placed.ticket.isnull(),
                          placed.store_level.isin(th.resident_levels))
    return _hits(other.mutate(wk_detail=other.home.concat(" person, ", other.store_region,
                                                          " store")), "cross_region")


def leaver_hits(placed: Table) -> Table:
    """Accesses after the person's last day employed."""
    import ibis

    gone = placed.filter(placed.end_date.notnull(), placed.day > placed.end_date)
    return _hits(gone.mutate(wk_detail=ibis.literal("after last day ").concat(
        gone.end_date.cast("string"))), "leaver")


def volume_days(placed: Table, th: Thresholds) -> Table:
    """Person-days of reads beyond usual, held for `sustain_days` of `window_days`."""
    import ibis

    reads = placed.filter(placed.activity.isin(READS))
    daily = reads.group_by(["user", "day", "role"]).aggregate(
        n=reads.count(), records=reads.record_count.fill_null(0).sum())
    own = ibis.window(group_by="user", order_by="day", rows=(-th.self_days, -1))
    daily = daily.mutate(own_n=daily.n.mean().over(own),
                         own_records=daily.records.mean().over(own))
    peers = daily.group_by("role").aggregate(
        peer_n=daily.n.quantile(th.peer_quantile),
        peer_records=daily.records.quantile(th.peer_quantile))
    d = daily.left_join(peers, daily.role.identical_to(peers.role))
    many = ((d.n >= th.min_events) & (d.n > th.volume_factor * d.own_n.fill_null(0))
            & (d.n > d.peer_n.fill_null(0)))
    big = ((d.records > th.volume_factor * d.own_records.fill_null(0))
           & (d.records > d.peer_records.fill_null(0)) & (d.n >= 1)
           & d.own_records.notnull())
    high = d.filter(many | big).select("user", "day", "n", "records", "own_n", "peer_n")
    back = ibis.window(group_by="user", order_by="day")
    high = high.mutate(earlier=high.day.lag(th.sustain_days - 1).over(back))
    span = ibis.interval(days=th.window_days - 1)
    return high.filter(high.earlier.notnull(), high.day - span <= high.earlier)


def volume_hits(lake: Lake, placed: Table, th: Thresholds) -> Table:
    """The reads of the person-days `volume_days` found (those, few, run first)."""
    days = arrow_table(lake, volume_days(placed, th).to_pyarrow(), "volume_days")
    reads = placed.filter(placed.activity.isin(READS))
    j = reads.join(days, [reads.user == days.user, reads.day == days.day])
    detail = (j.n.cast("string").concat(" reads; own mean ",
                                        j.own_n.fill_null(0).round(1).cast("string"),
                                        ", peers ", j.peer_n.fill_null(0).cast("string")))
    return _hits(j.select(*reads.columns, wk_detail=detail), "volume")


def movement_hits(placed: Table, th: Thresholds) -> Table:
    """Exports from one region's store and the writes into another's that followed."""
    import ibis

    out = placed.filter(placed.activity == "export", placed.store_region.notnull())
    into = placed.filter(placed.activity.isin(WRITES), placed.store_region.notnull())
    into = into.select(w_id=into.event_id, w_user=into.user, w_time=into.time,
                       w_dataset=into.dataset, w_region=into.store_region)
    j = out.join(into, [out.user == into.w_user, out.store_region != into.w_region,
                        into.w_time >= out.time,
                        into.w_time <= out.time + ibis.interval(hours=th.movement_hours)])
    pair = j.dataset.concat(" -> ", j.w_dataset)
    source = j.select(kind=ibis.literal("movement"), event_id=j.event_id, user=j.user,
                      dataset=pair, day=j.day, time=j.time,
                      records=j.record_count.fill_null(0).cast("int64"),
                      detail=j.store_region.concat(" to ", j.w_region))
    target = j.select(kind=ibis.literal("movement"), event_id=j.w_id, user=j.user,
                      dataset=pair, day=j.day, time=j.w_time, records=ibis.literal(0, "int64"),
                      detail=j.store_region.concat(" to ", j.w_region))
    return source.union(target, distinct=True)


HIT_SCHEMA = pa.schema([
    pa.field("kind", pa.string()), pa.field("event_id", pa.string()),
    pa.field("user", pa.string()), pa.field("dataset", pa.string()),
    pa.field("day", pa.date32()), pa.field("time", pa.timestamp("us", tz="UTC")),
    pa.field("records", pa.int64()), pa.field("detail", pa.string()),
])


def detect(lake: Lake, windows: Table | pa.Table | None = None, *,
           first: date | None = None, last: date | None = None,
           thresholds: Thresholds | None = None) -> pa.Table:
    """Every violation, one row per kind, person, store and day.

    Columns: kind, user, dataset, day, first_time, last_time, events, records, detail,
    event_refs (up to `max_refs` ids, sorted). Each check runs as a query of its own
    over the events (streamed: the engine never holds them all); their hits, few, are
    grouped last.
    """
    import ibis

    th = thresholds or Thresholds()
    ev = events(lake, first, last)
    parts: list[pa.Table] = []
    checked = ev
    if windows is not None:
        w = windows if not isinstance(windows, pa.Table) else \
            arrow_table(lake, windows_table(windows), "windows")
        uncovered, grants = grant_hits(lake, ev, w)
        parts.append(grants)
        checked = arrow_table(lake, uncovered, "checked")
    placed = _with_regions(lake, ev)
    for check in (region_hits(_with_regions(lake, checked), th), leaver_hits(placed),
                  volume_hits(lake, placed, th), movement_hits(placed, th)):
        parts.append(check.to_pyarrow())
    hits = arrow_table(lake, pa.concat_tables(
        [p.select(HIT_SCHEMA.names).cast(HIT_SCHEMA) for p in parts]), "hits")
    keyed = hits.mutate(wk_n=ibis.row_number().over(
        group_by=["kind", "user", "dataset", "day"], order_by=["time", "event_id"]))
    grouped = keyed.group_by(["kind", "user", "dataset", "day"]).aggregate(
        first_time=keyed.time.min(), last_time=keyed.time.max(), events=keyed.count(),
        records=keyed.records.sum(), detail=keyed.detail.min(),
        event_refs=keyed.event_id.collect(where=keyed.wk_n < th.max_refs))
    out = grouped.mutate(event_refs=grouped.event_refs.sort())
    return out.order_by(["day", "user", "kind", "dataset"]).to_pyarrow()


_names = itertools.count()


def arrow_table(lake: Lake, rows: pa.Table, prefix: str) -> Table:
    """Arrow rows as a table on the lake's backend (a memtable alone would run on Ibis's
    default backend, not on this lake's connection)."""
    import ibis

    con = lake.duckdb()
    if con is None:
        return ibis.memtable(rows)
    name = f"wk_{prefix}_{next(_names)}"
    con.register(name, rows)
    return lake.ibis().table(name)


__all__ = ["HIT_SCHEMA", "KINDS", "WINDOW_SCHEMA", "Thresholds", "arrow_table", "detect",
           "events", "windows_table"]
