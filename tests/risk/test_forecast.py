"""Early warning: labels, model fit, and that a day's forecast uses only the past."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.risk import RiskConfig, score_risk
from watchkeeper.risk.forecast import fit_logistic, labels

D0 = dt.date(2025, 1, 6)
TOP = pa.struct([("feature", pa.string()), ("value", pa.float64()),
                 ("self_baseline", pa.float64()), ("peer_baseline", pa.float64()),
                 ("z", pa.float64()), ("family", pa.string())])
SCHEMA = pa.schema([("user", pa.string()), ("day", pa.date32()), ("score", pa.float64()),
                    ("top_features", pa.list_(TOP))])


@dataclass(frozen=True)
class Behaviour:
    features: pa.Table
    anomalies: pa.Table


def test_labels_look_ahead_exactly_the_horizon() -> None:
    score = np.array([[0.0, 0.0, 0.0, 2.0, 0.0]])
    assert labels(score, 1.0, 2).tolist() == [[0.0, 1.0, 1.0, 0.0, 0.0]]


def test_logistic_fit_separates() -> None:
    x = np.array([[-2.0], [-1.0], [1.0], [2.0], [-1.5], [1.5]])
    y = np.array([0, 0, 1, 1, 1, 0], dtype=float)
    w = fit_logistic(x, y, l2=1.0)
    assert w[1] > 0


def _world(seed: int, days: int, users: int = 40) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for u in range(users):
        for n in range(days):
            if rng.random() < 0.08:
                feature = str(rng.choice(["usb_connects", "web_job", "logons"]))
                rows.append({"user": f"U{u:03d}", "day": D0 + dt.timedelta(days=n),
                             "score": float(rng.uniform(0.5, 1.0)),
                             "top_features": [{"feature": feature, "value": 3.0,
                                               "self_baseline": 0.0, "peer_baseline": 0.0,
                                               "z": 5.0, "family": "x"}]})
    return rows


def _history(rows: list[dict[str, object]]) -> pa.Table:
    anomalies = pa.Table.from_pylist(rows, schema=SCHEMA)
    features = anomalies.select(["user", "day"])
    cfg = RiskConfig(threshold=1.2, anomaly_scale="raw", anomaly_floor=0.5)
    return score_risk(Behaviour(features, anomalies), config=cfg).history


def test_forecast_for_a_day_ignores_later_data() -> None:
    rows = _world(3, 120)
    cut = D0 + dt.timedelta(days=80)
    later = [r for r in _world(9, 130) if r["day"] >= cut]  # type: ignore[operator]
    changed = [r for r in rows if r["day"] < cut] + later  # type: ignore[operator]
    a, b = _history(rows), _history(changed)
    p = a["p_alert_14d"].to_numpy()
    assert np.all((p >= 0) & (p <= 1)) and len(np.unique(np.round(p, 6))) > 10

    def before(t: pa.Table) -> pa.Table:
        return t.filter(pc.less(t["day"], pa.scalar(cut, pa.date32())))

    assert before(a).equals(before(b))
    assert not a.equals(b)
