"""A case as an analyst opens it: the stored record, its lake timeline and summary draft.

`build_detail` reads the timeline of the case's people and hosts (its person and host
links and its alerts' subjects and hosts) over `window_around` its alert times (the
case's creation time when it has no alert), marks the events behind its alerts, and
writes the summary draft (`summarize_case`) from the alerts, the first subject's risk
explanation and HR context on the last alert day, and the timeline. The stored summary
is the analyst's text; until one is stored the draft stands in for it.

`LakeOrgChart` reads each person's manager on a day from the lake's people history, for
recusal (`security.recusal`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from watchkeeper.cases.person import person_context
from watchkeeper.cases.summary import summarize_case
from watchkeeper.cases.timeline import (
    DEFAULT_HOURS,
    DEFAULT_LIMIT,
    Timeline,
    alert_event_ids,
    alert_times,
    build_timeline,
    utc,
    window_around,
)
from watchkeeper.cases.views import (
    AlertView,
    CaseRecord,
    CaseView,
    EventView,
    LinkView,
    NoteView,
    TaskView,
)
from watchkeeper.errors import WatchkeeperError
from watchkeeper.lake import Lake
from watchkeeper.risk.explain import Explanation

Explain = Callable[[str, dt.date], Explanation]


@dataclass(frozen=True)
class CaseDetail:
    """Everything about one case: the stored record, the timeline and the summary."""

    case: CaseView
    alerts: tuple[AlertView, ...]
    events: tuple[EventView, ...]
    tasks: tuple[TaskView, ...]
    notes: tuple[NoteView, ...]
    links: tuple[LinkView, ...]
    timeline: Timeline
    summary: str          # the stored (analyst's) summary, else the draft
    draft: str            # the summary generated now from the case's facts
    access: tuple[str, ...] = ()

    @property
    def people(self) -> tuple[str, ...]:
        return case_people(self.links, self.alerts)

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(sorted({*(k.value for k in self.links if k.kind == "host"),
                             *(h for a in self.alerts for h in a.hosts)}))


def case_people(links: tuple[LinkView, ...], alerts: tuple[AlertView, ...]) -> tuple[str, ...]:
    return tuple(sorted({*(k.value for k in links if k.kind == "person"),
                         *(s for a in alerts for s in a.subjects)}))


def build_detail(lake: Lake, record: CaseRecord, *, hours: float = DEFAULT_HOURS,
                 limit: int = DEFAULT_LIMIT, explain: Explain | None = None) -> CaseDetail:
    """The case `record` with its timeline and summary draft (see the module docstring)."""
    alerts = [a.alert_in() for a in record.alerts]
    times = alert_times(alerts) or [record.case.created_at]
    window = window_around(times, hours)
    people = case_people(record.links, record.alerts)
    hosts = tuple(sorted({*(k.value for k in record.links if k.kind == "host"),
                          *(h for a in record.alerts for h in a.hosts)}))
    marked = alert_event_ids(lake, alerts, window)
    timeline = build_timeline(lake, people, hosts, window.start, window.end, marked,
                              limit=limit)
    day = max(utc(t) for t in times).date()
    subject = people[0] if people else None
    person = person_context(lake, subject, day) if subject else None
    explanation = _explanation(explain, subject, day)
    draft = summarize_case(alerts, explanation, timeline, person)
    return CaseDetail(record.case, record.alerts, record.events, record.tasks, record.notes,
                      record.links, timeline, record.case.summary or draft, draft,
                      record.access)


def _explanation(explain: Explain | None, user: str | None,
                 day: dt.date) -> Explanation | None:
    if explain is None or user is None:
        return None
    try:
        return explain(user, day)
    except WatchkeeperError:   # no analysis stored, or nothing about the person that day
        return None


class LakeOrgChart:
    """Managers on a day from the lake's people history (rows valid on that day)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self._days: dict[dt.date, dict[str, str | None]] = {}

    def managers(self, day: dt.date) -> dict[str, str | None]:
        if day not in self._days:
            people = self.lake.table("people")
            rows = people.filter(people.valid_from <= day,
                                 people.valid_to.isnull() | (people.valid_to > day))
            found = rows.select("user", "manager").to_pyarrow().to_pylist()
            self._days[day] = {r["user"]: r["manager"] for r in found}
        return self._days[day]


__all__ = ["CaseDetail", "Explain", "LakeOrgChart", "build_detail", "case_people"]
