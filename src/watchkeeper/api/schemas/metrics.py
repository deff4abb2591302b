"""Operations metrics as the API returns them (`GET /api/v1/metrics`), built from
`watchkeeper.ops.metrics.Metrics`. Times are UTC; durations are seconds."""

from __future__ import annotations

from datetime import datetime

from watchkeeper.api.schemas.fields import Public
from watchkeeper.api.schemas.shifts import ComplianceRowPublic


class ClockPublic(Public):
    """One clock: `measured` values, `unmeasured` ones (detect: unknown event time;
    others: not stopped yet), their median and 90th percentile in seconds."""

    measured: int
    unmeasured: int
    median_seconds: float | None
    p90_seconds: float | None


class VolumePublic(Public):
    key: str
    alerts: int
    suppressed: int
    in_cases: int


class VolumesPublic(Public):
    rules: list[VolumePublic]
    sources: list[VolumePublic]
    severities: list[VolumePublic]
    teams: list[VolumePublic]
    regions: list[VolumePublic]


class BacklogPublic(Public):
    open_cases: int
    case_median_age_seconds: float | None
    case_oldest_age_seconds: float | None
    untriaged_alerts: int
    alert_oldest_age_seconds: float | None


class HandoffStatsPublic(Public):
    handoffs: int
    acknowledged: int
    in_time: int
    late: int
    flagged: int
    open: int
    acknowledge: ClockPublic


class ConversionPublic(Public):
    alerts: int
    in_cases: int
    rate: float | None
    cases_from_alerts: int


class MetricsPublic(Public):
    period: str
    start: datetime
    end: datetime
    at: datetime
    team: str | None
    alerts: int
    cases: int
    detect: ClockPublic
    acknowledge: ClockPublic
    resolve: ClockPublic
    sla: ComplianceRowPublic
    sla_cases: int
    volumes: VolumesPublic
    backlog: BacklogPublic
    handoffs: HandoffStatsPublic
    conversion: ConversionPublic
