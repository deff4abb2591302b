"""An audit entry, its canonical bytes and its keyed hash (see `watchkeeper.security.audit`).

The canonical serialization is compact JSON with sorted keys of ``[1, seq, at, actor,
action, object_type, object_id, detail, prev_hash]``; ``at`` is written in UTC with
microseconds (``2024-05-01T09:30:00.000000Z``), the precision SQLite and PostgreSQL both
keep, so an entry read back from any store hashes the same.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

DetailValue = str | int | bool | None
GENESIS = "0" * 64
_DOMAIN = b"watchkeeper.audit.v1\x00"


@dataclass(frozen=True)
class AuditEntry:
    """One audited action; `hash` chains it to the entry before (`prev_hash`)."""

    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: Mapping[str, DetailValue]
    prev_hash: str
    hash: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))

    def canonical(self) -> bytes:
        """The bytes the hash covers: every field but `hash`, as compact sorted JSON."""
        doc = [1, self.seq, format_at(self.at), self.actor, self.action,
               self.object_type, self.object_id, dict(self.detail), self.prev_hash]
        return json.dumps(doc, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False).encode("utf-8")

    def to_row(self) -> dict[str, object]:
        """Column values for ``audit_entries`` (``at`` a UTC datetime)."""
        return {"seq": self.seq, "at": self.at.astimezone(UTC), "actor": self.actor,
                "action": self.action, "object_type": self.object_type,
                "object_id": self.object_id, "detail": dict(self.detail),
                "prev_hash": self.prev_hash, "hash": self.hash}

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> AuditEntry:
        """From a row of ``audit_entries`` or a JSON line; ``at`` a datetime (naive read
        as UTC, as SQLite returns it) or ISO text. ValueError names a bad field."""
        detail = row.get("detail")
        if not isinstance(detail, Mapping) or not all(
                isinstance(v, str | int | bool | None) for v in detail.values()):
            raise ValueError("field 'detail': not a mapping of scalars")
        return cls(seq=_int(row, "seq"), at=parse_at(row.get("at")),
                   actor=_str(row, "actor"), action=_str(row, "action"),
                   object_type=_str(row, "object_type"), object_id=_str(row, "object_id"),
                   detail=dict(detail), prev_hash=_str(row, "prev_hash"),
                   hash=_str(row, "hash"))


@dataclass(frozen=True)
class AuditCheckpoint:
    """The chain's head at some moment: entry `seq` had hash `hash`."""

    seq: int
    hash: str
    at: datetime = field(compare=False)


def entry_hash(key: bytes, entry: AuditEntry) -> str:
    """HMAC-SHA256 of the entry's canonical bytes under the audit key, as hex."""
    return hmac.new(key, _DOMAIN + entry.canonical(), hashlib.sha256).hexdigest()


def format_at(at: datetime) -> str:
    """``2024-05-01T09:30:00.000000Z``: UTC, microseconds, so it survives SQL round trips."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_at(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"field 'at': not an ISO time: {value!r}") from None
    if not isinstance(value, datetime):
        raise ValueError("field 'at': not a time")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _str(row: Mapping[str, object], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        raise ValueError(f"field {name!r}: not text")
    return value


def _int(row: Mapping[str, object], name: str) -> int:
    value = row.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"field {name!r}: not an integer")
    return value
