"""Person-day features: every family as Ibis expressions, materialized as one Arrow table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.expr.types import Table

from watchkeeper.lake import Lake
from watchkeeper.ueba.catalog import FAMILY_CLASS, FIRST_CLASS, Catalog, catalog
from watchkeeper.ueba.change import HOUR_MASKS, change_families
from watchkeeper.ueba.change_email import contact_firsts, new_contacts
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.context import Context, build_context, host_owners
from watchkeeper.ueba.exfil import add_windows
from watchkeeper.ueba.families import (
    KEYS,
    file_family,
    logon_family,
    logons,
    session_family,
    usb_family,
)
from watchkeeper.ueba.families_comm import (
    datastore_family,
    datastore_prepare,
    email_family,
    web_family,
)
from watchkeeper.ueba.firsts import earliest, first_days, first_flags
from watchkeeper.ueba.timeclass import hour_days, hours_from_days, localize, with_time_class


@dataclass(frozen=True)
class FeatureState:
    """Whole-history aggregates the features of new days need, kept between runs.

    ``hours``: learned working hours (user, wk_learned_until, wk_start, wk_end), None
    without logons; ``firsts``: first days (flag, user, key, wk_day), see `firsts`;
    ``pending``: the `hour_days` of people whose hours are not learned yet.
    """

    hours: pa.Table | None
    firsts: pa.Table
    pending: pa.Table | None = None

    def tables(self) -> dict[str, pa.Table]:
        """The state as named tables (``state_*``), for storage."""
        out = {"state_firsts": self.firsts}
        if self.hours is not None:
            out["state_hours"] = self.hours
        if self.pending is not None:
            out["state_pending"] = self.pending
        return out

    @classmethod
    def from_tables(cls, tables: dict[str, pa.Table]) -> FeatureState | None:
        """The state stored by `tables`, or None when it is not there."""
        if "state_firsts" not in tables:
            return None
        return cls(tables.get("state_hours"), tables["state_firsts"],
                   tables.get("state_pending"))


@dataclass(frozen=True)
class FeatureSet:
    """Materialized features: ``table`` is (user, day, <columns float64>) sorted by both."""

    table: pa.Table
    columns: tuple[str, ...]
    families: dict[str, tuple[str, ...]]
    skipped: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)   # user -> region ('' unknown)
    state: FeatureState | None = None

    def family_of(self, column: str) -> str:
        return Catalog(self.families).family_of(column)


@dataclass(frozen=True)
class Hours:
    """Learned working hours, and the weekdays of people still learning theirs."""

    learned: pa.Table | None
    pending: pa.Table | None


def _hours(ctx: Context, state: FeatureState | None) -> Hours:
    """Learned working hours: kept ones (learned from a person's first weekdays, they
    never change) plus those learned from the kept weekdays of everybody else and the
    new events. Without a kept state, from the whole history."""
    if "authentication" not in ctx.present:
        return Hours(None, None)
    con = ctx.lake.ibis()
    known = state.hours if state is not None else None
    if state is None or known is None or state.pending is None:   # the whole history
        local = localize(ctx.lake.table("authentication"), ctx.persons, ctx.regions,
                         ctx.cfg, ctx.span)
        days = con.to_pyarrow(hour_days(local))
        learned = con.to_pyarrow(hours_from_days(ibis.memtable(days), ctx.cfg))
        return Hours(learned, _pending(days, learned))
    window = localize(ctx.events("authentication"), ctx.persons, ctx.regions, ctx.cfg,
                      ctx.span)
    new = con.to_pyarrow(hour_days(window))
    new = new.filter(pc.invert(pc.is_in(new["user"], known["user"])))
    both = pa.concat_tables([state.pending.cast(new.schema), new])
    days = both.group_by(["user", "wk_day"]).aggregate([("first", "min"), ("last", "max")])
    days = pa.table({"user": days["user"], "wk_day": days["wk_day"],
                     "first": days["first_min"], "last": days["last_max"]}).cast(new.schema)
    fresh = con.to_pyarrow(hours_from_days(ibis.memtable(days), ctx.cfg))
    learned = pa.concat_tables([known.select(fresh.column_names).cast(fresh.schema), fresh])
    return Hours(learned, _pending(days, learned))


def _pending(days: pa.Table, learned: pa.Table) -> pa.Table:
    """The weekday rows of the people without learned hours."""
    return days.filter(pc.invert(pc.is_in(days["user"], learned["user"]))).sort_by(
        [("user", "ascending"), ("wk_day", "ascending")])


def prepared_tables(ctx: Context, hours: pa.Table | None) -> dict[str, Table]:
    """Every present event table, localized and time-classed, from one UTC day before
    the start (everything without a start)."""
    memo = ibis.memtable(hours) if hours is not None else None
    out = {n: with_time_class(localize(ctx.events(n), ctx.persons, ctx.regions, ctx.cfg,
                                       ctx.span), memo, ctx.cfg)
           for n in sorted(ctx.present)}
    if "datastore" in out:
        out["datastore"] = datastore_prepare(ctx, out["datastore"])
    return out


def _cut(t: Table, start: date | None) -> Table:
    return t if start is None else t.filter(t.wk_day >= ibis.literal(start))


def feature_state(ctx: Context, tables: dict[str, Table], hours: Hours,
                  old: FeatureState | None) -> FeatureState:
    """First days over the events read (and the stored state's), and learned hours."""
    raw = [ctx.events(n) for n in sorted(ctx.present)]
    new = ctx.lake.ibis().to_pyarrow(ibis.union(first_days(tables, raw),
                                                *contact_firsts(tables)))
    return FeatureState(hours.learned, earliest(new, old.firsts if old else None),
                        hours.pending)


def family_tables(ctx: Context, full: dict[str, Table], state: FeatureState) -> list[Table]:
    cut = {n: _cut(t, ctx.start) for n, t in full.items()}
    auth = cut.get("authentication")
    # who owns each host, for logons and mail on another person's PC: one table for both
    owners = host_owners(ctx, logons(auth) if auth is not None else None)
    makers: dict[str, Callable[[Table], Table]] = {
        **({"logon": lambda t: logon_family(ctx, t, owners)} if owners is not None else {}),
        "session": session_family,
        "usb": usb_family, "file": file_family,
        "email": lambda t: email_family(ctx, t, owners),
        "web": lambda t: web_family(ctx, t), "datastore": datastore_family,
    }
    tables = [make(cut[FAMILY_CLASS[f]]) for f, make in makers.items()
              if FAMILY_CLASS[f] in cut]
    flags = first_flags(state.firsts, ctx.cfg.first_time_min_history_days, ctx.start)
    contacts = new_contacts(state.firsts, ctx.cfg.first_time_min_history_days, ctx.start)
    return [*tables, *change_families(cut), ibis.memtable(flags), ibis.memtable(contacts)]


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
                   start: date | None = None, state: FeatureState | None = None
                   ) -> FeatureSet:
    """Features for every person-day (local days >= `start` when given).

    First-time flags and learned hours need the whole history: with `state` (kept from an
    earlier run over the days before `start`) only events from `start` on are read;
    without it, the whole history is. The returned set carries the updated state.
    """
    cfg = cfg or UebaConfig()
    old = state if start is not None else None
    ctx = build_context(lake, cfg, start, read_window=old is not None)
    if ctx is None:
        return empty_features(cfg)
    if old is None and start is not None:   # no kept state: whole-history aggregates
        full_ctx = replace(ctx, start=None, window={})
        hours = _hours(full_ctx, None)
        new_state = feature_state(full_ctx, prepared_tables(full_ctx, hours.learned), hours,
                                  None)
    else:
        hours = _hours(ctx, old)
    cat = catalog(ctx.categories)
    skipped, notes = skipped_families(ctx, cat)
    tables = prepared_tables(ctx, hours.learned)
    if old is not None or start is None:
        new_state = feature_state(ctx, tables, hours, old)
    expr = combine(family_tables(ctx, tables, new_state), (*cat.columns, *HOUR_MASKS))
    table = add_windows(lake.ibis().to_pyarrow(expr.order_by(*KEYS[:1], "day")))
    zones_t = lake.ibis().to_pyarrow(ctx.persons.select("user", "region"))
    zones = {u: r or "" for u, r in zip(zones_t["user"].to_pylist(),
                                        zones_t["region"].to_pylist(), strict=True)}
    return FeatureSet(table, cat.columns, cat.families, skipped, notes, zones, new_state)


def empty_features(cfg: UebaConfig) -> FeatureSet:
    from watchkeeper.ueba.categories import load_categories
    cat = catalog(load_categories(cfg.categories_path, cfg.category_domains))
    schema = pa.schema([("user", pa.string()), ("day", pa.date32()),
                        *[(c, pa.float64()) for c in (*cat.columns, *HOUR_MASKS)]])
    skipped = {f: "no events in the lake" for f in cat.families}
    return FeatureSet(schema.empty_table(), cat.columns, cat.families, skipped)
