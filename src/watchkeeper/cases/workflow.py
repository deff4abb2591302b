"""A case's status machine, its verdicts and priorities, as OCSF Incident Finding words.

::

    new ──► in_progress ◄──► escalated
     │  \\        │              │
     │   └──► escalated          │
     └────────────┴──► resolved ◄┘ ──► closed
                          │
                          └──► in_progress   (reopened: the verdict is cleared)

Resolving needs a verdict (OCSF ``verdict_id``: true positive, false positive, benign,
suspicious, duplicate, …); a closed case is final (open a new one and link it). Every
other pair is refused in one line naming the case and both statuses.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from watchkeeper.errors import CaseError, CaseWorkflowError


class Status(Enum):
    """A case's status, with its OCSF Incident Finding ``status_id`` (99: Other)."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def ocsf_id(self) -> int:
        return {"new": 1, "in_progress": 2, "escalated": 99, "resolved": 4,
                "closed": 5}[self.value]

    @property
    def caption(self) -> str:
        return self.value.replace("_", " ").title()


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.ESCALATED, Status.RESOLVED}),
    Status.IN_PROGRESS: frozenset({Status.ESCALATED, Status.RESOLVED}),
    Status.ESCALATED: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
}
OPEN = frozenset({Status.NEW, Status.IN_PROGRESS, Status.ESCALATED})


class Verdict(IntEnum):
    """OCSF ``verdict_id`` of an Incident Finding (0 unknown is not a verdict)."""

    FALSE_POSITIVE = 1
    TRUE_POSITIVE = 2
    DISREGARD = 3
    SUSPICIOUS = 4
    BENIGN = 5
    TEST = 6
    INSUFFICIENT_DATA = 7
    SECURITY_RISK = 8
    MANAGED_EXTERNALLY = 9
    DUPLICATE = 10
    OTHER = 99

    @property
    def word(self) -> str:
        return self.name.lower()

    @property
    def caption(self) -> str:
        return self.name.replace("_", " ").title()


class Priority(IntEnum):
    """OCSF ``priority_id``."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def word(self) -> str:
        return self.name.lower()


def _choices(words: list[str]) -> str:
    return ", ".join(words)


def parse_status(value: str, case_id: int | None = None) -> Status:
    try:
        return Status(value.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise CaseError(f"{_where(case_id)}status {value!r}: expected one of "
                        f"{_choices([s.value for s in Status])}") from None


def parse_verdict(value: str, case_id: int | None = None) -> Verdict:
    """``true_positive``, ``true positive``, ``True-Positive`` or the OCSF id (``2``)."""
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return Verdict(int(key)) if key.isdigit() else Verdict[key.upper()]
    except (KeyError, ValueError):
        raise CaseError(f"{_where(case_id)}verdict {value!r}: expected one of "
                        f"{_choices([v.word for v in Verdict])}") from None


def parse_priority(value: str, case_id: int | None = None) -> Priority:
    try:
        return Priority[value.strip().upper()]
    except KeyError:
        raise CaseError(f"{_where(case_id)}priority {value!r}: expected one of "
                        f"{_choices([p.word for p in Priority])}") from None


def check_transition(case_id: int, before: Status, after: Status,
                     verdict: Verdict | None) -> None:
    """Refuse a transition the workflow does not allow, or a resolve without a verdict."""
    if after not in TRANSITIONS[before]:
        allowed = sorted(s.value for s in TRANSITIONS[before]) or ["none: it is final"]
        raise CaseWorkflowError(f"case {case_id}: cannot go from {before.value} to {after.value} "
                        f"(from {before.value}: {', '.join(allowed)})")
    if after is Status.RESOLVED and verdict is None:
        raise CaseError(f"case {case_id}: resolving needs a verdict (one of "
                        f"{_choices([v.word for v in Verdict])})")


def _where(case_id: int | None) -> str:
    return f"case {case_id}: " if case_id is not None else ""


__all__ = ["OPEN", "TRANSITIONS", "Priority", "Status", "Verdict", "check_transition",
           "parse_priority", "parse_status", "parse_verdict"]
