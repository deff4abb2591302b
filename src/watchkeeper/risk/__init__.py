"""Insider risk: risk events, decayed entity risk, scenarios, alerts and early warning.

::

    anomalies ─┐
    findings  ─┼─► risk events ─► per-source decayed sums (capped) ─► x modifiers
    (external) ┘                                                     x scenario boost
                                                                     ─► alerts, forecast
"""

from watchkeeper.risk.config import (
    Context,
    ForecastConfig,
    RiskConfig,
    ScenarioTemplate,
    Source,
)
from watchkeeper.risk.explain import Explanation, RiskRank, explain, top
from watchkeeper.risk.history import HistorySummary, summarize
from watchkeeper.risk.inputs import findings, people, score_lake, touched
from watchkeeper.risk.score import Behaviour, RiskResult, score_risk

__all__ = [
    "Behaviour",
    "Context",
    "Explanation",
    "ForecastConfig",
    "HistorySummary",
    "RiskConfig",
    "RiskRank",
    "RiskResult",
    "ScenarioTemplate",
    "Source",
    "explain",
    "findings",
    "people",
    "score_lake",
    "score_risk",
    "summarize",
    "top",
    "touched",
]
