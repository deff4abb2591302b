"""An SLA clock over a case's history: when it runs, on whose hours, how much has run,
and when it reaches its target. Pure, like `ops.hours`.

A clock starts when the case is created and runs except in its `stopped` intervals
(paused while waiting on an external party, resolved, or for good once acknowledged).
While it runs it counts on the hours of the team that owns the case at that moment
(`owners`): a business-hours clock moves only while the owner is on shift, and moves
on with the next owner's hours after a hand-off or a reassignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchkeeper.ops.hours import ZERO, Hours

Interval = tuple[datetime, datetime | None]   # end None: still open


@dataclass(frozen=True)
class Span:
    """A stretch in which the clock runs on one owner's `hours` (end None: running)."""

    start: datetime
    end: datetime | None
    hours: Hours


def spans(start: datetime, stopped: Sequence[Interval],
          owners: Sequence[tuple[datetime, Hours]]) -> list[Span]:
    """The stretches from `start` on in which the clock runs: outside every `stopped`
    interval, split where the owner changes (`owners`: (since, hours), oldest first;
    before the first change, the first owner's hours)."""
    if not owners:
        raise ValueError("a clock needs the hours of at least one owner")
    running = _complement(start, stopped)
    changes = sorted(owners, key=lambda o: o[0])
    found: list[Span] = []
    for begin, end in running:
        cursor = begin
        for since, _ in changes:
            if since > cursor and (end is None or since < end):
                found.append(Span(cursor, since, _owner(changes, cursor)))
                cursor = since
        found.append(Span(cursor, end, _owner(changes, cursor)))
    return found


def _complement(start: datetime, stopped: Sequence[Interval]) -> list[Interval]:
    running: list[Interval] = []
    cursor: datetime | None = start
    for begin, end in sorted(stopped, key=lambda i: i[0]):
        if cursor is None:
            break
        if end is not None and end <= cursor:
            continue
        if begin > cursor:
            running.append((cursor, begin))
        cursor = None if end is None else max(cursor, end)
    if cursor is not None:
        running.append((cursor, None))
    return running


def _owner(changes: Sequence[tuple[datetime, Hours]], at: datetime) -> Hours:
    current = changes[0][1]
    for since, hours in changes:
        if since <= at:
            current = hours
    return current


def elapsed(found: Sequence[Span], until: datetime) -> timedelta:
    """How much the clock has counted by `until`."""
    total = ZERO
    for s in found:
        if s.start >= until:
            break
        end = until if s.end is None else min(s.end, until)
        total += s.hours.business_time(s.start, end)
    return total


def reached(found: Sequence[Span], target: timedelta) -> datetime | None:
    """When the clock reaches `target`, if it runs on as it does now (None: it stopped
    before, or the owner has no on-shift time ahead)."""
    left = target
    for s in found:
        if s.end is None:
            return s.hours.add(s.start, left)
        part = s.hours.business_time(s.start, s.end)
        if part >= left:
            return s.hours.add(s.start, left)
        left -= part
    return None


__all__ = ["Interval", "Span", "elapsed", "reached", "spans"]
