"""A case as one OCSF Incident Finding (class 2005, category 2 Findings, OCSF 1.3.0).

Field by field (schema.ocsf.io, ``incident_finding`` and the ``incident`` profile):
``activity_id`` 1 Create (nothing changed since), 2 Update, 3 Close (resolved or
closed); ``type_uid`` = 200500 + activity; ``time`` the case's last change (epoch ms);
``status_id`` 1 New, 2 In Progress, 4 Resolved, 5 Closed, 99 Other for escalated (with
``status`` "Escalated"); ``severity_id`` the case's; ``priority_id`` 1-4 (0 unknown);
``verdict_id`` 1-10 or 99 (0 unknown); ``desc`` the summary; ``finding_info_list`` one
``finding_info`` per alert (``uid`` = source:source_ref, title, analytic, first and last
seen, ``related_events`` the findings behind it); ``assignee`` (a user) or, as the class
requires at least one of them, ``assignee_group`` (the team, else "unassigned");
``start_time``/``end_time`` the first and last alert time; ``observables`` the people,
hosts and observables; ``metadata`` product, version and ``profiles: ["incident"]``.
The detail is pseudonymized before it gets here, so people appear as pseudonyms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from watchkeeper import __version__
from watchkeeper.cases.detail import CaseDetail
from watchkeeper.cases.model import Severity
from watchkeeper.cases.views import AlertView
from watchkeeper.cases.workflow import Priority, Status, Verdict

OCSF_VERSION = "1.3.0"
CLASS_UID = 2005
ACTIVITY = {1: "Create", 2: "Update", 3: "Close"}
OBSERVABLE_TYPE = {"hostname": 1, "host": 1, "ip": 2, "mac": 3, "user": 4, "email": 5,
                   "url": 6, "file_name": 7, "file_hash": 8, "process_name": 9}
TYPE_CAPTION = {1: "Hostname", 2: "IP Address", 3: "MAC Address", 4: "User Name",
                5: "Email Address", 6: "URL String", 7: "File Name", 8: "Hash",
                9: "Process Name", 99: "Other"}


def ms(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


def incident_finding(detail: CaseDetail) -> dict[str, Any]:
    """The OCSF Incident Finding document of a (pseudonymized) case."""
    case = detail.case
    status = Status(case.status)
    activity = _activity(detail, status)
    doc: dict[str, Any] = {
        "activity_id": activity, "activity_name": ACTIVITY[activity],
        "category_uid": 2, "category_name": "Findings",
        "class_uid": CLASS_UID, "class_name": "Incident Finding",
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"Incident Finding: {ACTIVITY[activity]}",
        "time": ms(case.updated_at),
        "message": case.title,
        "desc": detail.summary,
        "severity_id": case.severity,
        "severity": Severity(case.severity).name.title() if case.severity <= 6 else "Other",
        "status_id": status.ocsf_id, "status": status.caption,
        "priority_id": Priority[case.priority.upper()].value if case.priority else 0,
        "priority": case.priority.title() if case.priority else "Unknown",
        "verdict_id": Verdict[case.verdict.upper()].value if case.verdict else 0,
        "verdict": Verdict[case.verdict.upper()].caption if case.verdict else "Unknown",
        "finding_info_list": [_finding_info(a) for a in detail.alerts],
        "observables": _observables(detail),
        "metadata": {"version": OCSF_VERSION, "profiles": ["incident"],
                     "uid": f"case-{case.id}",
                     "product": {"name": "Watchkeeper", "vendor_name": "Watchkeeper",
                                 "version": __version__},
                     "logged_time": ms(case.created_at)},
    }
    if case.assignee:
        doc["assignee"] = {"name": case.assignee}
    doc["assignee_group"] = {"name": case.team or "unassigned"}
    times = [t for a in detail.alerts for t in (a.event_time, a.first_seen, a.last_seen)
             if t is not None]
    if times:
        doc["start_time"], doc["end_time"] = ms(min(times)), ms(max(times))
    if detail.notes:
        doc["comment"] = detail.notes[-1].body
    return doc


def _activity(detail: CaseDetail, status: Status) -> int:
    if status in (Status.RESOLVED, Status.CLOSED):
        return 3
    return 2 if any(e.action != "case.create" for e in detail.events) else 1


def _finding_info(alert: AlertView) -> dict[str, Any]:
    info: dict[str, Any] = {"uid": f"{alert.source}:{alert.source_ref}",
                            "title": alert.title,
                            "created_time": ms(alert.event_time)}
    if alert.rule or alert.rule_id:
        analytic: dict[str, Any] = {"type_id": 1, "type": "Rule"}
        if alert.rule:
            analytic["name"] = alert.rule
        if alert.rule_id:
            analytic["uid"] = alert.rule_id
        info["analytic"] = analytic
    if alert.description:
        info["desc"] = alert.description
    if alert.first_seen is not None:
        info["first_seen_time"] = ms(alert.first_seen)
    if alert.last_seen is not None:
        info["last_seen_time"] = ms(alert.last_seen)
    if alert.finding_ids:
        info["related_events"] = [{"uid": f} for f in alert.finding_ids]
    return info


def _observables(detail: CaseDetail) -> list[dict[str, Any]]:
    items: dict[tuple[str, str], None] = {}
    for person in detail.people:
        items[("user", person)] = None
    for host in detail.hosts:
        items[("hostname", host)] = None
    for link in detail.links:
        if link.kind == "observable":
            kind, _, value = link.value.partition(":")
            items[(kind, value)] = None
    for alert in detail.alerts:
        for kind, value in alert.observables:
            items[(kind, value)] = None
    return [{"name": kind, "type_id": OBSERVABLE_TYPE.get(kind, 99),
             "type": TYPE_CAPTION[OBSERVABLE_TYPE.get(kind, 99)], "value": value}
            for kind, value in sorted(items)]


__all__ = ["OCSF_VERSION", "incident_finding"]
