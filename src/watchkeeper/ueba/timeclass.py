"""Local time and time classes: working hours, after hours, weekend, per person.

A person's time zone comes from their region (`UebaConfig.timezones`); unknown region →
UTC. The UTC offset of each zone is piecewise constant, so it is written as one CASE over
the few offset changes inside the data's span, which runs on any Ibis engine.

Working hours: the region default (08:00-18:00) until a person has
`learn_hours_days` active weekdays with logons; from the day after those, their own hours
(median first logon - slack, median last logoff + slack) learned from those days only.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
from ibis.expr.types import IntegerValue, StringValue, Table, TimestampValue

from watchkeeper.ueba.config import UebaConfig

WORK, AFTER, WEEKEND = "work_hours", "after_hours", "weekend"
TIME_CLASSES = (WORK, AFTER, WEEKEND)


@functools.lru_cache(maxsize=64)
def offset_changes(tz: str, first: date, last: date) -> list[tuple[datetime, int]]:
    """(UTC instant, offset minutes from then on) for a zone over [first-2, last+2] days."""
    zone = ZoneInfo(tz)
    t = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=2)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=3)
    changes: list[tuple[datetime, int]] = []
    while t <= end:
        off = t.astimezone(zone).utcoffset()
        minutes = int(off.total_seconds() // 60) if off is not None else 0
        if not changes or changes[-1][1] != minutes:
            changes.append((t, minutes))
        t += timedelta(hours=1)
    return changes


def offset_expr(time: TimestampValue, region: StringValue, cfg: UebaConfig,
                span: tuple[date, date]) -> IntegerValue:
    """UTC offset in minutes of `time` in the zone of `region` (0 when unknown)."""
    branches = []
    for name, tz in cfg.timezones.items():
        changes = offset_changes(tz, *span)
        for instant, minutes in reversed(changes[1:]):
            branches.append(((region == name) & (time >= ibis.timestamp(instant)), minutes))
        branches.append((region == name, changes[0][1]))
    if not branches:
        return ibis.literal(0)
    return ibis.cases(*branches, else_=0)


def localize(events: Table, persons: Table, regions: Table, cfg: UebaConfig,
             span: tuple[date, date]) -> Table:
    """Events plus the person's region (from the people-history row valid on the event's
    UTC day, else their latest row), local day, local minute of day and weekday."""
    ev = events.left_join(persons.select("user", wk_latest="region"), "user")
    ev = ev.drop(*[c for c in ev.columns if c.endswith("_right")])
    ev = ev.left_join(regions, [ev.user == regions.wk_r_user, ev.day == regions.wk_r_day])
    ev = ev.mutate(wk_region=ev.wk_region_at.fill_null(ev.wk_latest)).drop(
        "wk_r_user", "wk_r_day", "wk_region_at", "wk_latest")
    local = ev.time + offset_expr(ev.time, ev.wk_region, cfg, span).as_interval("m")
    ev = ev.mutate(wk_local=local)
    return ev.mutate(
        wk_day=ev.wk_local.date(),
        wk_minute=ev.wk_local.hour() * 60 + ev.wk_local.minute(),
        wk_weekend=ev.wk_local.day_of_week.index() >= 5,
    ).drop("wk_local")


def hour_days(auth_local: Table) -> Table:
    """(user, wk_day, first, last): per weekday with authentication events, the first
    logon and the last event (local minutes) — what working hours are learned from."""
    return (auth_local.filter(~auth_local.wk_weekend)
            .group_by("user", "wk_day")
            .aggregate(first=auth_local.wk_minute.min(where=auth_local.activity == "logon"),
                       last=auth_local.wk_minute.max()))


def hours_from_days(days: Table, cfg: UebaConfig) -> Table:
    """(user, wk_start, wk_end, wk_learned_until) from `hour_days` rows: people with
    `learn_hours_days` weekdays, from their first ones."""
    rank = ibis.row_number().over(group_by="user", order_by="wk_day")
    days = days.mutate(wk_rank=rank).filter(ibis._.wk_rank < cfg.learn_hours_days)
    slack = cfg.learn_hours_slack_minutes
    hours = days.group_by("user").aggregate(
        n=days.wk_day.count(), wk_learned_until=days.wk_day.max(),
        wk_start=days["first"].median(), wk_end=days["last"].median())
    hours = hours.filter(hours.n >= cfg.learn_hours_days)
    return hours.select(
        "user", "wk_learned_until",
        wk_start=ibis.greatest(hours.wk_start - slack, 0).cast("int32"),
        wk_end=ibis.least(hours.wk_end + slack, 24 * 60).cast("int32"))


def learned_hours(auth_local: Table, cfg: UebaConfig) -> Table:
    """(user, wk_start, wk_end, wk_learned_until): own hours learned from early weekdays."""
    return hours_from_days(hour_days(auth_local), cfg)


def with_time_class(ev: Table, hours: Table | None, cfg: UebaConfig) -> Table:
    """Add ``wk_tc``: work_hours, after_hours or weekend, by the person's hours that day."""
    start: IntegerValue = ibis.literal(cfg.work_start_minute)
    end: IntegerValue = ibis.literal(cfg.work_end_minute)
    if hours is not None:
        ev = ev.left_join(hours, "user")
        ev = ev.drop(*[c for c in ev.columns if c.endswith("_right")])
        learned = ev.wk_learned_until.notnull() & (ev.wk_day > ev.wk_learned_until)
        start = ibis.ifelse(learned, ev.wk_start, start)
        end = ibis.ifelse(learned, ev.wk_end, end)
        ev = ev.mutate(wk_s=start, wk_e=end).drop("wk_start", "wk_end", "wk_learned_until")
        start, end = ev.wk_s, ev.wk_e
    tc = ibis.cases((ev.wk_weekend, WEEKEND),
                    ((ev.wk_minute >= start) & (ev.wk_minute < end), WORK), else_=AFTER)
    return ev.mutate(wk_tc=tc)
