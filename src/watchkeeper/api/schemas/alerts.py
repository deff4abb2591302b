"""The alert queue: what a post stored (`IntakeResultPublic`), a page of the queue
(`AlertPage` of `AlertPublic`) and one alert in full (`AlertDetailPublic`). Built from
the facade's frozen dataclasses, which show people as pseudonyms only."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, JsonValue

from watchkeeper.api.schemas.fields import Public


class IntakeResultPublic(Public):
    received: int = Field(description="Alerts in the payload: new + updated + duplicates.")
    new: int
    updated: int = Field(description="Re-sent with other content (the changes are kept).")
    duplicates: int = Field(description="Re-sent unchanged (counted on the stored alert).")
    suppressed: int = Field(description="New alerts a suppression marked.")
    grouped: int = Field(description="New alerts that joined a group holding alerts.")
    alert_ids: list[int] = Field(description="The stored ids, in the payload's order.")


class AlertPublic(Public):
    id: int
    status: str = Field(description="new, in_progress, suppressed, resolved, …")
    severity: int
    severity_name: str
    title: str
    rule: str | None
    source: str
    source_ref: str
    subjects: list[str] = Field(description="The people concerned, as pseudonyms.")
    hosts: list[str]
    event_time: datetime
    received_at: datetime
    duplicates: int
    group_id: int | None
    case_id: int | None
    suppressed_by: int | None


class AlertPage(Public):
    items: list[AlertPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page "
                                                "(null: this is the last one).")
    total: int = Field(description="The alerts the filters select: exact up to 1,000; "
                                    "beyond, 1,000 with `total_exact` false.")
    total_exact: bool = Field(description="False when there are more than `total`.")


class ObservablePublic(Public):
    type: str
    value: str


class FieldChangePublic(Public):
    before: JsonValue
    after: JsonValue


class AlertChangePublic(Public):
    at: datetime
    before_fingerprint: str
    after_fingerprint: str
    fields: dict[str, FieldChangePublic]


class GroupPublic(Public):
    id: int
    rule: str | None
    window: str | None
    key: str
    first_at: datetime
    last_at: datetime
    alert_count: int


class SuppressionPublic(Public):
    id: int
    match: dict[str, str]
    reason: str
    owner: str
    created_at: datetime
    expires_at: datetime | None
    active: bool
    alerts: int


class AlertDetailPublic(AlertPublic):
    class_uid: int
    rule_id: str | None
    description: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    region: str | None
    observables: list[ObservablePublic]
    finding_ids: list[str]
    event_refs: list[str]
    extra: dict[str, str]
    updated_at: datetime
    source_status: str = Field(description="The status the source gave the alert.")
    changes: list[AlertChangePublic]
    group: GroupPublic | None
    suppression: SuppressionPublic | None
    raw: str = Field(description="The payload as received, with people redacted.")
