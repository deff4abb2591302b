"""Resolving violations: the lake keeps each violation once and never changes it; the
state store keeps its resolution (`ViolationResolution`), by the violation's id.

- `resolve`: record how one was resolved (``remediated``: the access was dealt with;
  ``authorized``: it was allowed after all, say by a grant filed late;
  ``false_positive``: the check was wrong), who did and a note. Once only.
- `resolutions`: the resolutions of some violations (the rest are open).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.errors import ConflictError, GrantError
from watchkeeper.store.models import RESOLUTIONS, ViolationResolution

MAX_NOTE = 2000


@dataclass(frozen=True)
class Resolution:
    """How and when a violation was resolved, by whom."""

    violation_id: str
    resolution: str
    note: str
    resolved_by: str
    resolved_at: datetime


def _info(row: ViolationResolution) -> Resolution:
    return Resolution(row.violation_id, row.resolution, row.note, row.resolved_by,
                      row.resolved_at)


def check_resolution(resolution: str) -> str:
    if resolution not in RESOLUTIONS:
        raise GrantError("resolution",
                         f"{resolution!r}: expected one of {', '.join(RESOLUTIONS)}")
    return resolution


def resolve(session: Session, violation_id: str, resolution: str, note: str, by: str,
            now: datetime) -> Resolution:
    """Record the resolution of `violation_id` (the caller checked it exists); a second
    resolution is a `ConflictError` naming the first."""
    check_resolution(resolution)
    text = " ".join(note.split())
    if not text or len(text) > MAX_NOTE:
        raise GrantError("note", f"1 to {MAX_NOTE} characters, not {len(text)}")
    found = session.get(ViolationResolution, violation_id, with_for_update=True)
    if found is not None:
        raise ConflictError(f"violation {violation_id}: resolved already "
                            f"({found.resolution}, "
                            f"{found.resolved_at.isoformat(timespec='seconds')} by "
                            f"{found.resolved_by})")
    row = ViolationResolution(violation_id=violation_id, resolution=resolution, note=text,
                              resolved_by=by, resolved_at=now)
    session.add(row)
    session.flush()
    return _info(row)


def resolutions(session: Session, ids: Collection[str] | None = None
                ) -> dict[str, Resolution]:
    """The resolutions of `ids` (None: all), by violation id."""
    query = select(ViolationResolution)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(ViolationResolution.violation_id.in_(sorted(set(ids))))
    return {r.violation_id: _info(r) for r in session.scalars(query)}


__all__ = ["Resolution", "check_resolution", "resolutions", "resolve"]
