"""Evaluation against CERT-format answer keys (simulator runs and real CERT releases)."""

from watchkeeper.evaluate.answers import Incident, read_insiders
from watchkeeper.evaluate.metrics import average_precision, detection_at, roc_auc
from watchkeeper.evaluate.report import EvaluationReport, ScenarioMetrics, evaluate

__all__ = [
    "EvaluationReport",
    "Incident",
    "ScenarioMetrics",
    "average_precision",
    "detection_at",
    "evaluate",
    "read_insiders",
    "roc_auc",
]
