"""Retention: take the day partitions of event tables past their keeping time out of the
lake in one commit, except the rows of people under a legal hold on those days.

How long a row is kept depends on its class and the region it was recorded in (the
caller's `Days` function: settings ``[retention]``). A day ``D`` is past a keeping time
of ``n`` days on ``today`` when ``D < today - n``. A file whose rows are all past it and
none held is removed whole; a file with some rows to keep (a longer-kept region, a
person under hold) is rewritten with those rows only (`Transaction.rewrite`). Everything
changes in one commit whose summary lists the counts, or nothing does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.lake.manifest import DataFile
from watchkeeper.schema import CLASSES

if TYPE_CHECKING:
    from watchkeeper.lake.store import Lake
    from watchkeeper.lake.transaction import Transaction

Days = Callable[[str | None, str], int | None]  # (region, class) -> days kept, None: all
COMMIT_KIND = "retention-purge"


@dataclass(frozen=True)
class HeldSpan:
    """A person's rows from `first` to `last` (inclusive; None: open) that stay."""

    person: str
    first: date
    last: date | None = None

    def covers(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)


@dataclass(frozen=True)
class ClassPurge:
    """What a purge did (or would do) to one event table."""

    table: str
    files_removed: int
    files_rewritten: int
    rows_removed: int
    rows_held: int            # past retention but kept by a legal hold


@dataclass(frozen=True)
class RetentionReport:
    """A purge's counts; `commit` None when nothing changed or for a dry run."""

    today: date
    dry_run: bool
    classes: tuple[ClassPurge, ...]
    commit: int | None = None
    files: tuple[str, ...] = field(default=())   # lake files removed or rewritten

    @property
    def rows_removed(self) -> int:
        return sum(c.rows_removed for c in self.classes)

    @property
    def rows_held(self) -> int:
        return sum(c.rows_held for c in self.classes)


@dataclass(frozen=True)
class _Action:
    table: str
    file: DataFile
    remove: pa.BooleanArray | None   # None: every row goes
    removed: int
    held: int


def _day(f: DataFile) -> date:
    return date.fromisoformat(f.path.split("/")[-2].removeprefix("day="))


def _before(day: date, limit: date | None) -> bool:
    return limit is not None and day < limit


def _plan_file(lake: Lake, table: str, cls: str, f: DataFile, cutoff: Callable[
        [str | None], date | None], uniform: bool, holds: Sequence[HeldSpan],
               today: date) -> _Action | None:
    day = _day(f)
    held_people = {h.person for h in holds if h.covers(day)}
    if uniform and not held_people:
        limit = cutoff(None)
        if limit is None or day >= limit:
            return None
        return _Action(table, f, None, f.rows, 0)
    rows = pq.ParquetFile(lake.root / f.path).read(columns=["region", "user"])
    regions = rows["region"].to_pylist()
    limits = {r: cutoff(r) for r in set(regions)}
    past = pa.array([_before(day, limits[r]) for r in regions], pa.bool_())
    if not pc.any(past).as_py():
        return None
    held = pc.fill_null(pc.is_in(rows["user"], pa.array(sorted(held_people), pa.string())),
                        False)
    remove = pc.and_(past, pc.invert(held))
    removed = int(pc.sum(remove).as_py() or 0)
    kept_by_hold = int(pc.sum(pc.and_(past, held)).as_py() or 0)
    if removed == 0 and kept_by_hold == 0:
        return None
    return _Action(table, f, None if removed == f.rows else remove, removed, kept_by_hold)


def plan(lake: Lake, days: Days, regions: Sequence[str], holds: Sequence[HeldSpan],
         today: date) -> list[_Action]:
    """What a purge on `today` removes; `regions`: those with settings of their own."""
    actions: list[_Action] = []
    manifest = lake.manifest()
    for cls in CLASSES:
        name = f"events/{cls.value}"
        kept = {r: days(r, cls.value) for r in [None, *regions]}
        if all(v is None for v in kept.values()):
            continue

        def cutoff(region: str | None, cls: str = cls.value) -> date | None:
            n = days(region, cls)
            return None if n is None else today - timedelta(days=n)

        uniform = len(set(kept.values())) == 1
        shortest = min(v for v in kept.values() if v is not None)
        for f in manifest.files(name):
            if _day(f) >= today - timedelta(days=shortest):
                continue
            action = _plan_file(lake, name, cls.value, f, cutoff, uniform, holds, today)
            if action is not None:
                actions.append(action)
    return actions


def _report(actions: Sequence[_Action], today: date, dry_run: bool,
            commit: int | None = None) -> RetentionReport:
    counts: dict[str, Counter[str]] = {}
    for a in actions:
        c = counts.setdefault(a.table, Counter())
        c["removed" if a.remove is None else "rewritten"] += int(a.removed > 0)
        c["rows"] += a.removed
        c["held"] += a.held
    classes = tuple(ClassPurge(t, c["removed"], c["rewritten"], c["rows"], c["held"])
                    for t, c in sorted(counts.items()))
    files = tuple(a.file.path for a in actions if a.removed)
    return RetentionReport(today, dry_run, classes, commit, files)


def _apply(lake: Lake, txn: Transaction, a: _Action) -> None:
    if a.remove is None:
        txn.remove(a.table, [a.file.path])
        return
    rows = pq.ParquetFile(lake.root / a.file.path).read()
    txn.rewrite(a.table, a.file.path, rows.filter(pc.invert(a.remove)))


def purge(lake: Lake, days: Days, regions: Sequence[str], holds: Sequence[HeldSpan],
          today: date, *, dry_run: bool = False, wait: float = 0.0) -> RetentionReport:
    """Remove every event row past retention on `today` and under no hold, in one commit
    (a dry run only counts). Held rows of a day stay; so does the rest of the lake."""
    if dry_run:
        return _report(plan(lake, days, regions, holds, today), today, True)
    with lake.transaction(COMMIT_KIND, wait) as txn:
        actions = plan(lake, days, regions, holds, today)   # again, under the lock
        report = _report(actions, today, False)
        if not report.files:
            return report
        for a in actions:
            if a.removed:
                _apply(lake, txn, a)
        result = txn.commit({
            "kind": COMMIT_KIND, "today": today.isoformat(), "rows": report.rows_removed,
            "held": report.rows_held, "files": list(report.files),
            "holds": [f"{h.person}:{h.first}:{h.last or ''}" for h in holds]})
    return RetentionReport(today, False, report.classes, result.seq, report.files)


__all__ = ["COMMIT_KIND", "ClassPurge", "Days", "HeldSpan", "RetentionReport", "plan",
           "purge"]
