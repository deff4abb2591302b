"""`analyze`: behaviour analytics, then risk scoring; results kept in the workspace.

Results live under ``<workspace>/analytics/``: each run writes its tables (features,
anomalies, risk events, risk history, risk alerts, forecast, and the behaviour state an
incremental run continues from; Arrow IPC files) into a folder of its own,
then replaces ``current.json`` naming it, in one rename; readers see one whole run or
the previous one, never half. An incremental run computes behaviour only for days after
the last analysed day, reading only their events (the look-back its baselines need comes
from the stored features, deviations and state), keeps the stored days before them, and
rescores risk over the whole history (risk is cheap; its decay and alert episodes need
the whole trajectory). Its results equal a full run's over the same events.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

from watchkeeper.errors import WorkspaceError
from watchkeeper.lake import Lake
from watchkeeper.lake.lock import exclusive
from watchkeeper.lake.manifest import write_atomically
from watchkeeper.risk import RiskConfig, RiskResult, score_lake, top
from watchkeeper.risk.explain import RiskRank
from watchkeeper.risk.feedback import MUTED_SCHEMA, WATCH_SCHEMA, Feedback
from watchkeeper.risk.inputs import touched
from watchkeeper.ueba import BehaviourResult, UebaConfig, analyze_behaviour
from watchkeeper.ueba.features import FeatureState

TABLES = ("features", "anomalies", "risk_events", "risk_history", "risk_alerts", "forecast",
          "risk_muted", "risk_watch")
# Arrow IPC files: an order of magnitude faster to read and write than Parquet, which
# matters as every run reads and rewrites them; lz4 reads the explanation strings fastest
COMPRESSION = {"anomalies": "lz4"}
STEPS = 3   # behaviour, risk, storing: what `analyze` reports progress on


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
    top: list[RiskRank] = field(default_factory=list)
    muted_events: int = 0       # risk events false-positive verdicts took out
    watchlist_entries: int = 0  # watchlist entries (HR's and analysts') of scored people

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Stored:
    """A stored analysis run, read back as behaviour and risk results."""

    behaviour: BehaviourResult
    risk: RiskResult
    meta: dict[str, Any]


@dataclass(frozen=True)
class Anomalies:
    """The stored behaviour anomalies alone: what a risk explanation reads of behaviour
    analytics (`risk.score.Behaviour`; no features)."""

    anomalies: pa.Table
    features: pa.Table = field(default_factory=lambda: pa.table({}))


@dataclass(frozen=True)
class Explaining:
    """What `risk.explain` reads, from one stored run (`run`): its risk results and its
    anomalies, without the features and state a whole `load` also reads."""

    run: str
    risk: RiskResult
    behaviour: Anomalies


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
        return _read(self.root / meta["run"] / f"{name}.arrow")

    def save(self, tables: dict[str, pa.Table], meta: dict[str, Any]) -> None:
        run = f"run-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        folder = self.root / run
        folder.mkdir(parents=True)
        for name, table in tables.items():
            feather.write_feather(table, folder / f"{name}.arrow",
                                  compression=COMPRESSION.get(name, "zstd"))
        write_atomically(self.pointer, json.dumps({**meta, "run": run}, indent=1,
                                                  default=str).encode())
        for stale in self.root.glob("run-*"):  # superseded runs, and any a crash left
            if stale.name != run:
                shutil.rmtree(stale, ignore_errors=True)

    def optional(self, name: str) -> pa.Table | None:
        """A stored table, or None when the run has none of that name."""
        meta = self.meta()
        if meta is None:
            return None
        path = self.root / meta["run"] / f"{name}.arrow"
        return _read(path) if path.exists() or path.with_suffix(".parquet").exists() else None

    def state_tables(self) -> dict[str, pa.Table]:
        """The stored behaviour state (``state_*`` tables), if the run kept one."""
        meta = self.meta()
        if meta is None:
            return {}
        folder = self.root / meta["run"]
        return {p.stem: _read(p) for p in sorted([*folder.glob("state_*.arrow"),
                                                   *folder.glob("state_*.parquet")])}

    def behaviour(self) -> BehaviourResult:
        """The stored behaviour results, with the state an incremental run continues from."""
        meta = self.meta() or {}
        return BehaviourResult(self.table("features"), self.table("anomalies"),
                               meta.get("skipped", {}), meta.get("notes", {}),
                               state=FeatureState.from_tables(self.state_tables()),
                               zcache=self.optional("zcache"))

    def load(self) -> Stored:
        meta = self.meta() or {}
        behaviour = self.behaviour()
        risk = RiskResult(self.table("risk_events"), self.table("risk_history"),
                          self.table("risk_alerts"), self.table("forecast"),
                          RiskConfig.model_validate(meta.get("risk_config", {})),
                          *self._feedback())
        return Stored(behaviour, risk, meta)

    def _feedback(self) -> tuple[pa.Table, pa.Table]:
        """What feedback changed in the stored run (empty for runs stored before
        feedback was recorded)."""
        muted, watch = self.optional("risk_muted"), self.optional("risk_watch")
        return (muted if muted is not None else MUTED_SCHEMA.empty_table(),
                watch if watch is not None else WATCH_SCHEMA.empty_table())

    def explaining(self) -> Explaining:
        """The current run's risk results and anomalies, all from that one run."""
        meta = self.meta()
        if meta is None:
            raise WorkspaceError(f"{self.root.parent}: nothing analysed yet; run "
                                 "`watchkeeper analyze` first")
        run = str(meta["run"])
        tables = {n: _read(self.root / run / f"{n}.arrow")
                  for n in ("risk_events", "risk_history", "risk_alerts", "forecast",
                            "anomalies")}
        risk = RiskResult(tables["risk_events"], tables["risk_history"],
                          tables["risk_alerts"], tables["forecast"],
                          RiskConfig.model_validate(meta.get("risk_config", {})),
                          *self._feedback())
        return Explaining(run, risk, Anomalies(tables["anomalies"], self._word_columns(run)))

    def _word_columns(self, run: str) -> pa.Table:
        """The stored features' columns that change features are said in words from
        (`ueba.change_words.columns`), so case summaries say them as `risk explain` does
        without reading every feature."""
        from watchkeeper.ueba.change_words import columns
        path = self.root / run / "features.arrow"
        if not path.exists():
            path = path.with_suffix(".parquet")
            if not path.exists():
                return pa.table({})
            names = set(pq.read_schema(path).names)
            return pq.read_table(path, columns=[c for c in ("user", "day", *columns())
                                                if c in names])
        with pa.memory_map(str(path)) as source:
            names = set(pa.ipc.open_file(source).schema.names)
        return feather.read_table(path, columns=[c for c in ("user", "day", *columns())
                                                 if c in names])


