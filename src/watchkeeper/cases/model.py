"""The one alert model every intake path normalizes to (OCSF-shaped), before storage.

An `AlertIn` is what a source said: the workspace's own findings and risk alerts, an
OCSF Detection Finding (2004) or Data Security Finding (2006), a Splunk webhook, a
Microsoft Sentinel incident, an Elastic Security alert, or any JSON through a mapping.
Intake is idempotent on ``(source, source_ref)``; `AlertIn.fingerprint` tells a re-sent
alert whose content changed (a new status, more events) from the same payload again.

Severities follow OCSF ``severity_id``: 0 unknown, 1 informational, 2 low, 3 medium,
4 high, 5 critical, 6 fatal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    """OCSF severity_id."""

    UNKNOWN = 0
    INFORMATIONAL = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5
    FATAL = 6

    @classmethod
    def from_name(cls, name: str) -> Severity:
        """``high``, ``High``, ``informational`` / ``info``, ``crit`` …; unknown → UNKNOWN."""
        key = name.strip().lower()
        aliases = {"info": "informational", "informational": "informational",
                   "med": "medium", "moderate": "medium", "crit": "critical"}
        try:
            return cls[aliases.get(key, key).upper()]
        except KeyError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class Observable:
    """An OCSF observable: ``type`` (``ip``, ``hostname``, ``user``, ``email``, ``url``,
    ``file_hash``, ``file_name``, ``process_name``, ``domain``, …) and its value."""

    type: str
    value: str


@dataclass(frozen=True)
class AlertIn:
    """One alert as a source reported it, normalized; `raw` keeps the payload verbatim."""

    source: str          # "watchkeeper.detect", "watchkeeper.risk", "ocsf", "splunk", …
    source_ref: str      # the source's own id: idempotency key with `source`
    title: str
    severity: Severity
    event_time: datetime  # when the detected activity happened (UTC)
    raw: str             # the payload as received (JSON text)
    class_uid: int = 2004  # OCSF class: 2004 detection, 2006 data security
    status: str = "new"  # the source's status, normalized to OCSF words where known
    rule: str | None = None      # rule / analytic name
    rule_id: str | None = None   # rule / analytic uid
    description: str | None = None
    subjects: tuple[str, ...] = ()  # people (user ids as the lake knows them)
    hosts: tuple[str, ...] = ()
    observables: tuple[Observable, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    finding_ids: tuple[str, ...] = ()  # lake findings behind a workspace alert
    region: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # source-specific

    def fingerprint(self) -> str:
        """A hash of everything but `raw`: equal for a re-sent identical alert, different
        when the source changed its content."""
        doc = {name: getattr(self, name) for name in _FINGERPRINTED}
        # what `dataclasses.asdict` gave (stored fingerprints must stay equal), without
        # its deep copy of every value: observables as objects, tuples as JSON arrays
        doc["observables"] = [{"type": o.type, "value": o.value} for o in self.observables]
        text = json.dumps(doc, default=_default, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


_FINGERPRINTED = tuple(f.name for f in fields(AlertIn) if f.name != "raw")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


__all__ = ["AlertIn", "Observable", "Severity"]


@dataclass(frozen=True)
class PostedAlerts:
    """One request's alerts as posted to the service: the body as sent (one alert or a
    batch, a vendor format recognized or `fmt`), and when the request arrived."""

    body: bytes
    fmt: str | None
    received: datetime
