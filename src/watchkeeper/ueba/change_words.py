"""Change features in words a person can check against the events.

``describe`` recomputes, from one person's feature rows, the counts behind a change
feature on a day (the same windows as `change`), and says them:
"logged on outside their working hours on 9 of the last 14 days (10 active days);
before: 0 of 62 active days in the 90 days before".
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ueba.change import (
    HOURS_SHIFTS,
    HOURS_SPAN,
    SHIFTS,
    bits,
    hours_shift,
    js_divergence,
    span_hits,
    windows,
)


def columns() -> tuple[str, ...]:
    """The feature columns `describe` reads (besides ``user`` and ``day``): what a reader
    of the stored features needs to load to say change features in words."""
    return tuple(dict.fromkeys((*(s.column for s in SHIFTS.values()),
                                *HOURS_SHIFTS.values(), "chg_logon_hours",
                                "chg_email_hours", "email_new_contacts")))


def hour_ranges(hours: list[int]) -> str:
    """Hours of day as ranges: [21, 22, 23, 0, 1] -> '21:00-02:00'."""
    if not hours:
        return "none"
    hs = sorted(set(hours))
    runs: list[list[int]] = [[hs[0], hs[0]]]
    for h in hs[1:]:
        if h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == 23:   # across midnight
        runs[0][0] = runs[-1][0] - 24
        runs.pop()
    return ", ".join(f"{a % 24:02d}:00-{(b + 1) % 24:02d}:00" for a, b in runs)


def _window(rows: pa.Table, lo: date, hi: date) -> pa.Table:
    """Rows with lo < day <= hi."""
    d = rows["day"]
    return rows.filter(pc.and_(pc.greater(d, pa.scalar(lo, pa.date32())),
                               pc.less_equal(d, pa.scalar(hi, pa.date32()))))


def _col(t: pa.Table, name: str) -> np.ndarray:
    if name not in t.column_names:
        return np.zeros(t.num_rows)
    return np.asarray(t[name].to_numpy(zero_copy_only=False), dtype=np.float64)


def _hours(t: pa.Table, mask: str) -> np.ndarray:
    """Days with each hour of day (24 counts) in `t`."""
    return np.asarray(bits(_col(t, mask)).sum(axis=0), dtype=np.float64)


def describe(feature: str, rows: pa.Table, day: date, recent: int, trailing: int) -> str:
    """The change feature `feature` of the person whose feature rows are `rows`, on
    `day`, in words; '' for a feature that is not a change feature."""
    rec = _window(rows, day - timedelta(days=recent), day)
    old = _window(rows, day - timedelta(days=recent + trailing), day - timedelta(days=recent))
    before = f"the {trailing} days before"
    if feature in SHIFTS:
        s = SHIFTS[feature]
        k = int((_col(rec, s.column) > 0).sum())
        t = int((_col(old, s.column) > 0).sum())
        return (f"{s.words} on {k} of the last {recent} days ({rec.num_rows} active days); "
                f"before: {t} of {old.num_rows} active days in {before}")
    if feature in HOURS_SHIFTS:
        return _hours_words(feature, rows, day, rec, old, recent, trailing)
    if feature == "change_logon_new_hour_days":
        known = _hours(old, "chg_logon_hours") > 0
        b = bits(_col(rec, "chg_logon_hours")).astype(bool) & ~known
        new = [h for h in range(24) if b[:, h].any()]
        k = int(b.any(axis=1).sum())
        return (f"logged on between {hour_ranges(new)} on {k} of the last {recent} days; "
                f"before: 0 of {old.num_rows} active days in {before}")
    for name, mask, what in (("change_logon_hour_js", "chg_logon_hours", "logon"),
                             ("change_email_hour_js", "chg_email_hours", "sent-mail")):
        if feature == name:
            r, o = _hours(rec, mask), _hours(old, mask)
            js = float(js_divergence(r[None, :], o[None, :])[0])
            return (f"{what} hours of the last {recent} days differ from {before} "
                    f"(Jensen-Shannon {js:.2f} of 1): mostly {_top(r)} now, "
                    f"{_top(o)} before")
    if feature == "email_new_contacts":
        today = _window(rows, day - timedelta(days=1), day)
        n = int(_col(today, "email_new_contacts").sum())
        k = int((_col(rec, "email_new_contacts") > 0).sum())
        return (f"mailed {n} address{'es' if n != 1 else ''} never mailed before on this "
                f"day; first-time "
                f"contacts on {k} of the last {recent} days")
    return ""


def _top(counts: np.ndarray) -> str:
    """The hours holding at least half of the most common hour's days."""
    if counts.max(initial=0) <= 0:
        return "no hours"
    return hour_ranges([h for h in range(24) if counts[h] >= counts.max() / 2])


def _hours_words(feature: str, rows: pa.Table, day: date, rec: pa.Table, old: pa.Table,
                 recent: int, trailing: int) -> str:
    """The hour window the shift indicator picked on `day`, and its counts."""
    both = pa.concat_tables([old, rec])
    mask = HOURS_SHIFTS[feature]
    b = bits(_col(both, mask))
    days = np.asarray(both["day"].cast(pa.int32()).to_numpy(zero_copy_only=False),
                      dtype=np.int64)
    users = np.zeros(len(days), dtype=np.int64)
    w = windows(users, days, recent, trailing)
    n = w.hi - w.mid
    m = w.mid - w.trailing_lo
    _, start = hours_shift(b, w, n, m)
    h = int(start[-1]) if len(start) else 0
    hit = span_hits(b)[:, h] > 0
    k = int(hit[old.num_rows:].sum())
    t = int(hit[:old.num_rows].sum())
    verb = "logged on" if feature == "change_logon_hours_shift" else "sent mail"
    return (f"{verb} between {h:02d}:00 and {(h + HOURS_SPAN) % 24:02d}:00 on {k} of the "
            f"last {recent} days ({rec.num_rows} active days); before: {t} of "
            f"{old.num_rows} active days in the {trailing} days before")

