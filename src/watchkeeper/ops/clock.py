"""What time it is, as a seam: operations code asks a `Clock` (or takes ``now``) and
never reads the system time itself, so tests drive time without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The machine's time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError(f"naive datetime {at.isoformat()} (give it a time zone)")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> datetime:
        self.at += by
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = at.astimezone(UTC)
        return self.at


__all__ = ["Clock", "FixedClock", "SystemClock"]
