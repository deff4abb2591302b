"""Read a scoring run: the top people on a day, and why one person scores what they do.

The score of a person-day is checkable by hand from an `Explanation`::

    score = (anomaly + rule + external) x modifier x scenario_boost

where each source's value is its risk events decayed by the half-life and summed,
capped at the source's cap; `events` lists those events with their weight on the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from difflib import get_close_matches
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import NotFoundError
from watchkeeper.risk.alerts import top_reasons, weighed_events
from watchkeeper.risk.config import Source
from watchkeeper.risk.entity import decay_rate
from watchkeeper.risk.score import Behaviour, RiskResult
from watchkeeper.ueba.change import CHANGE_COLUMNS
from watchkeeper.ueba.change_words import describe
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.exfil import describe as describe_exfil


@dataclass(frozen=True)
class RiskRank:
    """One person in a ranking of a day."""

    user: str
    score: float
    rank: int
    scenario: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class WeighedEvent:
    """A risk event and what it still weighs on the explained day after decay."""

    day: dt.date
    source: str
    score: float
    weight: float
    reason: str


@dataclass(frozen=True)
class Deviation:
    """A behaviour feature that made a day unusual: its value against the baselines."""

    feature: str
    value: float
    self_baseline: float | None
    peer_baseline: float | None
    z: float
    family: str
    words: str = ""     # the deviation in a sentence where one is written
    # (change features: `ueba.change_words`; exfiltration: `ueba.exfil.describe`)


@dataclass(frozen=True)
class Evidence:
    """Where to look in the lake: an event class and a filter on it, in words."""

    event_class: str
    filter: str


@dataclass(frozen=True)
class AnomalousDay:
    """A day of unusual behaviour: its anomaly score, deviations and evidence."""

    day: dt.date
    score: float
    top_features: tuple[Deviation, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Modifiers:
    """What multiplies the summed sources: the person's situation on the day
    (`watchlist`: the largest factor of the watchlists in force)."""

    factor: float
    leaving: bool
    privileged: bool
    watchlist: float = 1.0


@dataclass(frozen=True)
class WatchModifier:
    """A watchlist entry of the person: who put them there (origin ``hr`` or
    ``analyst``), why, from and until when, its factor, and whether it `applies` on the
    explained day."""

    watchlist: str
    origin: str
    factor: float
    since: dt.date
    until: dt.date | None
    added_by: str | None
    reason: str | None
    applies: bool


@dataclass(frozen=True)
class MutedRule:
    """A rule a false-positive verdict stopped adding risk to the person: case
    `case_id` judged their alert false positive, so from `first_day` to `last_day` its
    `events` (up to the explained day) count nothing; `weight` is what they would still
    weigh on the day after decay (before caps)."""

    rule: str
    case_id: int
    judged_on: dt.date
    judged_by: str
    first_day: dt.date
    last_day: dt.date
    events: int
    weight: float


@dataclass(frozen=True)
class Explanation:
    """Why `user` scores `score` on `day`."""

    user: str
    day: dt.date
    score: float
    alert: bool
    threshold: float
    last_alert: dt.date | None
    forecast_14d: float
    by_source: dict[str, float]
    caps: dict[str, float | None]
    modifiers: Modifiers
    scenario: str | None
    scenario_title: str | None
    scenario_boost: float
    half_life_days: float
    events: tuple[WeighedEvent, ...]
    anomalies: tuple[AnomalousDay, ...]
    watchlists: tuple[WatchModifier, ...] = ()
    muted: tuple[MutedRule, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        for a in doc["anomalies"]:   # the lake's own name for the event class
            a["evidence"] = [{"class": e["event_class"], "filter": e["filter"]}
                             for e in a["evidence"]]
        return doc


def _day_rows(result: RiskResult, day: dt.date) -> pa.Table:
    return result.history.filter(pc.equal(result.history["day"], pa.scalar(day, pa.date32())))


def _events_of(result: RiskResult, user: str) -> list[tuple[dt.date, float, str]]:
    ev = result.events.filter(pc.equal(result.events["user"], user))
    return list(zip(ev["day"].to_pylist(), ev["score"].to_pylist(),
                    ev["reason"].to_pylist(), strict=True))


def check_day(result: RiskResult, day: dt.date) -> None:
    """A day outside the scored days is a mistake, not a day on which nobody scored."""
    days = result.history["day"]
    if len(days) == 0:
        raise NotFoundError("nothing scored yet; run `watchkeeper analyze` first")
    first, last = (v.as_py() for v in pc.min_max(days).values())
    if not first <= day <= last:
        raise NotFoundError(f"day {day.isoformat()} is outside the analysed days "
                            f"({first.isoformat()} to {last.isoformat()})")


def check_user(result: RiskResult, user: str) -> None:
    """A person never scored is a typo: say so, with the closest known ids."""
    users = result.history["user"].unique().to_pylist()
    if user in users:
        return
    close = get_close_matches(user, users, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFoundError(f"no person {user!r} among the {len(users):,} analysed people{hint}")


def top(result: RiskResult, day: dt.date, limit: int = 20) -> list[RiskRank]:
    """The `limit` riskiest people on `day`, with the strongest reasons of each."""
    check_day(result, day)
    rows = sorted(_day_rows(result, day).to_pylist(), key=lambda r: (-r["score"], r["user"]))
    ranked = [r for r in rows if r["score"] > 0][:limit]
    return [RiskRank(r["user"], r["score"], rank, r["scenario"], tuple(
        top_reasons(_events_of(result, r["user"]), day, result.config)))
        for rank, r in enumerate(ranked, start=1)]


def explain(result: RiskResult, behaviour: Behaviour | None, user: str,
            day: dt.date) -> Explanation:
    """Score breakdown by source, modifiers, scenario, contributing events, top anomalies."""
    check_day(result, day)
    check_user(result, user)
    rows = _day_rows(result, day).filter(pc.equal(_day_rows(result, day)["user"], user))
    if rows.num_rows == 0:
        raise NotFoundError(f"{user} was not present on {day.isoformat()} (not employed "
                            "or no activity recorded)")
    r = rows.to_pylist()[0]
    cfg = result.config
    titles = {t.name: t.title for t in cfg.scenarios}
    ev = result.events.filter(pc.equal(result.events["user"], user))
    watches = watch_modifiers(result.watches, user, day)
    return Explanation(
        user=user, day=day, score=r["score"], alert=r["alert"], threshold=cfg.threshold,
        last_alert=_last_alert(result, user, day), forecast_14d=r["p_alert_14d"],
        by_source={s.value: r[s.value] for s in Source},
        caps={s.value: cfg.source_caps.get(s) for s in Source},
        modifiers=Modifiers(r["modifier"], r["leaving"], r["privileged"],
                            max((w.factor for w in watches if w.applies), default=1.0)),
        scenario=r["scenario"], scenario_title=titles.get(r["scenario"] or ""),
        scenario_boost=r["boost"], half_life_days=cfg.half_life_days,
        events=tuple(WeighedEvent(*w) for w in weighed_events(ev, day, cfg.half_life_days)),
        anomalies=_top_anomalies(behaviour, user, day, int(2 * cfg.half_life_days)),
        watchlists=watches, muted=muted_rules(result.muted, user, day, cfg.half_life_days))


def watch_modifiers(watches: pa.Table, user: str, day: dt.date) -> tuple[WatchModifier, ...]:
    """The person's watchlist entries, those in force on `day` first."""
    rows = watches.filter(pc.equal(watches["user"], user)).to_pylist()
    out = [WatchModifier(w["watchlist"], w["origin"], w["factor"], w["since"], w["until"],
                         w["added_by"], w["reason"],
                         w["since"] <= day and (w["until"] is None or day <= w["until"]))
           for w in rows]
    return tuple(sorted(out, key=lambda w: (not w.applies, -w.factor, w.since, w.watchlist)))


