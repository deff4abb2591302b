"""Change detection: a person's recent days against their own earlier days.

Sparse sources (logons, email) say little on any one day; what gives an insider away is
that their habits *change*: evenings that were never worked, a colleague's PC used day
after day, first-time contacts. Each change feature compares the `change_recent_days`
up to and including a day (the recent window) with the `change_trailing_days` before
that window (the trailing window), for the same person:

- **shift indicators** ``change_*_shift``: the indicator (after-hours logon, a
  colleague's PC, mail to a personal address …) happened on `k` of the `n` active days
  of the recent window and on `t` of the `m` active days of the trailing window. The
  value is ``-log10 P(X >= k)`` for ``X ~ Binomial(n, p)`` with ``p = (t + 1) / (m + 2)``
  (Laplace's rule of succession: the person's own rate, never 0 or 1). It is set only on
  days the indicator happened, so it points at days with events to check.
- **hours shift** ``change_logon_hours_shift`` / ``change_email_hours_shift``: the shift
  indicator of "a logon (a sent mail) between h:00 and h+`HOURS_SPAN`:00", for the
  window of hours holding one of the day's events where it is largest: the evenings
  somebody starts to work, however their working hours were learned.
- **new-habit indicator** ``change_logon_new_hour_days``: on days with a logon in an
  hour of day the person used on none of the trailing window's days, the number of
  recent days with such a logon.
- **distribution distance** ``change_logon_hour_js`` / ``change_email_hour_js``: the
  Jensen-Shannon divergence (bits, 0-1) between the recent and the trailing window's
  hour-of-day histograms (days with a logon / a sent mail in each hour).

Every value is learned from the person's own data, and the detectors then compare it
with the person's own earlier values and their peers' (`baselines`), so "against peers"
comes for free. The only constants are the window lengths and the minimum history; see
docs/ueba.md for why they hold outside the simulator.

The daily inputs ``chg_logon_hours`` / ``chg_email_hours`` (a 24-bit mask of the local
hours with a logon / a sent mail) ride along in the feature table without being scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import comb

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from ibis.expr.types import Table

from watchkeeper.ueba.families import KEYS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

HOUR_MASKS = ("chg_logon_hours", "chg_email_hours")
HOURS_SPAN = 3    # hours of day pooled by the hours shift (see docs/ueba.md)


@dataclass(frozen=True)
class Shift:
    """A shift indicator: the daily column it counts (> 0) and what it says in words."""

    column: str
    words: str


SHIFTS: dict[str, Shift] = {
    "change_after_hours_shift": Shift("logon_after_hours",
                                      "logged on outside their working hours"),
    "change_weekend_shift": Shift("logon_weekend", "logged on at a weekend"),
    "change_other_pc_shift": Shift("logon_other_users_pc", "logged on to a colleague's PC"),
    "change_new_machine_shift": Shift("first_new_machine",
                                      "logged on to a machine for the first time"),
    "change_new_contact_shift": Shift("email_new_contacts",
                                      "mailed someone for the first time"),
    "change_ext_attach_shift": Shift("email_attachments_external",
                                     "sent attachments outside the company"),
    "change_personal_mail_shift": Shift("email_personal_recipients",
                                        "mailed a personal address"),
    "change_email_after_hours_shift": Shift("email_sent_after_hours",
                                            "sent mail outside their working hours"),
}
HOURS_SHIFTS = {"change_logon_hours_shift": "chg_logon_hours",
                "change_email_hours_shift": "chg_email_hours"}
CHANGE_COLUMNS = ("email_new_contacts", "change_logon_new_hour_days",
                  "change_logon_hour_js", "change_email_hour_js", *HOURS_SHIFTS, *SHIFTS)
# the event class behind each change column, for the explanations' evidence
CHANGE_CLASS = {c: "email" if "email" in c or "contact" in c or "mail" in c or "attach" in c
                else "authentication" for c in CHANGE_COLUMNS}


def hour_mask_family(ev: Table, name: str) -> Table:
    """(user, wk_day, `name`): the 24-bit mask of the local hours with events."""
    ev = ev.mutate(wk_h=(ev.wk_minute // 60).cast("int64"))
    per = ev.group_by(*KEYS, "wk_h").aggregate(wk_n=ev.count())
    return per.group_by(*KEYS).aggregate(
        **{name: (ibis.literal(2.0) ** per.wk_h.cast("float64")).sum()})


def change_families(tables: dict[str, Table]) -> list[Table]:
    """The hour masks of successful logons and of sent mail, from the prepared tables."""
    out = []
    if "authentication" in tables:
        a = tables["authentication"]
        ok = (a.activity == "logon") & (a.status.fill_null("success") != "failure")
        out.append(hour_mask_family(a.filter(ok), "chg_logon_hours"))
    if "email" in tables:
        m = tables["email"]
        out.append(hour_mask_family(m.filter(m.activity == "send"), "chg_email_hours"))
    return out


def bits(mask: F64) -> npt.NDArray[np.int32]:
    """(rows, 24) 0/1 matrix of the hours set in each mask."""
    m = mask.astype(np.int64)
    return ((m[:, None] >> np.arange(24)[None, :]) & 1).astype(np.int32)


def binomial_surprise(k: I64, n: I64, t: I64, m: I64) -> F64:
    """``-log10 P(X >= k)``, ``X ~ Binomial(n, (t + 1) / (m + 2))``; 0 where k = 0.

    Computed once per distinct (k, n, t, m): the counts are small, so rows repeat."""
    if len(k) == 0:
        return np.zeros(0)
    k, n, t, m = (np.asarray(x, dtype=np.int64) for x in (k, n, t, m))
    base = [int(x.max()) + 1 for x in (n, t, m)]
    key = ((k * base[0] + n) * base[1] + t) * base[2] + m
    uniq, inverse = np.unique(key, return_inverse=True)
    um = uniq % base[2]
    ut = uniq // base[2] % base[1]
    un = uniq // (base[2] * base[1]) % base[0]
    uk = uniq // (base[2] * base[1] * base[0])
    p = (ut + 1.0) / (um + 2.0)
    top = int(un.max(initial=0))
    table = np.asarray([[comb(x, j) for j in range(top + 1)] for x in range(top + 1)],
                       dtype=np.float64)
    tail = np.zeros(len(uk))
    for j in range(top + 1):
        term = table[un, j] * p ** j * (1.0 - p) ** np.maximum(un - j, 0)
        tail += np.where((j >= uk) & (j <= un), term, 0.0)
    out = -np.log10(np.clip(tail, 1e-300, 1.0))
    values = np.where(uk > 0, np.maximum(out, 0.0), 0.0)
    return np.asarray(values[inverse.reshape(-1)])


def js_divergence(a: F64, b: F64) -> F64:
    """Row-wise Jensen-Shannon divergence (bits) of two count matrices; 0 where either
    row is empty."""
    sa, sb = a.sum(axis=1, keepdims=True), b.sum(axis=1, keepdims=True)
    ok = (sa[:, 0] > 0) & (sb[:, 0] > 0)
    p = np.divide(a, sa, out=np.zeros_like(a), where=sa > 0)
    q = np.divide(b, sb, out=np.zeros_like(b), where=sb > 0)
    mid = (p + q) / 2.0

    def kl(x: F64) -> F64:
        r = np.divide(x, mid, out=np.ones_like(x), where=(x > 0) & (mid > 0))
        return np.asarray((x * np.log2(r)).sum(axis=1))

    return np.where(ok, np.clip((kl(p) + kl(q)) / 2.0, 0.0, 1.0), 0.0)


@dataclass(frozen=True)
class Windows:
    """Row ranges of each row's recent and trailing windows (rows sorted by user, day)."""

    recent_lo: I64
    trailing_lo: I64
    hi: I64          # one past the row itself
    mid: I64         # first row of the recent window

    def total(self, cum: npt.NDArray[np.int64], lo: I64, hi: I64) -> npt.NDArray[np.int64]:
        """Sums over rows [lo, hi) from a cumulative sum with a leading 0 row."""
        return np.asarray(cum[hi] - cum[lo])


