"""`analyze`: behaviour analytics, then risk scoring; results kept in the workspace.

Results live under ``<workspace>/analytics/``: each run writes its tables (features,
anomalies, risk events, risk history, risk alerts, forecast) into a folder of its own,
then replaces ``current.json`` naming it, in one rename; readers see one whole run or
the previous one, never half. An incremental run computes behaviour only for days after
the last analysed day (with the look-back its baselines need), keeps the stored days
before them, and rescores risk over the whole history (risk is cheap; its decay and
alert episodes need the whole trajectory).
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.errors import WorkspaceError
from watchkeeper.lake import Lake
from watchkeeper.lake.manifest import write_atomically
from watchkeeper.risk import RiskConfig, RiskResult, score_lake, top
from watchkeeper.ueba import BehaviourResult, analyze_behaviour

TABLES = ("features", "anomalies", "risk_events", "risk_history", "risk_alerts", "forecast")


@dataclass
class AnalysisReport:
    """What one `analyze` run did and found."""

    people: int
    first_day: str | None
    last_day: str | None
    new_days: int
    alerts: int
    alerted_people: int
    incremental: bool
    skipped: dict[str, str]
    notes: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Stored:
    """A stored analysis run, read back as behaviour and risk results."""

    behaviour: BehaviourResult
    risk: RiskResult
    meta: dict[str, Any]


class AnalysisStore:
    """The analysis results of one workspace."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def pointer(self) -> Path:
        return self.root / "current.json"

    def meta(self) -> dict[str, Any] | None:
        if not self.pointer.exists():
            return None
        doc: dict[str, Any] = json.loads(self.pointer.read_text("utf-8"))
        return doc

    def table(self, name: str) -> pa.Table:
        meta = self.meta()
        if meta is None:
            raise WorkspaceError(f"{self.root.parent}: nothing analysed yet; run "
                                 "`watchkeeper analyze` first")
        return pq.read_table(self.root / meta["run"] / f"{name}.parquet")

    def save(self, tables: dict[str, pa.Table], meta: dict[str, Any]) -> None:
        run = f"run-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        folder = self.root / run
        folder.mkdir(parents=True)
        for name, table in tables.items():
            pq.write_table(table, folder / f"{name}.parquet", compression="snappy")
        write_atomically(self.pointer, json.dumps({**meta, "run": run}, indent=1,
                                                  default=str).encode())
        for stale in self.root.glob("run-*"):  # superseded runs, and any a crash left
            if stale.name != run:
                shutil.rmtree(stale, ignore_errors=True)

    def load(self) -> Stored:
        meta = self.meta() or {}
        behaviour = BehaviourResult(self.table("features"), self.table("anomalies"),
                                    meta.get("skipped", {}), meta.get("notes", {}))
        risk = RiskResult(self.table("risk_events"), self.table("risk_history"),
                          self.table("risk_alerts"), self.table("forecast"),
                          RiskConfig.model_validate(meta.get("risk_config", {})))
        return Stored(behaviour, risk, meta)


def _before(table: pa.Table, day: date) -> pa.Table:
    return table.filter(pc.less(table["day"], pa.scalar(day, pa.date32())))


def _merge(old: BehaviourResult, new: BehaviourResult, since: date) -> BehaviourResult:
    features = pa.concat_tables([_before(old.features, since), new.features],
                                promote_options="default")
    anomalies = pa.concat_tables([_before(old.anomalies, since), new.anomalies],
                                 promote_options="default")
    return BehaviourResult(features, anomalies, {**old.skipped, **new.skipped},
                           {**old.notes, **new.notes}, new.timings)


def analyze(lake: Lake, store: AnalysisStore, *, full: bool = False,
            config: RiskConfig | None = None) -> AnalysisReport:
    """Analyse new days (or everything with `full`) and store the results."""
    meta = None if full else store.meta()
    since = date.fromisoformat(meta["last_day"]) + timedelta(days=1) if meta else None
    started = time.perf_counter()
    behaviour = analyze_behaviour(lake, since=since)
    new_days = len(set(behaviour.features["day"].to_pylist()))
    if meta is not None and since is not None:
        behaviour = _merge(store.load().behaviour, behaviour, since)
    behaviour_s = time.perf_counter() - started
    risk = score_lake(lake, behaviour, config)
    days = behaviour.features["day"]
    last = pc.max(days).as_py() if len(days) else None
    first = pc.min(days).as_py() if len(days) else None
    cfg = config or RiskConfig()
    report = AnalysisReport(
        people=len(set(behaviour.features["user"].to_pylist())),
        first_day=str(first) if first else None, last_day=str(last) if last else None,
        new_days=new_days, alerts=risk.alerts.num_rows,
        alerted_people=len(set(risk.alerts["user"].to_pylist())) if risk.alerts.num_rows
        else 0, incremental=meta is not None, skipped=behaviour.skipped,
        notes=behaviour.notes,
        seconds={"behaviour": round(behaviour_s, 2),
                 "risk": round(time.perf_counter() - started - behaviour_s, 2)},
        top=top(risk, last, 10) if last else [])
    store.save({"features": behaviour.features, "anomalies": behaviour.anomalies,
                "risk_events": risk.events, "risk_history": risk.history,
                "risk_alerts": risk.alerts, "forecast": risk.forecast},
               {"first_day": report.first_day, "last_day": report.last_day,
                "skipped": behaviour.skipped, "notes": behaviour.notes,
                "risk_config": cfg.model_dump(mode="json")})
    return report
