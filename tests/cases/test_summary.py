"""summarize_case: deterministic Markdown that states only what its inputs say."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ueba.lakes import make_lake, person
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.person import PersonContext, person_context
from watchkeeper.cases.summary import md, summarize_case
from watchkeeper.cases.timeline import CLASSES, Timeline, TimelineEvent
from watchkeeper.risk.explain import AnomalousDay, Deviation, Explanation, Modifiers

T0 = dt.datetime(2025, 3, 10, 14, 5, tzinfo=dt.UTC)
DAY = dt.date(2025, 3, 10)


def alert(ref: str, rule: str, severity: Severity, minutes: int) -> AlertIn:
    return AlertIn(source="watchkeeper.detect", source_ref=ref, title=rule.title(),
                   severity=severity, event_time=T0 + dt.timedelta(minutes=minutes),
                   raw="{}", rule=rule, subjects=("ann",), hosts=("PC-ann",))


ALERTS = [alert("a", "usb_copy_burst", Severity.HIGH, 0),
          alert("b", "usb_copy_burst", Severity.MEDIUM, 40),
          alert("c", "leak_site_visit", Severity.MEDIUM, 95)]

EXPLANATION = Explanation(
    user="ann", day=DAY, score=2.37, alert=True, threshold=1.5, last_alert=None,
    forecast_14d=0.41, by_source={"anomaly": 1.23, "rule": 0.94, "external": 0.0},
    caps={"anomaly": 3.0, "rule": None, "external": None},
    modifiers=Modifiers(1.5, leaving=True, privileged=False),
    scenario="departing-data-theft", scenario_title="Data theft by a departing employee",
    scenario_boost=1.25, half_life_days=7.0, events=(),
    anomalies=(AnomalousDay(dt.date(2025, 3, 2), 0.61, (), ()),
               AnomalousDay(dt.date(2025, 3, 9), 0.97, (
                   Deviation("usb_files_copied", 137.0, 2.5, 4.25, 8.4, "device"),
                   Deviation("after_hours_logons", 3.0, None, 0.5, 3.2, "time")), ())))

PERSON = PersonContext(user="ann", as_of=DAY, name="Ann Lee", role="Engineer",
                       department="R&D", team="Core", manager="boss",
                       employment_start=dt.date(2019, 4, 1), notice_date=dt.date(2025, 2, 28),
                       end_date=dt.date(2025, 3, 21))


def event(event_id: str, minutes: int, cls: str, summary: str, marked: bool) -> TimelineEvent:
    return TimelineEvent(T0 + dt.timedelta(minutes=minutes), cls, "copy", "ann", "PC-ann",
                         summary, event_id, "test", marked)


TIMELINE = Timeline(
    start=T0 - dt.timedelta(hours=24), end=T0 + dt.timedelta(hours=25, minutes=35),
    people=("ann",), hosts=("PC-ann",),
    events=(event("e1", -5, "peripheral", "connected usb device", False),
            event("e2", 0, "file", "copied q4_plan.xlsx to removable media", True),
            event("e3", 95, "web", "visited leaks.example", True)),
    counts={**dict.fromkeys(CLASSES, 0), "peripheral": 4, "file": 17, "web": 40},
    limit=2000, truncated=False)

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2} UTC)?")


def facts(text: str) -> tuple[set[str], set[str]]:
    """(dates and times, other numbers) in the text; digits inside names do not count."""
    stamps = set(STAMP.findall(text))
    rest = STAMP.sub(" ", text)
    rest = re.sub(r"`[^`]*`|[A-Za-z_\\]+\d+[\w.\\]*", " ", rest)  # names: q4\_plan, PC-1
    return stamps, {n.rstrip(".,") for n in NUMBER.findall(rest)}


def test_summary_states_what_happened_baseline_hr_and_timeline() -> None:
    text = summarize_case(ALERTS, EXPLANATION, TIMELINE, PERSON)
    paragraphs = text.rstrip("\n").split("\n\n")
    assert [p.split(".**")[0] for p in paragraphs] == [
        "**What happened", "**Against which baseline", "**HR context", "**Around the alerts"]
    assert paragraphs[0] == (
        "**What happened.** 3 alerts from 2 rules between 2025-03-10 14:05 UTC and "
        "2025-03-10 15:40 UTC, about ann on PC-ann: `usb_copy_burst` (2 alerts, high) and "
        "`leak_site_visit` (1 alert, medium).")
    assert "Most unusual day 2025-03-09 (anomaly score 0.97): `usb_files_copied` 137 " \
           "against own baseline 2.50 and peers' 4.25 (z 8.4)" in paragraphs[1]
    assert "times 1.50 (leaving per HR)" in paragraphs[1]
    assert paragraphs[2] == (
        "**HR context.** On 2025-03-10 ann (Ann Lee) was Engineer in R&D, team Core, "
        "managed by boss. Employed since 2019-04-01. Notice recorded on 2025-02-28. "
        "Last working day 2025-03-21.")
    assert "61 events of ann and PC-ann (by class: web 40, file 17, peripheral 4)." \
        in paragraphs[3]
    assert "2 events behind the alerts are marked: 2025-03-10 14:05 UTC ann: copied " \
           "q4\\_plan.xlsx to removable media; 2025-03-10 15:40 UTC ann: visited " \
           "leaks.example." in paragraphs[3]


def test_every_number_and_date_comes_from_the_inputs() -> None:
    stamps, numbers = facts(summarize_case(ALERTS, EXPLANATION, TIMELINE, PERSON))
    assert stamps == {"2025-03-10 14:05 UTC", "2025-03-10 15:40 UTC",  # alerts, marked
                      "2025-03-09 14:05 UTC", "2025-03-11 15:40 UTC",  # timeline span
                      "2025-03-10", "2025-03-09",                      # explained, unusual
                      "2019-04-01", "2025-02-28", "2025-03-21"}        # HR
    assert numbers == {"3", "2", "1",                                  # alerts, rules
                       "2.37", "1.50", "1.23", "0.94", "0.00", "1.25",  # score, sources
                       "0.97", "137", "2.50", "4.25", "8.4", "0.50", "3.2",  # baselines
                       "61", "40", "17", "4"}                          # timeline counts


def test_without_analysis_or_hr_it_says_so_and_adds_nothing() -> None:
    empty = replace(TIMELINE, events=(), counts=dict.fromkeys(CLASSES, 0))
    text = summarize_case(ALERTS[:1], None, empty, None)
    assert "No risk analysis explains this case." in text
    assert "The people history has no record of this person on the alert day." in text
    assert "the lake holds no events of ann and PC-ann." in text
    assert "1 alert from 1 rule at 2025-03-10 14:05 UTC" in text
    assert facts(text)[1] == {"1"}
    assert "The case holds no alerts." in summarize_case([], None, empty, None)


def test_same_inputs_same_bytes_whatever_their_order() -> None:
    first = summarize_case(ALERTS, EXPLANATION, TIMELINE, PERSON)
    shuffled = list(ALERTS)
    random.Random(3).shuffle(shuffled)
    counts = dict(reversed(list(TIMELINE.counts.items())))
    again = summarize_case(shuffled, EXPLANATION, replace(TIMELINE, counts=counts), PERSON)
    assert again.encode() == first.encode()


def test_cut_timeline_and_many_marked_events_are_said() -> None:
    many = tuple(event(f"m{i}", i, "file", f"copied f{i}.txt", True) for i in range(7))
    text = summarize_case(ALERTS, None, replace(TIMELINE, events=many, truncated=True,
                                                limit=7), None)
    assert "The timeline shows 7 of them, the events behind the alerts first." in text
    assert "7 events behind the alerts are marked" in text and "; and 2 more." in text


def test_user_text_cannot_break_the_markdown() -> None:
    assert md("a_b *c* [x](y) `z`\n#1") == "a\\_b \\*c\\* \\[x\\](y) \\`z\\` \\#1"
    odd = replace(PERSON, name="**Boss** [admin]")
    assert "(\\*\\*Boss\\*\\* \\[admin\\])" in summarize_case(ALERTS, None, TIMELINE, odd)


def _row(**kw: Any) -> dict[str, Any]:
    return person("ann", "EU", start=dt.date(2019, 4, 1), **kw)


def test_hr_context_is_what_the_history_knew_on_the_day(tmp_path: Path) -> None:
    rows = [_row(valid_from=dt.date(2019, 4, 1), valid_to=dt.date(2025, 2, 28),
                 role="Engineer"),
            _row(valid_from=dt.date(2025, 2, 28), valid_to=None, role="Engineer",
                 notice_date=dt.date(2025, 2, 28), end_date=dt.date(2025, 3, 21),
                 watchlists=["departing"]),
            person("bob", "US", notice_date=dt.date(2025, 6, 1))]
    lake = make_lake(tmp_path / "lake", [], people=rows)
    before = person_context(lake, "ann", dt.date(2025, 2, 20))
    assert before is not None and before.notice_date is None and before.end_date is None
    after = person_context(lake, "ann", DAY)
    assert after == PersonContext(
        user="ann", as_of=DAY, role="Engineer", department="Eng",
        team="T1", region="EU", employment_start=dt.date(2019, 4, 1),
        notice_date=dt.date(2025, 2, 28), end_date=dt.date(2025, 3, 21),
        watchlists=("departing",))
    bob = person_context(lake, "bob", DAY)  # a notice dated after the day is not known yet
    assert bob is not None and bob.notice_date is None
    assert person_context(lake, "nobody", DAY) is None
    assert person_context(lake, "ann", dt.date(2019, 3, 31)) is None