def muted_rules(muted: pa.Table, user: str, day: dt.date,
                half_life_days: float) -> tuple[MutedRule, ...]:
    """The rules verdicts muted for the person that bear on `day`: its window covers the
    day, or what it muted would still weigh at least 0.01 then."""
    rate = decay_rate(half_life_days)
    groups: dict[tuple[str, int, dt.date, dt.date], list[dict[str, Any]]] = {}
    for m in muted.filter(pc.equal(muted["user"], user)).to_pylist():
        if m["day"] <= day:
            key = (m["rule"], m["case_id"], m["first_day"], m["last_day"])
            groups.setdefault(key, []).append(m)
    out = []
    for (rule, case_id, first, last), rows in groups.items():
        weight = sum(m["score"] * rate ** (day - m["day"]).days for m in rows)
        if first <= day <= last or weight >= 0.01:
            out.append(MutedRule(rule, case_id, rows[0]["judged_on"], rows[0]["judged_by"],
                                 first, last, len(rows), weight))
    return tuple(sorted(out, key=lambda m: (-m.weight, m.rule, m.case_id)))


def _last_alert(result: RiskResult, user: str, day: dt.date) -> dt.date | None:
    a = result.alerts
    mask = pc.and_(pc.equal(a["user"], user),
                   pc.less_equal(a["day"], pa.scalar(day, pa.date32())))
    days = a.filter(mask)["day"]
    return pc.max(days).as_py() if len(days) else None


def _top_anomalies(behaviour: Behaviour | None, user: str, day: dt.date,
                   lookback: int) -> tuple[AnomalousDay, ...]:
    if behaviour is None or behaviour.anomalies.num_rows == 0:
        return ()
    a = behaviour.anomalies
    since = pa.scalar(day - dt.timedelta(days=lookback), pa.date32())
    mask = pc.and_(pc.equal(a["user"], user),
                   pc.and_(pc.greater_equal(a["day"], since),
                           pc.less_equal(a["day"], pa.scalar(day, pa.date32()))))
    rows = sorted(a.filter(mask).to_pylist(), key=lambda x: -x["score"])[:5]
    words = _change_words(behaviour, user)
    return tuple(AnomalousDay(
        x["day"], x["score"],
        tuple(Deviation(f["feature"], f["value"], f.get("self_baseline"),
                        f.get("peer_baseline"), f["z"], f.get("family") or "",
                        words(f["feature"], x["day"])
                        or describe_exfil(f["feature"], f["value"], f.get("self_baseline"),
                                          f.get("peer_baseline")) or "")
              for f in x.get("top_features") or []),
        tuple(Evidence(e["class"], e["filter"]) for e in x.get("evidence") or []))
        for x in rows)


def _change_words(behaviour: Behaviour, user: str) -> Callable[[str, dt.date], str]:
    """Words for the change features of `user` (windows of the default `UebaConfig`)."""
    cfg = UebaConfig()
    feats = behaviour.features
    rows = feats.filter(pc.equal(feats["user"], user)) if feats.num_rows else feats

    def words(feature: str, day: dt.date) -> str:
        if feature not in CHANGE_COLUMNS or rows.num_rows == 0:
            return ""
        return describe(feature, rows, day, cfg.change_recent_days, cfg.change_trailing_days)

    return words
