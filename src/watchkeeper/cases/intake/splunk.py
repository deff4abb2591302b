"""The Splunk webhook alert action's payload → `AlertIn`.

Splunk documents a fixed body ("Use a webhook alert action"): ``sid``, ``search_name``
(null for an unsaved search), ``owner``, ``app``, ``results_link`` and ``result``, the
first result row of the triggering search, whose keys are the search's own fields.
Those are read by their Splunk CIM names (``user``, ``src_user``, ``dest``, ``src``,
``severity``, ``urgency``, ``_time`` …).

One search job (``sid``) may post once per result ("For each result" trigger), so the
source reference is the sid plus a hash of the result row: a re-sent post is the same
alert, another row of the same job is another one.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

from watchkeeper.cases.intake.node import Node, extras, observables, people, unique
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.errors import IntakeError

_SCHEDULED_AT = re.compile(r"_at_(\d{10})_")  # scheduler__admin__search__W2_at_1427942640_178
_USERS = ("user", "src_user", "user_name", "dest_user")
_HOSTS = ("dest", "dest_host", "host", "src_host", "dvc", "ComputerName")
_OBSERVED = (("ip", "src_ip"), ("ip", "dest_ip"), ("ip", "src"), ("url", "url"),
             ("file_name", "file_name"), ("file_hash", "file_hash"), ("domain", "domain"),
             ("email", "recipient"), ("process_name", "process_name"))


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and "sid" in doc and isinstance(doc.get("result"), dict)


def parse(node: Node, raw: str, received: datetime | None = None) -> AlertIn:
    node.obj()
    sid = node.at("sid").text(required=True) or ""
    result = node.at("result").obj()
    name = node.at("search_name").text()
    return AlertIn(
        source="splunk", source_ref=f"{sid}:{_row_hash(result)}",
        title=name or f"Splunk search {sid}", severity=_severity(result),
        event_time=_when(node, result, sid, received), raw=raw,
        rule=name, rule_id=name,
        description=_first(result, "description", "signature", "message"),
        subjects=people(result.at(k).text() for k in _USERS),
        hosts=unique(result.at(k).text() for k in _HOSTS),
        observables=observables((t, result.at(k).text()) for t, k in _OBSERVED),
        extra=extras(owner=node.at("owner").text(), app=node.at("app").text(),
                     results_link=node.at("results_link").text(), sid=sid))


def _row_hash(result: Node) -> str:
    text = json.dumps(result.value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _first(result: Node, *keys: str) -> str | None:
    for key in keys:
        value = result.at(key).text()
        if value is not None:
            return value
    return None


def _severity(result: Node) -> Severity:
    for key in ("severity", "urgency"):
        value = result.at(key).text()
        if value is not None:
            return Severity.from_name(value)
    return Severity.UNKNOWN


def _when(node: Node, result: Node, sid: str, received: datetime | None) -> datetime:
    """The result's ``_time``; else the schedule time written in a scheduled search's
    sid; else when the post was received."""
    moment = result.at("_time").time("epoch_s")
    if moment is not None:
        return moment
    match = _SCHEDULED_AT.search(sid)
    if match is not None:
        return datetime.fromtimestamp(int(match.group(1)), UTC)
    if received is not None:
        return received.astimezone(UTC)
    raise IntakeError(result.at("_time").path,
                      "missing (let the search return _time, or pass the time received)")