def windows(users: I64, days: I64, recent: int, trailing: int) -> Windows:
    key = users * 1_000_000 + days
    hi = np.arange(1, len(key) + 1, dtype=np.int64)
    mid = np.searchsorted(key, key - recent, side="right").astype(np.int64)
    lo = np.searchsorted(key, key - recent - trailing, side="right").astype(np.int64)
    return Windows(mid, lo, hi, mid)


def _cum(x: npt.NDArray[np.int64] | npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    x2 = x.reshape(len(x), -1).astype(np.int64)
    return np.vstack([np.zeros((1, x2.shape[1]), np.int64), np.cumsum(x2, axis=0)])


def change_columns(users: I64, days: I64, cols: dict[str, F64], recent: int,
                   trailing: int, min_active: int) -> dict[str, F64]:
    """The windowed change features of every row from the daily columns `cols` (rows
    sorted by user and day; one row per active person-day). Rows whose trailing window
    holds fewer than `min_active` active days get 0."""
    n_rows = len(days)
    w = windows(users, days, recent, trailing)
    active = _cum(np.ones(n_rows, np.int64))[:, 0]
    n = w.total(active, w.mid, w.hi)
    m = w.total(active, w.trailing_lo, w.mid)
    ready = m >= min_active
    out: dict[str, F64] = {}
    for name, shift in SHIFTS.items():
        x = cols.get(shift.column)
        if x is None:
            out[name] = np.zeros(n_rows)
            continue
        cum = _cum((x > 0).astype(np.int64))[:, 0]
        k = w.total(cum, w.mid, w.hi)
        t = w.total(cum, w.trailing_lo, w.mid)
        out[name] = np.where(ready & (x > 0), binomial_surprise(k, n, t, m), 0.0)
    for name, mask in HOURS_SHIFTS.items():
        best = hours_shift(bits(cols.get(mask, np.zeros(n_rows))), w, n, m)[0]
        out[name] = np.where(ready, best, 0.0)
    for mask, js_name in (("chg_logon_hours", "change_logon_hour_js"),
                          ("chg_email_hours", "change_email_hour_js")):
        b = bits(cols.get(mask, np.zeros(n_rows)))
        cum = _cum(b)
        rec = (cum[w.hi] - cum[w.mid]).astype(np.float64)
        old = (cum[w.mid] - cum[w.trailing_lo]).astype(np.float64)
        out[js_name] = np.where(ready, js_divergence(rec, old), 0.0)
        if mask == "chg_logon_hours":
            out["change_logon_new_hour_days"] = np.where(
                ready, _new_hour_days(b, old > 0, users, days, recent), 0.0)
    return out


def span_hits(b: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """(rows, 24): 1 where a row has an hour in [h, h + HOURS_SPAN) (mod 24)."""
    hit = np.zeros(b.shape, dtype=np.int64)
    for d in range(HOURS_SPAN):
        hit |= np.roll(b, -d, axis=1).astype(np.int64)
    return hit


def hours_shift(b: npt.NDArray[np.int32], w: Windows, n: I64, m: I64
                ) -> tuple[F64, I64]:
    """Per row the largest shift indicator over the hour windows holding one of its
    hours, and the first hour of that window."""
    hit = span_hits(b)
    best = np.zeros(len(n))
    start = np.zeros(len(n), dtype=np.int64)
    cum = _cum(hit)
    for h in range(24):
        k = cum[w.hi, h] - cum[w.mid, h]
        t = cum[w.mid, h] - cum[w.trailing_lo, h]
        s = np.where(hit[:, h] > 0, binomial_surprise(k, n, t, m), 0.0)
        better = s > best
        best = np.where(better, s, best)
        start = np.where(better, h, start)
    return best, start


def _new_hour_days(b: npt.NDArray[np.int32], known: npt.NDArray[np.bool_], users: I64,
                   days: I64, recent: int) -> F64:
    """On rows with an hour outside `known` (the trailing window's hours), the number of
    recent rows with an hour outside it; 0 elsewhere."""
    novel_today = (b.astype(bool) & ~known).any(axis=1)
    count = np.zeros(len(days))
    for back in range(recent):
        j = np.arange(len(days)) - back
        ok = j >= 0
        jj = np.where(ok, j, 0)
        ok &= (users[jj] == users) & (days[jj] > days - recent)
        count += ok & (b[jj].astype(bool) & ~known).any(axis=1)
    return np.where(novel_today, count, 0.0)


def with_change(table: pa.Table, recent: int, trailing: int, min_active: int,
                since: date | None = None) -> pa.Table:
    """`table` (a feature table sorted by user and day) with its change columns computed
    (only on days >= `since` when given; earlier rows keep theirs)."""
    if table.num_rows == 0 or "chg_logon_hours" not in table.column_names:
        return table
    users = np.asarray(table["user"].combine_chunks().dictionary_encode().indices
                       .to_numpy(), dtype=np.int64)
    days = np.asarray(table["day"].cast(pa.int32()).to_numpy(zero_copy_only=False),
                      dtype=np.int64)
    needed = {s.column for s in SHIFTS.values()} | set(HOUR_MASKS)
    cols = {c: np.asarray(table[c].to_numpy(zero_copy_only=False), dtype=np.float64)
            for c in needed if c in table.column_names}
    new = change_columns(users, days, cols, recent, trailing, min_active)
    keep = None if since is None else days < (since - date(1970, 1, 1)).days
    for name, values in new.items():
        if name not in table.column_names:
            continue
        if keep is not None:
            old = np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=np.float64)
            values = np.where(keep, old, values)
        table = table.set_column(table.column_names.index(name), name, pa.array(values))
    return table
