"""Rows for state-store tests: one base alert, fields overridden per case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.store.migrate import scripts
from watchkeeper.store.models import Alert, AlertHost, AlertObservable, AlertSubject

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def revisions() -> tuple[str, ...]:
    """Every schema revision, oldest first (what `upgrade` applies to an empty store)."""
    return tuple(reversed([s.revision for s in scripts().walk_revisions()]))


def alert(i: int, **fields: Any) -> Alert:
    """Alert number `i`: one subject, one host, one observable; `fields` override."""
    base: dict[str, Any] = {
        "source": "watchkeeper.detect", "source_ref": f"ref-{i}", "fingerprint": f"{i:064x}",
        "title": f"Alert {i} [after hours]", "severity": 1 + i % 5, "status": "new",
        "rule": "after_hours_logon", "event_time": T0 + timedelta(hours=i), "raw": "{}",
        "extra": {"n": i, "tags": ["a", "b"]},
    }
    base.update(fields)
    row = Alert(**base)
    row.subjects = [AlertSubject(subject=f"USR{i % 3}")]
    row.hosts = [AlertHost(host=f"PC-{i % 4}")]
    row.observables = [AlertObservable(type="ip", value=f"10.0.0.{i % 250}")]
    return row
