"""Behaviour analytics: person-day features, self and peer baselines, anomaly scores.

::

    features (Ibis over the lake) ─► baselines (self before the week, peers as of the day
        without the person; day and 7-day sums) ─► detectors (weighted tail surprise,
        robust deviations, model percentile) ─► explanations
"""

from watchkeeper.ueba.analyze import ANOMALY_SCHEMA, BehaviourResult, analyze_behaviour
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.features import FeatureSet, build_features
from watchkeeper.ueba.sessions import session_table, weekly_features

__all__ = [
    "ANOMALY_SCHEMA",
    "BehaviourResult",
    "FeatureSet",
    "UebaConfig",
    "analyze_behaviour",
    "build_features",
    "session_table",
    "weekly_features",
]
