"""Evaluation jobs beyond scoring the stored history: the value of each source family,
measured against an answer key (`evaluate_by_source`) or without one (`sources_value`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.facade.feedback import FeedbackJobs

if TYPE_CHECKING:
    import pyarrow as pa

    from watchkeeper.evaluate.sources import BySourceReport, SourceRun
    from watchkeeper.ingest import ProgressFn
    from watchkeeper.risk.feedback import Feedback
    from watchkeeper.risk.sources import SourcesValue


class EvaluationJobs(FeedbackJobs):
    """`evaluate --by-source` and `sources value`."""

    def evaluate_by_source(
        self, answers: Path, dataset: str | None = None, *, progress: ProgressFn | None = None
    ) -> BySourceReport:
        """Analyse the lake again with each source family left out and each added to the
        base set (`evaluate.sources.plan`), score every run against the answer key and
        report each metric's change. Nothing is stored: the runs read the lake through a
        filtered view and keep their results in memory only."""
        from watchkeeper.evaluate import evaluate
        from watchkeeper.evaluate.sources import (
            BySourceReport,
            RunKind,
            RunResult,
            change,
            plan,
            present_families,
        )
        from watchkeeper.risk.sources import BASE

        step = progress or (lambda done, total, label: None)
        runs = plan(present_families(self.lake))
        people = self.lake.table("people").to_pyarrow()
        feedback = self.risk_feedback()
        results: list[RunResult] = []
        reference: dict[RunKind, dict[str, float | None]] = {}
        for n, run in enumerate(runs):
            step(n, len(runs), f"run {n + 1}/{len(runs)}: {run.label}")
            started = time.process_time()
            history, features = self._analyse_only(run, feedback)
            metrics = evaluate(history, answers, people, dataset, features).metrics()
            if run.kind in (RunKind.ALL, RunKind.BASE):
                reference[run.kind] = metrics
            ref = reference.get(RunKind.ALL if run.kind is RunKind.WITHOUT else RunKind.BASE)
            results.append(
                RunResult(
                    run.label,
                    run.kind,
                    run.family,
                    run.families,
                    metrics,
                    change(metrics, ref)
                    if ref is not None and run.kind in (RunKind.WITHOUT, RunKind.WITH)
                    else {},
                    round(time.process_time() - started, 1),
                )
            )
        step(len(runs), len(runs), "done")
        return BySourceReport(BASE, results)

    def _analyse_only(self, run: SourceRun, feedback: Feedback) -> tuple[pa.Table, pa.Table]:
        """Behaviour and risk over the families of `run`: the risk history and features."""
        from watchkeeper.evaluate.sources import FilteredLake
        from watchkeeper.risk.inputs import score_lake
        from watchkeeper.ueba import analyze_behaviour

        lake = FilteredLake(self.lake, run.families)
        try:
            behaviour = analyze_behaviour(lake)
            risk = score_lake(lake, behaviour, None, None, feedback)
            return risk.history, behaviour.features
        finally:
            lake.close()

    def sources_value(self) -> SourcesValue:
        """Each source family's share of the evidence behind the stored run's risk
        alerts and of its deviating features (`risk.sources`); no answer key needed."""
        from watchkeeper.risk.config import RiskConfig
        from watchkeeper.risk.sources import (
            FAMILIES,
            SourcesValue,
            alert_evidence,
            deviating_features,
            source_value,
        )

        stored = self.analysis
        config = RiskConfig.model_validate((stored.meta() or {}).get("risk_config", {}))
        alerts = stored.table("risk_alerts")
        evidence = alert_evidence(stored.table("risk_events"), alerts, config.half_life_days)
        deviations = deviating_features(stored.table("anomalies"), config.anomaly_min_z)
        rows = {f: sum(self.lake.rows(t) for t in tables) for f, tables in FAMILIES.items()}
        return SourcesValue(
            source_value(evidence, deviations, rows), alerts.num_rows, sum(deviations.values())
        )
