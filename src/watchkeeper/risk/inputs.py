"""Read risk's inputs from the lake: findings, people history, sensitive data touched."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from watchkeeper.lake.store import Lake
from watchkeeper.risk.config import RiskConfig
from watchkeeper.risk.feedback import Feedback
from watchkeeper.risk.score import Behaviour, RiskResult, score_risk

_LEVELS = ("low", "medium", "high", "restricted")


def findings(lake: Lake) -> pa.Table:
    """Rule findings and external alerts (class `finding`); may be empty."""
    return lake.table("finding").to_pyarrow()


def people(lake: Lake) -> pa.Table:
    return lake.table("people").to_pyarrow()


def touched(lake: Lake, since: dt.date | None = None) -> pa.Table:
    """Per user-day the most sensitive data store accessed (catalog level, else the event's),
    on (UTC) days >= `since` when given.

    Columns: user, day, sensitivity.
    """
    ds, assets = lake.table("datastore"), lake.table("data_assets")
    if since is not None:
        ds = ds.filter(ds.day >= ibis.literal(since))
    joined = ds.left_join(assets, ds.dataset == assets.dataset)
    level = ibis.coalesce(joined.sensitivity_right, joined.sensitivity).lower()
    rank = ibis.cases(*((level == name, k) for k, name in enumerate(_LEVELS)), else_=-1)
    per_day = (joined.filter(joined.user.notnull())
               .group_by(["user", "day"]).aggregate(rank=rank.max()))
    name = ibis.cases(*((per_day["rank"] == k, lvl) for k, lvl in enumerate(_LEVELS)),
                      else_=ibis.null(str))
    return per_day.select("user", "day", sensitivity=name).to_pyarrow()


def score_lake(lake: Lake, behaviour: Behaviour, config: RiskConfig | None = None,
               data_touched: pa.Table | None = None,
               feedback: Feedback | None = None) -> RiskResult:
    """Score risk with findings, people history and data touched read from the lake
    (`data_touched`: the `touched` table when the caller has it already) and the
    analysts' `feedback` (verdicts and watchlists) the caller read from the store."""
    seen = data_touched if data_touched is not None else touched(lake)
    return score_risk(behaviour, findings(lake), people(lake), seen, config, feedback)
