"""First-time-ever indicators, decided only from earlier days of the whole history.

A flag is 1 on the first local day a person does the thing, provided the person has at
least `first_time_min_history_days` days of history before it (otherwise the start of the
data, or of a job, would flag everything).
"""

from __future__ import annotations

import ibis
from ibis.expr.types import Table

from watchkeeper.ueba.families import KEYS
from watchkeeper.ueba.timeclass import WORK

FIRST_FLAGS = ("first_usb", "first_after_hours_logon", "first_new_machine",
               "first_other_region_dataset")


def first_days(tables: list[Table]) -> Table:
    """(user, wk_first): each person's first active UTC day in any event table."""
    days = ibis.union(*[t.group_by("user").aggregate(wk_first=t.day.min()) for t in tables])
    return days.group_by("user").aggregate(wk_first=days.wk_first.min())


def _first_per(ev: Table, key: tuple[str, ...], name: str) -> Table:
    firsts = ev.group_by("user", *key).aggregate(wk_day=ev.wk_day.min())
    return firsts.group_by(*KEYS).aggregate(**{name: firsts.count()})


def first_flags(full: dict[str, Table], users_first: Table, min_history: int) -> list[Table]:
    """One (user, wk_day, first_x) table per flag whose event table is present."""
    found: list[Table] = []
    if "peripheral" in full:
        p = full["peripheral"]
        found.append(_first_per(p.filter(p.activity == "connect"), (), "first_usb"))
    if "authentication" in full:
        a = full["authentication"]
        logons = a.filter((a.activity == "logon") & (a.status.fill_null("success") != "failure"))
        found.append(_first_per(logons.filter(logons.wk_tc != WORK), (),
                                "first_after_hours_logon"))
        found.append(_first_per(logons.filter(logons.host.notnull()), ("host",),
                                "first_new_machine"))
    if "datastore" in full:
        d = full["datastore"]
        found.append(_first_per(d.filter(d.wk_other), ("dataset",), "first_other_region_dataset"))
    out = []
    for t in found:
        name = next(c for c in t.columns if c.startswith("first_"))
        j = t.join(users_first, "user")
        ok = j.wk_day >= j.wk_first + ibis.interval(days=min_history)
        out.append(j.filter(ok).select(*KEYS, **{name: ibis.literal(1)}))
    return out
