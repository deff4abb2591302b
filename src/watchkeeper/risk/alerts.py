"""Tables out of a scoring run: the person-day history and the risk alerts with reasons."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from watchkeeper.risk.config import RiskConfig, Source
from watchkeeper.risk.entity import decay_rate

if TYPE_CHECKING:
    from watchkeeper.risk.score import Scored

HISTORY_SCHEMA = pa.schema([
    pa.field("user", pa.string(), nullable=False),
    pa.field("day", pa.date32(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("alert", pa.bool_(), nullable=False),
    pa.field("scenario", pa.string()),
    *(pa.field(s.value, pa.float64(), nullable=False) for s in Source),
    pa.field("modifier", pa.float64(), nullable=False),
    pa.field("boost", pa.float64(), nullable=False),
    pa.field("leaving", pa.bool_(), nullable=False),
    pa.field("privileged", pa.bool_(), nullable=False),
    pa.field("p_alert_14d", pa.float64(), nullable=False),
])

ALERTS_SCHEMA = pa.schema([
    pa.field("user", pa.string(), nullable=False),
    pa.field("day", pa.date32(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("scenario", pa.string()),
    pa.field("reasons", pa.list_(pa.string()), nullable=False),
])


def history_table(s: Scored, config: RiskConfig) -> pa.Table:
    """Every present person-day, in user then day order."""
    names = [t.name for t in config.scenarios]
    ui, dj = np.nonzero(s.ctx.present)
    days = np.array([np.datetime64(s.grid.first, "D")]) + dj.astype("timedelta64[D]")
    which = s.which[ui, dj]
    cols: dict[str, Any] = {
        "user": pa.array(np.array(s.grid.users, dtype=object)[ui], pa.string()),
        "day": pa.array(days, pa.date32()),
        "score": s.score[ui, dj], "alert": s.fired[ui, dj],
        "scenario": pa.array([names[k] if k >= 0 else None for k in which.tolist()],
                             pa.string()),
    }
    cols.update({src.value: s.per_source[src][ui, dj] for src in Source})
    cols.update({"modifier": s.modifier[ui, dj], "boost": s.boost[ui, dj],
                 "leaving": s.ctx.leaving[ui, dj], "privileged": s.ctx.privileged[ui, dj],
                 "p_alert_14d": s.probability[ui, dj]})
    return pa.Table.from_pydict(cols, schema=HISTORY_SCHEMA)


def alerts_table(s: Scored, events: pa.Table, config: RiskConfig) -> pa.Table:
    """One row per alert episode opened, with the scenario and the strongest reasons."""
    by_user: dict[str, list[tuple[dt.date, float, str]]] = defaultdict(list)
    for user, day, score, reason in zip(events["user"].to_pylist(), events["day"].to_pylist(),
                                        events["score"].to_pylist(),
                                        events["reason"].to_pylist(), strict=True):
        by_user[user].append((day, score, reason))
    rows = []
    for i, j in zip(*np.nonzero(s.fired), strict=True):
        user, day = s.grid.users[i], s.grid.day(int(j))
        k = int(s.which[i, j])
        scenario = config.scenarios[k] if k >= 0 else None
        reasons = top_reasons(by_user[user], day, config)
        reasons += modifier_reasons(s, int(i), int(j), config)
        if scenario is not None:
            reasons.insert(0, f"scenario {scenario.name}: {scenario.title}")
        rows.append({"user": user, "day": day, "score": float(s.score[i, j]),
                     "scenario": scenario.name if scenario else None, "reasons": reasons})
    rows.sort(key=lambda r: (r["day"], r["user"]))
    return pa.Table.from_pylist(rows, schema=ALERTS_SCHEMA)


def top_reasons(events: list[tuple[dt.date, float, str]], day: dt.date,
                config: RiskConfig) -> list[str]:
    """Reasons of the events that weigh most on `day` after decay."""
    rate = decay_rate(config.half_life_days)
    weighed = [(score * rate ** (day - d).days, f"{d.isoformat()} {reason}")
               for d, score, reason in events if d <= day]
    weighed.sort(key=lambda w: (-w[0], w[1]))
    return [r for _, r in weighed[:config.reasons_per_alert]]


def weighed_events(events: pa.Table, day: dt.date, half_life_days: float,
                   smallest: float = 0.01) -> list[tuple[dt.date, str, float, float, str]]:
    """(day, source, score, weight on `day`, reason) of the events up to `day` that still
    weigh at least `smallest` after decay (before caps and the data-sensitivity factor),
    heaviest first."""
    rate = decay_rate(half_life_days)
    out = [(d, src, score, score * rate ** (day - d).days, reason)
           for d, src, score, reason in zip(
               events["day"].to_pylist(), events["source"].to_pylist(),
               events["score"].to_pylist(), events["reason"].to_pylist(), strict=True)
           if d <= day]
    out = [e for e in out if e[3] >= smallest]
    out.sort(key=lambda e: (-e[3], e[0], e[4]))
    return out


def modifier_reasons(s: Scored, i: int, j: int, config: RiskConfig) -> list[str]:
    out = []
    if s.ctx.leaving[i, j]:
        out.append(f"leaving per HR (x{config.leaving_factor:g})")
    if s.ctx.privileged[i, j]:
        out.append(f"privileged role (x{config.privileged_factor:g})")
    if s.ctx.watch_factor[i, j] > 1.0:
        day, user = s.grid.day(j), s.grid.users[i]
        lists = sorted({f"{w.watchlist} per {w.origin}" for w in s.watches
                        if w.user == user and w.covers(day)})
        out.append(f"watchlist {', '.join(lists)} (x{s.ctx.watch_factor[i, j]:g})")
    return out
