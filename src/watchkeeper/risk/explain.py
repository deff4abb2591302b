"""Read a scoring run: the top people on a day, and why one person scores what they do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.risk.alerts import top_reasons
from watchkeeper.risk.config import Source
from watchkeeper.risk.score import Behaviour, RiskResult


def _day_rows(result: RiskResult, day: dt.date) -> pa.Table:
    return result.history.filter(pc.equal(result.history["day"], pa.scalar(day, pa.date32())))


def _events_of(result: RiskResult, user: str) -> list[tuple[dt.date, float, str]]:
    ev = result.events.filter(pc.equal(result.events["user"], user))
    return list(zip(ev["day"].to_pylist(), ev["score"].to_pylist(),
                    ev["reason"].to_pylist(), strict=True))


def top(result: RiskResult, day: dt.date, limit: int = 20) -> list[dict[str, Any]]:
    """The `limit` riskiest people on `day`: user, score, rank, scenario, reasons."""
    rows = sorted(_day_rows(result, day).to_pylist(), key=lambda r: (-r["score"], r["user"]))
    out = []
    for rank, r in enumerate((r for r in rows if r["score"] > 0), start=1):
        if rank > limit:
            break
        out.append({"user": r["user"], "score": r["score"], "rank": rank,
                    "scenario": r["scenario"],
                    "reasons": top_reasons(_events_of(result, r["user"]), day, result.config)})
    return out


def explain(result: RiskResult, behaviour: Behaviour | None, user: str,
            day: dt.date) -> dict[str, Any]:
    """Score breakdown by source, modifiers, scenario, contributing events, top anomalies."""
    rows = _day_rows(result, day).filter(pc.equal(_day_rows(result, day)["user"], user))
    if rows.num_rows == 0:
        return {"user": user, "day": day.isoformat(), "score": 0.0, "known": False}
    r = rows.to_pylist()[0]
    cfg = result.config
    return {
        "user": user, "day": day.isoformat(), "known": True, "score": r["score"],
        "alert": r["alert"], "forecast_14d": r["p_alert_14d"],
        "by_source": {s.value: r[s.value] for s in Source},
        "caps": {s.value: cfg.source_caps.get(s) for s in Source},
        "modifiers": {"factor": r["modifier"], "leaving": r["leaving"],
                      "privileged": r["privileged"]},
        "scenario": r["scenario"], "scenario_boost": r["boost"],
        "events": top_reasons(_events_of(result, user), day, cfg.model_copy(
            update={"reasons_per_alert": 10})),
        "anomalies": _top_anomalies(behaviour, user, day, int(2 * cfg.half_life_days)),
    }


def _top_anomalies(behaviour: Behaviour | None, user: str, day: dt.date,
                   lookback: int) -> list[dict[str, Any]]:
    if behaviour is None or behaviour.anomalies.num_rows == 0:
        return []
    a = behaviour.anomalies
    since = pa.scalar(day - dt.timedelta(days=lookback), pa.date32())
    mask = pc.and_(pc.equal(a["user"], user),
                   pc.and_(pc.greater_equal(a["day"], since),
                           pc.less_equal(a["day"], pa.scalar(day, pa.date32()))))
    rows = sorted(a.filter(mask).to_pylist(), key=lambda x: -x["score"])[:5]
    return [{"day": x["day"].isoformat(), "score": x["score"],
             "top_features": x.get("top_features") or [], "evidence": x.get("evidence") or []}
            for x in rows]
