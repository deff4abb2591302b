"""Alert intake: vendor payloads, mapped JSON and the workspace's own findings and risk
alerts, normalized to the one alert model (`watchkeeper.cases.model.AlertIn`).

Pure functions, no storage: the service stores what they return (see docs/cases.md).
"""

from watchkeeper.cases.intake.files import read_alert_files
from watchkeeper.cases.intake.mapped import AlertMapping, load_alert_mapping
from watchkeeper.cases.intake.own import DETECT, RISK, from_findings, from_risk_alerts
from watchkeeper.cases.intake.registry import FORMATS, parse_payload, recognize

__all__ = ["DETECT", "FORMATS", "RISK", "AlertMapping", "from_findings", "from_risk_alerts",
           "load_alert_mapping", "parse_payload", "read_alert_files", "recognize"]
