"""Session (logon→logoff) and person-week views of the behaviour data."""

from __future__ import annotations

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from watchkeeper.lake import Lake


def session_table(lake: Lake) -> Table:
    """One row per logon followed by a logoff on the same host: user, host, start, end,
    minutes (UTC times; local classes are in the person-day ``session_*`` features)."""
    auth = lake.table("authentication")
    order = ibis.window(group_by=[auth.user, auth.host], order_by=auth.time)
    ev = auth.mutate(next_activity=auth.activity.lead().over(order),
                     next_time=auth.time.lead().over(order))
    s = ev.filter((ev.activity == "logon") & (ev.next_activity == "logoff"))
    return s.select("user", "host", start=s.time, end=s.next_time,
                    minutes=s.next_time.delta(s.time, unit="minute"))


def weekly_features(lake: Lake, features: pa.Table) -> pa.Table:
    """Person-week sums of the person-day features (week starts Monday)."""
    t = ibis.memtable(features)
    cols = [c for c in features.column_names if c not in ("user", "day")]
    t = t.mutate(week=t.day.truncate("W"))
    weekly = t.group_by("user", "week").aggregate(
        active_days=t.count(), **{c: t[c].sum() for c in cols})
    return lake.ibis().to_pyarrow(weekly.order_by("user", "week"))
