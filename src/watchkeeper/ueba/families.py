"""Feature families over endpoint events: logons and machine classes, sessions, USB, files.

Each family turns a localized, time-classed event table (see `timeclass`) into one row per
(user, wk_day) with its feature columns; `features.build_features` joins the families.
"""

from __future__ import annotations

import ibis
from ibis.expr.types import BooleanValue, IntegerValue, Table

from watchkeeper.ueba.context import Context
from watchkeeper.ueba.timeclass import TIME_CLASSES, WORK

KEYS = ("user", "wk_day")


def by_time_class(ev: Table, prefix: str, where: BooleanValue | None = None,
                  value: IntegerValue | None = None) -> dict[str, IntegerValue]:
    """``prefix_work_hours``, ``prefix_after_hours``, ``prefix_weekend`` counts (or sums)."""
    out = {}
    for tc in TIME_CLASSES:
        cond = ev.wk_tc == tc if where is None else (ev.wk_tc == tc) & where
        out[f"{prefix}_{tc}"] = ev.count(where=cond) if value is None else value.sum(where=cond)
    return out


def logons(auth: Table) -> Table:
    return auth.filter(auth.activity == "logon")


def with_owners(ev: Table, owners: Table) -> Table:
    """`ev` with the `wk_owner` and `wk_shared` of its host (see `context.host_owners`)."""
    ev = ev.left_join(owners, "host")
    return ev.drop(*[c for c in ev.columns if c.endswith("_right")])


def on_others_pc(ev: Table) -> BooleanValue:
    """The event's host is another person's own PC (not shared), on `with_owners` rows."""
    return (ev.wk_owner.notnull() & (ev.wk_owner != ev.user)
            & ~ev.wk_shared.fill_null(False)).fill_null(False)


def logon_family(ctx: Context, auth: Table, owners: Table) -> Table:
    ev = with_owners(logons(auth), owners)
    ev = ev.left_join(ctx.persons.select("user", wk_manager="manager"), "user")
    ev = ev.drop(*[c for c in ev.columns if c.endswith("_right")])
    own = (ev.wk_owner == ev.user).fill_null(False)
    shared = ev.wk_shared.fill_null(False)
    other = on_others_pc(ev)
    manager = (ev.wk_owner == ev.wk_manager).fill_null(False) & other
    ok = ev.status.fill_null("success") != "failure"
    return ev.group_by(*KEYS).aggregate(
        logon_count=ev.count(where=ok),
        **by_time_class(ev, "logon", ok),
        logon_own_pc=ev.count(where=own & ok),
        logon_shared_pc=ev.count(where=shared & ok),
        logon_other_users_pc=ev.count(where=other & ok),
        logon_manager_pc=ev.count(where=manager & ok),
        logon_hosts=ev.host.nunique(),
        logon_failures=ev.count(where=~ok),
    )


def session_family(auth: Table) -> Table:
    """Logon→logoff sessions on the same host, counted on the local day they start."""
    order = ibis.window(group_by=[auth.user, auth.host], order_by=auth.time)
    ev = auth.mutate(next_activity=auth.activity.lead().over(order),
                     next_time=auth.time.lead().over(order))
    s = ev.filter((ev.activity == "logon") & (ev.next_activity == "logoff"))
    minutes = s.next_time.delta(s.time, unit="minute").cast("float64")
    s = s.mutate(wk_minutes=minutes)
    return s.group_by(*KEYS).aggregate(
        session_count=s.count(),
        session_minutes=s.wk_minutes.sum(),
        session_max_minutes=s.wk_minutes.max(),
        session_after_hours_minutes=s.wk_minutes.sum(where=s.wk_tc != WORK),
    )


def usb_family(dev: Table) -> Table:
    order = ibis.window(group_by=[dev.user, dev.host], order_by=dev.time)
    ev = dev.mutate(next_activity=dev.activity.lead().over(order),
                    next_time=dev.time.lead().over(order))
    connect = ev.activity == "connect"
    paired = connect & (ev.next_activity == "disconnect")
    minutes = ibis.ifelse(paired, ev.next_time.delta(ev.time, unit="minute"), 0)
    ev = ev.mutate(wk_minutes=minutes.cast("float64"))
    connect = ev.activity == "connect"
    return ev.group_by(*KEYS).aggregate(
        usb_connects=ev.count(where=connect),
        **by_time_class(ev, "usb_connects", connect),
        usb_minutes=ev.wk_minutes.sum(),
        usb_hosts=ev.host.nunique(where=connect),
    )


def file_family(files: Table) -> Table:
    act = files.activity
    to_rem = files.to_removable.fill_null(False)
    from_rem = files.from_removable.fill_null(False)
    return files.group_by(*KEYS).aggregate(
        file_ops=files.count(),
        **by_time_class(files, "file_ops"),
        file_open=files.count(where=act == "open"),
        file_write=files.count(where=act == "write"),
        file_copy=files.count(where=act == "copy"),
        file_delete=files.count(where=act == "delete"),
        file_print=files.count(where=act == "print"),   # print jobs, where a source logs them
        file_to_removable=files.count(where=to_rem),
        file_from_removable=files.count(where=from_rem),
        file_to_removable_after_hours=files.count(where=to_rem & (files.wk_tc != WORK)),
    )

