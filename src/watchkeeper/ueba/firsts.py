"""First-time-ever indicators, decided only from earlier days of the whole history.

A flag is 1 on the first local day a person does the thing, provided the person has at
least `first_time_min_history_days` days of history before it (otherwise the start of the
data, or of a job, would flag everything).

The first days themselves form one small table (flag, user, key, wk_day) kept between
runs (`FeatureState`); the flag ``active`` holds each person's first active UTC day. An
incremental run computes first days over the new events only and keeps the earlier of
the stored and the new day per (flag, user, key), which equals a computation over the
whole history.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis.expr.types import Table

from watchkeeper.ueba.timeclass import WORK

FIRST_FLAGS = ("first_usb", "first_after_hours_logon", "first_new_machine",
               "first_other_region_dataset")
FIRST_KEYS: dict[str, str | None] = {
    "first_usb": None, "first_after_hours_logon": None, "first_new_machine": "host",
    "first_other_region_dataset": "dataset"}
ACTIVE = "active"
FIRSTS_SCHEMA = pa.schema([("flag", pa.string()), ("user", pa.string()),
                           ("key", pa.string()), ("wk_day", pa.date32())])


def _flag_events(tables: dict[str, Table]) -> dict[str, Table]:
    found: dict[str, Table] = {}
    if "peripheral" in tables:
        p = tables["peripheral"]
        found["first_usb"] = p.filter(p.activity == "connect")
    if "authentication" in tables:
        a = tables["authentication"]
        logons = a.filter((a.activity == "logon") & (a.status.fill_null("success") != "failure"))
        found["first_after_hours_logon"] = logons.filter(logons.wk_tc != WORK)
        found["first_new_machine"] = logons.filter(logons.host.notnull())
    if "datastore" in tables:
        d = tables["datastore"]
        found["first_other_region_dataset"] = d.filter(d.wk_other)
    return found


def first_days(tables: dict[str, Table], raw: list[Table]) -> Table:
    """(flag, user, key, wk_day): the first local day of every flag's (user, key) in the
    localized `tables`, and each person's first UTC day (``active``) in the `raw` ones."""
    parts = []
    for name, ev in _flag_events(tables).items():
        column = FIRST_KEYS[name]
        key = ev[column].cast("string").fill_null("") if column else ibis.literal("")
        ev = ev.mutate(wk_key=key)
        parts.append(ev.group_by("user", "wk_key").aggregate(wk_first=ev.wk_day.min())
                     .select(flag=ibis.literal(name), user="user", key="wk_key",
                             wk_day="wk_first"))
    for t in raw:
        parts.append(t.group_by("user").aggregate(wk_first=t.day.min()).select(
            flag=ibis.literal(ACTIVE), user="user", key=ibis.literal(""), wk_day="wk_first"))
    return ibis.union(*parts)


def earliest(new: pa.Table, stored: pa.Table | None) -> pa.Table:
    """Per (flag, user, key) the earlier of the stored and the new first day."""
    both = new.select(FIRSTS_SCHEMA.names).cast(FIRSTS_SCHEMA)
    if stored is not None:
        both = pa.concat_tables([stored.select(FIRSTS_SCHEMA.names).cast(FIRSTS_SCHEMA), both])
    both = both.filter(pc.is_valid(both["user"]))
    out = both.group_by(["flag", "user", "key"]).aggregate([("wk_day", "min")])
    table = pa.table([out["flag"], out["user"], out["key"], out["wk_day_min"]],
                     schema=FIRSTS_SCHEMA)
    return table.sort_by([("flag", "ascending"), ("user", "ascending"), ("key", "ascending")])


def first_flags(firsts: pa.Table, min_history: int, start: date | None) -> pa.Table:
    """(user, wk_day, first_x …): 1 on a person's first day of each flag (days >= `start`)
    when they have `min_history` days of history before it."""
    active = firsts.filter(pc.equal(firsts["flag"], ACTIVE))
    since = dict(zip(active["user"].to_pylist(), active["wk_day"].to_pylist(), strict=True))
    hits: dict[tuple[str, date], set[str]] = {}
    rest = firsts.filter(pc.is_in(firsts["flag"], pa.array(FIRST_FLAGS)))
    for flag, user, day in zip(rest["flag"].to_pylist(), rest["user"].to_pylist(),
                               rest["wk_day"].to_pylist(), strict=True):
        first = since.get(user)
        if first is None or day < first + timedelta(days=min_history):
            continue
        if start is None or day >= start:
            hits.setdefault((user, day), set()).add(flag)
    keys = sorted(hits)
    cols: dict[str, pa.Array] = {
        "user": pa.array([k[0] for k in keys], pa.string()),
        "wk_day": pa.array([k[1] for k in keys], pa.date32())}
    for flag in FIRST_FLAGS:
        cols[flag] = pa.array(np.asarray([1.0 if flag in hits[k] else 0.0 for k in keys],
                                         dtype=np.float64))
    return pa.table(cols)
