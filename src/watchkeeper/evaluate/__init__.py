"""Evaluation against CERT-format answer keys (simulator runs and real CERT releases)."""

from watchkeeper.evaluate.answers import (
    AnswerKey,
    AnswerWarning,
    Incident,
    SkipReason,
    read_answer_key,
    read_insiders,
)
from watchkeeper.evaluate.metrics import average_precision, detection_at, roc_auc
from watchkeeper.evaluate.report import EvaluationReport, ScenarioMetrics, evaluate

__all__ = [
    "AnswerKey",
    "AnswerWarning",
    "EvaluationReport",
    "Incident",
    "ScenarioMetrics",
    "SkipReason",
    "average_precision",
    "detection_at",
    "evaluate",
    "read_answer_key",
    "read_insiders",
    "roc_auc",
]
