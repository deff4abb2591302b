"""Person-day features: every family as Ibis expressions, materialized as one Arrow table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from watchkeeper.lake import Lake
from watchkeeper.ueba.catalog import FAMILY_CLASS, FIRST_CLASS, Catalog, catalog
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.context import Context, build_context
from watchkeeper.ueba.families import KEYS, file_family, logon_family, session_family, usb_family
from watchkeeper.ueba.families_comm import (
    datastore_family,
    datastore_prepare,
    email_family,
    web_family,
)
from watchkeeper.ueba.firsts import first_days, first_flags
from watchkeeper.ueba.timeclass import learned_hours, localize, with_time_class


@dataclass(frozen=True)
class FeatureSet:
    """Materialized features: ``table`` is (user, day, <columns float64>) sorted by both."""

    table: pa.Table
    columns: tuple[str, ...]
    families: dict[str, tuple[str, ...]]
    skipped: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)   # user -> region ('' unknown)

    def family_of(self, column: str) -> str:
        return Catalog(self.families).family_of(column)


def prepared_tables(ctx: Context) -> dict[str, Table]:
    """Every present event table, localized and time-classed, over its whole history."""
    local = {n: localize(ctx.lake.table(n), ctx.persons, ctx.regions, ctx.cfg, ctx.span)
             for n in sorted(ctx.present)}
    hours = None
    if "authentication" in local:  # small (one row a person): computed once, not per family
        hours = ibis.memtable(ctx.lake.ibis().to_pyarrow(
            learned_hours(local["authentication"], ctx.cfg)))
    out = {n: with_time_class(t, hours, ctx.cfg) for n, t in local.items()}
    if "datastore" in out:
        out["datastore"] = datastore_prepare(ctx, out["datastore"])
    return out


def _cut(t: Table, start: date | None) -> Table:
    if start is None:
        return t
    day = ibis.literal(start)
    return t.filter((t.day >= day - ibis.interval(days=1)) & (t.wk_day >= day))


def family_tables(ctx: Context, full: dict[str, Table]) -> list[Table]:
    cut = {n: _cut(t, ctx.start) for n, t in full.items()}
    makers: dict[str, Callable[[Table], Table]] = {
        "logon": lambda t: logon_family(ctx, t), "session": session_family,
        "usb": usb_family, "file": file_family, "email": lambda t: email_family(ctx, t),
        "web": lambda t: web_family(ctx, t), "datastore": datastore_family,
    }
    tables = [make(cut[FAMILY_CLASS[f]]) for f, make in makers.items()
              if FAMILY_CLASS[f] in cut]
    raw = [ctx.lake.table(n) for n in sorted(ctx.present)]
    firsts = ibis.memtable(ctx.lake.ibis().to_pyarrow(first_days(raw)))
    flags = first_flags(full, firsts, ctx.cfg.first_time_min_history_days)
    if ctx.start is not None:
        flags = [f.filter(f.wk_day >= ibis.literal(ctx.start)) for f in flags]
    return tables + flags


def combine(tables: list[Table], columns: tuple[str, ...]) -> Table:
    """Union the family tables on (user, day); a column a family lacks counts as 0."""
    parts = []
    for t in tables:
        have = set(t.columns)
        parts.append(t.select(
            user=t.user, day=t.wk_day,
            **{c: (t[c].cast("float64").fill_null(0.0) if c in have else ibis.literal(0.0))
               for c in columns}))
    u = ibis.union(*parts)
    u = u.filter(u.user.notnull() & u.day.notnull())
    return u.group_by("user", "day").aggregate(**{c: u[c].sum() for c in columns})


def skipped_families(ctx: Context, cat: Catalog) -> tuple[dict[str, str], dict[str, str]]:
    skipped = {f: f"no {cls} events in the lake" for f, cls in FAMILY_CLASS.items()
               if cls not in ctx.present}
    if not any(cls in ctx.present for cls in FIRST_CLASS.values()):
        skipped["first_time"] = "no peripheral, authentication or datastore events"
    notes = {}
    if not ctx.has_people:
        notes["people"] = "no people history: UTC time, no manager, peers = everyone"
    if not ctx.has_devices:
        notes["devices"] = "no devices table: own PC = most used PC; shared = several owners"
    return skipped, notes


def build_features(lake: Lake, cfg: UebaConfig | None = None,
                   start: date | None = None) -> FeatureSet:
    """Features for every person-day (local days >= `start` when given)."""
    cfg = cfg or UebaConfig()
    ctx = build_context(lake, cfg, start)
    if ctx is None:
        return empty_features(cfg)
    cat = catalog(ctx.categories)
    skipped, notes = skipped_families(ctx, cat)
    expr = combine(family_tables(ctx, prepared_tables(ctx)), cat.columns)
    table = lake.ibis().to_pyarrow(expr.order_by(*KEYS[:1], "day"))
    zones_t = lake.ibis().to_pyarrow(ctx.persons.select("user", "region"))
    zones = {u: r or "" for u, r in zip(zones_t["user"].to_pylist(),
                                        zones_t["region"].to_pylist(), strict=True)}
    return FeatureSet(table, cat.columns, cat.families, skipped, notes, zones)


def empty_features(cfg: UebaConfig) -> FeatureSet:
    from watchkeeper.ueba.categories import load_categories
    cat = catalog(load_categories(cfg.categories_path))
    schema = pa.schema([("user", pa.string()), ("day", pa.date32()),
                        *[(c, pa.float64()) for c in cat.columns]])
    skipped = {f: "no events in the lake" for f in cat.families}
    return FeatureSet(schema.empty_table(), cat.columns, cat.families, skipped)