def _read(path: Path) -> pa.Table:
    """A stored table: Arrow IPC (``.arrow``), or Parquet as runs before it wrote."""
    if path.exists():
        return feather.read_table(path)
    return pq.read_table(path.with_suffix(".parquet"))


def _before(table: pa.Table, day: date) -> pa.Table:
    return table.filter(pc.less(table["day"], pa.scalar(day, pa.date32())))


def _merge(old: BehaviourResult, new: BehaviourResult, since: date) -> BehaviourResult:
    features = pa.concat_tables([_before(old.features, since), new.features],
                                promote_options="default")
    anomalies = pa.concat_tables([_before(old.anomalies, since), new.anomalies],
                                 promote_options="default")
    return BehaviourResult(features, anomalies, {**old.skipped, **new.skipped},
                           {**old.notes, **new.notes}, new.timings, new.state, new.zcache)


def _touched(lake: Lake, store: AnalysisStore, since: date | None) -> pa.Table:
    """Data touched per person and UTC day: the stored days and the new ones."""
    old = store.optional("touched") if since is not None else None
    if since is None or old is None:
        return touched(lake)
    cut = since - timedelta(days=1)   # the UTC day the new local days may start on
    return pa.concat_tables([_before(old, cut), touched(lake, cut).cast(old.schema)])


def analyze(lake: Lake, store: AnalysisStore, *, full: bool = False,
            config: RiskConfig | None = None,
            behaviour_config: UebaConfig | None = None,
            progress: Callable[[int, int, str], None] | None = None,
            wait: float = 0.0, feedback: Feedback | None = None) -> AnalysisReport:
    """Analyse new days (or everything with `full`) and store the results; risk takes
    the analysts' `feedback` (false-positive verdicts, watchlists) into account.

    An incremental run reads only the new events: the look-back its baselines need comes
    from the stored features and the whole-history aggregates from the stored state, so
    its results equal those of a full run over the same events. `progress(done, total,
    step)` is called as each of its steps (behaviour, risk, storing) starts and at the end.
    One run at a time: a second waits up to `wait` seconds for the first (its results are
    the base of the next).
    """
    store.root.mkdir(parents=True, exist_ok=True)
    with exclusive(store.root / ".lock", wait, f"{store.root}: another Watchkeeper "
                   "process is analysing this workspace"):
        return _analyze(lake, store, full, config, behaviour_config, progress, feedback)


def _analyze(lake: Lake, store: AnalysisStore, full: bool, config: RiskConfig | None,
             behaviour_config: UebaConfig | None,
             progress: Callable[[int, int, str], None] | None,
             feedback: Feedback | None = None) -> AnalysisReport:
    step = progress or (lambda done, total, label: None)
    step(0, STEPS, "behaviour")
    meta = None if full else store.meta()
    since = date.fromisoformat(meta["last_day"]) + timedelta(days=1) if meta else None
    started = time.perf_counter()
    previous = store.behaviour() if meta is not None else None
    behaviour = analyze_behaviour(lake, since=since, previous=previous,
                                  config=behaviour_config)
    new_days = len(set(behaviour.features["day"].to_pylist()))
    if previous is not None and since is not None:
        behaviour = _merge(previous, behaviour, since)
    behaviour_s = time.perf_counter() - started
    step(1, STEPS, "risk")
    data = _touched(lake, store, since)
    risk = score_lake(lake, behaviour, config, data, feedback)
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
        top=top(risk, last, 10) if last else [], muted_events=risk.muted.num_rows,
        watchlist_entries=risk.watches.num_rows)
    step(2, STEPS, "storing")
    state = behaviour.state.tables() if behaviour.state is not None else {}
    if behaviour.zcache is not None:
        state["zcache"] = behaviour.zcache
    store.save({"features": behaviour.features, "anomalies": behaviour.anomalies,
                "risk_events": risk.events, "risk_history": risk.history,
                "risk_alerts": risk.alerts, "forecast": risk.forecast, "touched": data,
                "risk_muted": risk.muted, "risk_watch": risk.watches,
                **state},
               {"first_day": report.first_day, "last_day": report.last_day,
                "skipped": behaviour.skipped, "notes": behaviour.notes,
                "risk_config": cfg.model_dump(mode="json")})
    step(STEPS, STEPS, "done")
    return report
