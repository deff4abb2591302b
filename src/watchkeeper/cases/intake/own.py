"""The workspace's own alerts → `AlertIn`: detection findings from the lake, and risk
alerts from the stored analysis.

- ``watchkeeper.detect``: one alert per finding row (the lake's ``finding`` class,
  `FINDING_SCHEMA`); ``source_ref`` is the finding id, the
  alert links that finding and, in ``extra``, the events behind it (``event_refs``).
- ``watchkeeper.risk``: one alert per risk alert row (`watchkeeper.risk.alerts.
  ALERTS_SCHEMA`); ``source_ref`` is ``<user>:<day>``, the description is the risk
  explanation (the alert's reasons), and with the risk events
  (`watchkeeper.risk.signals.EVENTS_SCHEMA`) the alert links the findings behind the
  person's risk over the `lookback_days` up to the day.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.cases.intake.node import extras
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.errors import IntakeError
from watchkeeper.risk.alerts import ALERTS_SCHEMA
from watchkeeper.schema.events import class_spec

FINDING_SCHEMA = class_spec("finding").schema
VENDOR = "watchkeeper"  # the `vendor` of our own rules' findings (detect.findings.VENDOR)
DETECT = "watchkeeper.detect"
RISK = "watchkeeper.risk"
# risk score → severity: the alert threshold is 0.6 (docs/risk.md); a score of 1 is a
# critical rule's worth of risk, 2 and more is several strong signals at once
_RISK_SEVERITY = ((1.0, Severity.MEDIUM), (2.0, Severity.HIGH))


def _require(table: pa.Table, schema: pa.Schema, what: str) -> None:
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise IntakeError(what, f"missing column(s): {', '.join(missing)}")


def from_findings(findings: pa.Table, *, vendor: str | None = VENDOR) -> list[AlertIn]:
    """Alerts for the lake's finding rows (those of `vendor`, or all when None)."""
    _require(findings, FINDING_SCHEMA, "findings")
    alerts = []
    for row in findings.select(FINDING_SCHEMA.names).to_pylist():
        if vendor is not None and row["vendor"] != vendor:
            continue
        when = _utc(row["time"])
        alerts.append(AlertIn(
            source=DETECT, source_ref=row["event_id"],
            title=row["title"] or row["rule_id"] or row["event_id"],
            severity=Severity.from_name(row["severity"] or ""), event_time=when,
            raw=_json(row), rule=row["title"], rule_id=row["rule_id"],
            subjects=tuple(v for v in (row["user"],) if v),
            hosts=tuple(v for v in (row["host"],) if v),
            first_seen=_utc(row["window_start"]) if row["window_start"] else when,
            last_seen=when, finding_ids=(row["event_id"],), region=row["region"],
            extra=extras(vendor=row["vendor"], tags=row["tags"] or [],
                         event_refs=" ".join(row["event_refs"] or []))))
    return alerts


def from_risk_alerts(alerts: pa.Table, events: pa.Table | None = None, *,
                     lookback_days: int = 14) -> list[AlertIn]:
    """Alerts for stored risk alerts; `events` (the risk events) adds the findings and
    the times behind each one."""
    _require(alerts, ALERTS_SCHEMA, "risk_alerts")
    by_user = _events_by_user(events)
    out = []
    for row in alerts.select(ALERTS_SCHEMA.names).to_pylist():
        user, day = row["user"], row["day"]
        behind = [e for e in by_user.get(user, [])
                  if day - timedelta(days=lookback_days) < e["day"] <= day]
        times = sorted(_utc(e["time"]) if e["time"] else _midnight(e["day"]) for e in behind)
        same_day = [_utc(e["time"]) for e in behind if e["day"] == day and e["time"]]
        score = float(row["score"])
        out.append(AlertIn(
            source=RISK, source_ref=f"{user}:{day.isoformat()}",
            title=_risk_title(user, score, row["scenario"]), severity=_risk_severity(score),
            event_time=max(same_day, default=_midnight(day)), raw=_json(row),
            rule=row["scenario"], rule_id=f"risk.{row['scenario']}" if row["scenario"]
            else "risk.threshold",
            description="; ".join(row["reasons"]), subjects=(user,),
            first_seen=times[0] if times else _midnight(day),
            last_seen=max(same_day, default=_midnight(day)),
            finding_ids=_finding_ids(behind),
            extra=extras(score=f"{score:.2f}", scenario=row["scenario"])))
    return out


def _events_by_user(events: pa.Table | None) -> dict[str, list[dict[str, Any]]]:
    if events is None:
        return {}
    for name in ("user", "day", "time", "refs"):
        if name not in events.column_names:
            raise IntakeError("risk_events", f"missing column(s): {name}")
    by_user: dict[str, list[dict[str, Any]]] = {}
    for row in events.select(["user", "day", "time", "refs"]).to_pylist():
        by_user.setdefault(row["user"], []).append(row)
    return by_user


def _finding_ids(events: list[dict[str, Any]]) -> tuple[str, ...]:
    refs = (r for e in events for r in e["refs"] or [])
    return tuple(dict.fromkeys(r.removeprefix("finding:") for r in refs
                               if r.startswith("finding:")))


def _risk_title(user: str, score: float, scenario: str | None) -> str:
    what = f"scenario {scenario}" if scenario else "risk above threshold"
    return f"Insider risk {score:.2f} for {user}: {what}"


def _risk_severity(score: float) -> Severity:
    for bound, severity in _RISK_SEVERITY:
        if score < bound:
            return severity
    return Severity.CRITICAL


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _json(row: Mapping[str, Any]) -> str:
    return json.dumps(dict(row), default=_iso, ensure_ascii=False, separators=(",", ":"))


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
