"""What the features need to know besides events: people, machines, the data's span."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from watchkeeper.lake import Lake, table_spec
from watchkeeper.ueba.categories import Categories, load_categories
from watchkeeper.ueba.config import UebaConfig, read_personal_domains

EVENT_CLASSES = ("authentication", "peripheral", "file", "email", "web", "datastore")


@dataclass(frozen=True)
class Context:
    """Inputs shared by every feature family for one run."""

    lake: Lake
    cfg: UebaConfig
    span: tuple[date, date]          # first and last UTC event day in the lake
    start: date | None               # first local day to compute (None: all)
    present: frozenset[str]          # event classes with rows
    persons: Table                   # user, region, manager (latest known row)
    regions: Table                   # wk_r_user, wk_r_day, wk_region_at (movers only)
    categories: Categories
    personal_domains: tuple[str, ...]
    has_devices: bool
    has_people: bool
    window: dict[str, Table] = field(default_factory=dict)  # events read, when cut
    window_users: dict[str, frozenset[str]] = field(default_factory=dict)

    def events(self, name: str) -> Table:
        """An event table, cut to the days needed (from one UTC day before the start, as
        local days begin there at the earliest); read once into memory when cut."""
        if name in self.window:
            return self.window[name]
        return since_day(self.lake.table(name), self.start)


def window_events(lake: Lake, name: str, start: date) -> Table:
    """`since_day` of an event table, reading only the files of the day partitions from
    one day before `start` on (binding every file of a long history costs more than a few
    days' rows). Falls back to the lake's whole table when the paths are not by day."""
    spec = table_spec(name)
    files = lake.manifest().files(spec.name)
    days = [_partition_day(f.path) for f in files]
    if lake.engine != "duckdb" or not files or any(d is None for d in days):
        return since_day(lake.table(name), start)
    first = start - timedelta(days=1)
    keep = [str(lake.root / f.path) for f, d in zip(files, days, strict=True)
            if d is not None and d >= first]
    if not keep:
        return since_day(lake.table(name), start)
    t = lake.ibis().read_parquet(keep, hive_partitioning=True, union_by_name=True)
    return since_day(t.select(*spec.schema.names, "day"), start)


def since_day(t: Table, start: date | None) -> Table:
    """Raw events from one UTC day before `start` (everything without a start)."""
    if start is None:
        return t
    return t.filter(t.day >= ibis.literal(start) - ibis.interval(days=1))


def _partition_day(path: str) -> date | None:
    """The day of a ``…/day=YYYY-MM-DD/…`` partition path, if it is one."""
    match = re.search(r"/day=(\d{4}-\d{2}-\d{2})/", path)
    return date.fromisoformat(match.group(1)) if match else None


def data_span(lake: Lake, present: frozenset[str]) -> tuple[date, date] | None:
    """First and last event day over all event tables with rows: from the manifest's
    partition paths when every file has one (no scan), else by a query."""
    files = [f.path for n in sorted(present) for f in lake.manifest().files(table_spec(n).name)]
    days = [_partition_day(p) for p in files]
    if days and all(d is not None for d in days):
        known = [d for d in days if d is not None]
        return min(known), max(known)
    lows, highs = [], []
    for name in sorted(present):
        t = lake.table(name)
        row = lake.ibis().to_pyarrow(t.aggregate(lo=t.day.min(), hi=t.day.max())).to_pylist()[0]
        lows.append(row["lo"])
        highs.append(row["hi"])
    return (min(lows), max(highs)) if lows else None


def persons(lake: Lake) -> Table:
    """One row per person: region and manager from their latest people-history row."""
    if lake.rows("people") == 0:
        return ibis.memtable(pa.table({"user": pa.array([], pa.string()),
                                       "region": pa.array([], pa.string()),
                                       "manager": pa.array([], pa.string())}))
    p = lake.table("people")
    rank = ibis.row_number().over(group_by="user", order_by=ibis.desc(p.valid_from))
    p = p.mutate(wk_rank=rank).filter(ibis._.wk_rank == 0)
    return p.select("user", "region", "manager")


def region_days(lake: Lake, span: tuple[date, date]) -> Table:
    """(wk_r_user, wk_r_day, wk_region_at): the region valid on each UTC day of the span,
    only for people whose region changes (everyone else: their latest row). A small
    equi-join table, so localizing events stays a hash join."""
    cols = {"wk_r_user": pa.string(), "wk_r_day": pa.date32(), "wk_region_at": pa.string()}
    rows: list[dict[str, object]] = []
    if lake.rows("people") > 0:
        p = lake.table("people")
        hist = lake.ibis().to_pyarrow(p.select("user", "valid_from", "valid_to", "region"))
        by_user: dict[str, list[dict[str, Any]]] = {}
        for r in hist.to_pylist():
            by_user.setdefault(r["user"], []).append(r)
        for user, periods in sorted(by_user.items()):
            if len({r["region"] for r in periods}) > 1:
                rows += _days_of(user, sorted(periods, key=lambda r: r["valid_from"]), span)
    return ibis.memtable(pa.Table.from_pylist(rows, schema=pa.schema(cols)))


def _days_of(user: str, periods: list[dict[str, Any]],
             span: tuple[date, date]) -> list[dict[str, object]]:
    """One row per day of the span covered by a period (a later period wins)."""
    region: dict[date, str] = {}
    for r in periods:
        day = max(r["valid_from"], span[0] - timedelta(days=1))
        end = min(r["valid_to"] or span[1] + timedelta(days=1), span[1] + timedelta(days=1))
        while day < end:
            region[day] = r["region"]
            day += timedelta(days=1)
    return [{"wk_r_user": user, "wk_r_day": d, "wk_region_at": g}
            for d, g in sorted(region.items())]


def build_context(lake: Lake, cfg: UebaConfig, start: date | None,
                  read_window: bool = False) -> Context | None:
    """The run's context, or None when the lake holds no events at all. `read_window`:
    read the events from `start` into memory (few: an incremental run's new days)."""
    present = frozenset(n for n in EVENT_CLASSES if lake.rows(n) > 0)
    span = data_span(lake, present)
    if span is None:
        return None
    # an incremental run reads its few days of events once: every later query then runs
    # on memory instead of binding each table's many files again
    read = {} if start is None or not read_window else {
        n: lake.ibis().to_pyarrow(window_events(lake, n, start)) for n in sorted(present)}
    return Context(
        window={n: ibis.memtable(t) for n, t in read.items()},
        window_users={n: frozenset(t["user"].unique().drop_null().to_pylist())
                      for n, t in read.items()},
        lake=lake, cfg=cfg, span=span, start=start, present=present,
        persons=ibis.memtable(lake.ibis().to_pyarrow(persons(lake))),  # small: read once
        regions=region_days(lake, span),
        categories=load_categories(cfg.categories_path, cfg.category_domains),
        personal_domains=read_personal_domains(cfg.personal_domains_path),
        has_devices=lake.rows("devices") > 0, has_people=lake.rows("people") > 0)


def host_owners(ctx: Context, logons: Table | None) -> Table | None:
    """(host, wk_owner, wk_shared): the devices table, or each person's most used PC by
    `logons`; None without either."""
    if ctx.has_devices:
        d = ctx.lake.table("devices")
        return d.select("host", wk_owner=d.owner, wk_shared=d.shared.fill_null(False))
    if logons is None:
        return None
    counts = logons.group_by("user", "host").aggregate(n=logons.count())
    rank = ibis.row_number().over(group_by="user", order_by=[ibis.desc(counts.n), counts.host])
    top = counts.mutate(wk_rank=rank).filter(ibis._.wk_rank == 0)
    # a host that is several people's most used PC is treated as shared
    per_host = top.group_by("host").aggregate(owners=top.count(), wk_owner=top.user.min())
    return per_host.select("host", wk_owner=ibis.ifelse(per_host.owners == 1,
                                                        per_host.wk_owner, ibis.null("string")),
                           wk_shared=per_host.owners > 1)
