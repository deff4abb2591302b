"""Risk scoring settings: one pydantic model whose defaults are documented in docs/risk.md."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Source(StrEnum):
    """Where a risk event came from."""

    ANOMALY = "anomaly"
    RULE = "rule"
    EXTERNAL = "external"


class Context(StrEnum):
    """Facts about a person on a day that a scenario template may require."""

    LEAVING = "leaving"
    PRIVILEGED = "privileged"


class ScenarioTemplate(BaseModel):
    """Signals that together, and in this order, tell a known insider story.

    Each step is a set of signal kinds (any one of them satisfies the step). The steps must
    be seen on non-decreasing days within `window_days`; the completing day and the
    `hold_days - 1` days after it get `boost` times their risk.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    steps: tuple[frozenset[str], ...]
    requires: frozenset[Context] = frozenset()
    excludes: frozenset[Context] = frozenset()
    score: float = Field(1.0, ge=0.0)
    window_days: int = Field(30, ge=1)
    hold_days: int = Field(14, ge=1)
    boost: float = Field(1.5, ge=1.0)


def _k(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


DEFAULT_SCENARIOS: tuple[ScenarioTemplate, ...] = (
    ScenarioTemplate(
        name="departing-data-theft", title="Data theft by a departing employee",
        steps=(_k("notice", "job_search"), _k("usb", "usb_after_hours", "cloud_upload",
                                              "leak_site", "personal_email")),
        requires=frozenset({Context.LEAVING}), window_days=60, boost=1.5),
    ScenarioTemplate(
        name="job-hunt-exfiltration", title="Job hunting, then data to removable media",
        steps=(_k("job_search"), _k("usb_after_hours", "cloud_upload", "leak_site",
                                    "removable_copy")), window_days=30, boost=1.5),
    ScenarioTemplate(
        name="data-leak", title="Data leak after hours",
        steps=(_k("after_hours"), _k("usb_after_hours", "cloud_upload", "leak_site")),
        window_days=7, boost=1.5),
    ScenarioTemplate(
        name="privileged-sabotage", title="Sabotage by a privileged user",
        steps=(_k("hacking_tool"), _k("other_pc", "manager_pc", "usb", "mass_email")),
        requires=frozenset({Context.PRIVILEGED}), window_days=14, boost=1.8),
    ScenarioTemplate(
        name="colleague-snooping", title="Files from a colleague's PC to personal mail",
        steps=(_k("other_pc", "manager_pc"), _k("personal_email")),
        excludes=frozenset({Context.PRIVILEGED}), window_days=2, boost=1.5, score=0.7),
    ScenarioTemplate(
        name="cross-region-misuse", title="Misuse of another region's user data",
        steps=(_k("other_region_export"),), window_days=14, boost=1.5),
)

# Rare features: any positive value on a day is a signal kind (scenario step) by itself.
DEFAULT_INDICATORS: dict[str, str] = {
    "first_usb": "usb",
    "first_after_hours_logon": "after_hours",
    "web_leak": "leak_site",
    "web_hacking": "hacking_tool",
    "web_job": "job_search",
    "web_cloud_uploads": "cloud_upload",
    "usb_connects_after_hours": "usb_after_hours",
    "file_to_removable_after_hours": "usb_after_hours",
    "file_to_removable": "removable_copy",
    "logon_manager_pc": "manager_pc",
    "logon_other_users_pc": "other_pc",
    "email_personal_recipients": "personal_email",
    "email_personal_other_users_pc": "foreign_pc_mail",
    "ds_other_region_exported": "other_region_export",
    "ds_sensitive_no_purpose_reads": "no_purpose",
}

DEFAULT_FEATURE_KINDS: dict[str, str] = {
    "change_after_hours_shift": "after_hours", "change_logon_new_hour_days": "after_hours",
    "change_logon_hours_shift": "after_hours",
    "change_email_after_hours_shift": "after_hours", "change_other_pc_shift": "other_pc",
    "change_new_machine_shift": "other_pc", "change_personal_mail_shift": "personal_email",
    "change_ext_attach_shift": "external_email",
    "first_after_hours_logon": "after_hours",
    "logon_after_hours": "after_hours",
    "first_usb": "usb",
    "usb_connects": "usb",
    "web_cloud": "cloud_upload",
    "web_cloud_uploads": "cloud_upload",
    "file_to_removable": "usb",
    "usb_minutes": "usb",
    "web_visits_after_hours": "after_hours",
    "file_ops_after_hours": "after_hours",
    "email_external_recipients": "external_email",
    "file_to_removable_after_hours": "usb",
    "session_after_hours_minutes": "after_hours",
    "logon_manager_pc": "other_pc",
    "ds_no_ticket_records": "no_ticket",
    "ds_sensitive_no_ticket_reads": "no_ticket",
    "ds_no_purpose_queries": "no_ticket",
    "ds_sensitive_no_purpose_reads": "no_ticket",
    "ds_other_region_exported": "bulk_export",
    "web_leak": "leak_site",
    "web_job": "job_search",
    "web_hacking": "hacking_tool",
    "logon_other_users_pc": "other_pc",
    "first_new_machine": "other_pc",
    "email_personal_recipients": "personal_email",
    "email_attachments_external": "external_email",
    "email_personal_other_users_pc": "personal_email",
    "email_recipients": "mass_email",
    "ds_records_exported": "bulk_export",
    "ds_other_region_records": "other_region",
    "first_other_region_dataset": "other_region",
}

DEFAULT_TAG_KINDS: dict[str, str] = {
    "insider.exfiltration": "bulk_export",
    "insider.usb": "usb",
    "insider.cloud": "cloud_upload",
    "insider.leak": "leak_site",
    "insider.job-search": "job_search",
    "insider.hacking-tool": "hacking_tool",
    "insider.lateral": "other_pc",
    "insider.after-hours": "after_hours",
    "insider.cross-region": "other_region",
    "insider.personal-email": "personal_email",
}


class ForecastConfig(BaseModel):
    """Early warning: a logistic model retrained on the history known so far."""

    model_config = ConfigDict(frozen=True)

    horizon_days: int = Field(14, ge=1)
    retrain_every_days: int = Field(7, ge=1)
    min_positives: int = Field(5, ge=1)
    l2: float = Field(1.0, ge=0.0)
    lookback_days: int = Field(14, ge=1)
    max_training_rows: int = Field(20_000, ge=100)


class RiskConfig(BaseModel):
    """Every knob of risk scoring, with the defaults the evaluation was measured with."""

    model_config = ConfigDict(frozen=True)

    half_life_days: float = Field(7.0, gt=0.0)
    source_caps: dict[Source, float] = Field(default_factory=lambda: {
        Source.ANOMALY: 2.0, Source.RULE: 3.0, Source.EXTERNAL: 1.5})
    source_weights: dict[Source, float] = Field(default_factory=lambda: {
        Source.ANOMALY: 1.0, Source.RULE: 1.0, Source.EXTERNAL: 0.8})
    anomaly_scale: Literal["day_rank", "raw"] = "day_rank"
    anomaly_floor: float = Field(0.995, ge=0.0, lt=1.0)
    anomaly_min_z: float = Field(2.0, ge=0.0)
    sustained_level: float = Field(0.8, ge=0.0, le=1.0)
    sustained_window_days: int = Field(14, ge=1)
    sustained_min_days: int = Field(10, ge=1)
    sustained_score: float = Field(0.15, ge=0.0)
    severity_scores: dict[str, float] = Field(default_factory=lambda: {
        "informational": 0.05, "low": 0.2, "medium": 0.45, "high": 0.75, "critical": 1.0})
    rule_prevalence_target: float = Field(0.02, gt=0.0, le=1.0)
    rule_prevalence_window_days: int = Field(28, ge=1)
    rule_prevalence_min_people: int = Field(50, ge=1)
    rule_self_window_days: int = Field(90, ge=0)
    own_vendor: str = "watchkeeper"
    feature_kinds: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FEATURE_KINDS))
    tag_kinds: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TAG_KINDS))
    indicator_features: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_INDICATORS))
    indicator_min_values: dict[str, float] = Field(default_factory=lambda: {
        "ds_other_region_exported": 50_000.0, "ds_sensitive_no_purpose_reads": 1.0})
    indicator_scores: dict[str, float] = Field(default_factory=lambda: {
        "job_search": 0.5, "leak_site": 0.6, "hacking_tool": 0.6, "usb_after_hours": 0.3,
        "other_region_export": 0.6, "manager_pc": 0.3, "no_purpose": 0.5,
        "foreign_pc_mail": 0.6})
    indicator_prevalence_target: float = Field(0.05, gt=0.0, le=1.0)
    indicator_self_kinds: tuple[str, ...] = ("no_purpose",)
    indicator_self_window_days: int = Field(56, ge=1)
    leaving_factor: float = Field(1.5, ge=1.0)
    leaving_soon_days: int = Field(30, ge=0)
    privileged_roles: tuple[str, ...] = ("admin", "sysadmin", "data ?engineer", "dba")
    privileged_factor: float = Field(1.1, ge=1.0)
    watchlist_factors: dict[str, float] = Field(default_factory=lambda: {
        "performance-improvement-plan": 1.3, "departing": 1.0, "reduction-in-force": 1.0,
        "privileged-access": 1.0, "*": 1.2})
    sensitivity_factors: dict[str, float] = Field(default_factory=lambda: {
        "low": 1.0, "medium": 1.0, "high": 1.2, "restricted": 1.4})
    scenarios: tuple[ScenarioTemplate, ...] = DEFAULT_SCENARIOS
    threshold: float = Field(0.6, gt=0.0)
    rearm: float = Field(0.2, ge=0.0)
    escalation_factor: float = Field(2.0, ge=0.0)
    escalation_window_days: int = Field(14, ge=1)
    escalation_min_gap_days: int = Field(3, ge=0)
    realert_on_new_scenario: bool = True
    realert_on_fresh_evidence: bool = True
    reasons_per_alert: int = Field(3, ge=1)
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)
