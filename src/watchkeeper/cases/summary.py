"""A case summary in plain words, written from the case's facts and nothing else.

`summarize_case` turns the alerts, the risk explanation, the HR context and the timeline
into Markdown paragraphs: what happened, against which baseline, the HR context, and
what the timeline shows around the alerts. It is deterministic (the same inputs give the
same bytes: no clock, no randomness, every list in a fixed order) and invents nothing:
every name, number and time in it is one of the inputs or a count of them. The text is
a draft: the case store keeps the analyst's edited version beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.person import PersonContext
from watchkeeper.cases.timeline import Timeline, TimelineEvent, alert_times, utc
from watchkeeper.risk.explain import AnomalousDay, Deviation, Explanation

MAX_RULES = 5      # rules named in "what happened"; the rest are counted
MAX_FEATURES = 3   # unusual features named from the most unusual day
MAX_MARKED = 5     # marked timeline events listed
_MD_SPECIAL = "\\`*_{}[]<>#|"


def summarize_case(alerts: Sequence[AlertIn], explanation: Explanation | None,
                   timeline: Timeline, person: PersonContext | None) -> str:
    """The case summary as Markdown paragraphs, ending in a newline."""
    paragraphs = [_what_happened(alerts), _baseline(explanation), _hr(person),
                  _around(timeline)]
    return "\n\n".join(paragraphs) + "\n"


# -- formatting ------------------------------------------------------------------------


def md(text: str) -> str:
    """`text` with Markdown's special characters escaped, on one line."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in " ".join(text.split()))


def _code(text: str) -> str:
    return "`" + " ".join(text.replace("`", "'").split()) + "`"


def _time(value: dt.datetime) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- what happened ---------------------------------------------------------------------


def _what_happened(alerts: Sequence[AlertIn]) -> str:
    head = "**What happened.**"
    if not alerts:
        return f"{head} The case holds no alerts."
    times = sorted(utc(t) for t in alert_times(alerts))
    when = (f"at {_time(times[0])}" if times[0] == times[-1]
            else f"between {_time(times[0])} and {_time(times[-1])}")
    rules = _by_rule(alerts)
    named = [f"{_code(rule)} ({_plural(n, 'alert')}, {severity.name.lower()})"
             for rule, n, severity in rules[:MAX_RULES]]
    if len(rules) > MAX_RULES:
        named.append(f"{_plural(len(rules) - MAX_RULES, 'more rule')}")
    return (f"{head} {_plural(len(alerts), 'alert')} from {_plural(len(rules), 'rule')} "
            f"{when}{_about(alerts)}: {_join(named)}.")


def _by_rule(alerts: Sequence[AlertIn]) -> list[tuple[str, int, Severity]]:
    """(rule, alerts, highest severity) per rule, most alerts first."""
    counts: dict[str, int] = {}
    worst: dict[str, Severity] = {}
    for a in alerts:
        rule = a.rule or a.rule_id or a.title
        counts[rule] = counts.get(rule, 0) + 1
        worst[rule] = max(worst.get(rule, Severity.UNKNOWN), a.severity)
    return sorted(((r, n, worst[r]) for r, n in counts.items()), key=lambda x: (-x[1], x[0]))


def _about(alerts: Sequence[AlertIn]) -> str:
    people = sorted({s for a in alerts for s in a.subjects})
    hosts = sorted({h for a in alerts for h in a.hosts})
    text = f", about {_join([md(p) for p in people])}" if people else ""
    return text + (f" on {_join([md(h) for h in hosts])}" if hosts else "")


# -- against which baseline ------------------------------------------------------------


def _baseline(explanation: Explanation | None) -> str:
    head = "**Against which baseline.**"
    if explanation is None:
        return f"{head} No risk analysis explains this case."
    e = explanation
    sources = _join([f"{md(name)} {value:.2f}" for name, value in sorted(e.by_source.items())])
    text = (f"{head} Risk score {e.score:.2f} for {md(e.user)} on {e.day.isoformat()} "
            f"(alert threshold {e.threshold:.2f}), from {sources}{_multipliers(e)}.")
    day = _most_unusual(e.anomalies)
    if day is None:
        return text + " No unusual day of behaviour was found before it."
    features = [_deviation(f) for f in day.top_features[:MAX_FEATURES]]
    unusual = f": {'; '.join(features)}" if features else ""
    return (text + f" Most unusual day {day.day.isoformat()} (anomaly score "
            f"{day.score:.2f}){unusual}.")


def _multipliers(e: Explanation) -> str:
    why = [w for w, on in (("leaving per HR", e.modifiers.leaving),
                           ("privileged role", e.modifiers.privileged)) if on]
    parts = []
    if e.modifiers.factor != 1.0:
        because = f" ({_join(why)})" if why else ""
        parts.append(f", times {e.modifiers.factor:.2f}{because}")
    if e.scenario_title or e.scenario:
        name = md(e.scenario_title or e.scenario or "")
        parts.append(f", scenario \"{name}\" times {e.scenario_boost:.2f}")
    return "".join(parts)


def _most_unusual(days: Sequence[AnomalousDay]) -> AnomalousDay | None:
    if not days:
        return None
    return sorted(days, key=lambda d: (-d.score, d.day))[0]


def _deviation(f: Deviation) -> str:
    baselines = [f"own baseline {_number(f.self_baseline)}" if f.self_baseline is not None
                 else None,
                 f"peers' {_number(f.peer_baseline)}" if f.peer_baseline is not None else None]
    against = _join([b for b in baselines if b])
    return (f"{_code(f.feature)} {_number(f.value)}"
            f"{' against ' + against if against else ''} (z {f.z:.1f})")


# -- HR context ------------------------------------------------------------------------


def _hr(person: PersonContext | None) -> str:
    head = "**HR context.**"
    if person is None:
        return f"{head} The people history has no record of this person on the alert day."
    p = person
    who = md(p.user) + (f" ({md(p.name)})" if p.name else "")
    job = f" was {md(p.role)}" if p.role else " worked"
    where = f" in {md(p.department)}" if p.department else ""
    team = f", team {md(p.team)}" if p.team else ""
    manager = f", managed by {md(p.manager)}" if p.manager else ""
    text = f"{head} On {p.as_of.isoformat()} {who}{job}{where}{team}{manager}."
    if p.employment_start is not None:
        text += f" Employed since {p.employment_start.isoformat()}."
    text += (f" Notice recorded on {p.notice_date.isoformat()}." if p.notice_date
             else " No notice recorded.")
    if p.end_date is not None:
        text += f" Last working day {p.end_date.isoformat()}."
    if p.watchlists:
        text += f" On watchlists {_join([md(w) for w in p.watchlists])}."
    return text


# -- the timeline ----------------------------------------------------------------------


def _around(timeline: Timeline) -> str:
    head = "**Around the alerts.**"
    who = _join([md(x) for x in (*timeline.people, *timeline.hosts)]) or "nobody"
    span = f"Between {_time(timeline.start)} and {_time(timeline.end)}"
    if timeline.total == 0:
        return f"{head} {span} the lake holds no events of {who}."
    classes = sorted(((c, n) for c, n in timeline.counts.items() if n),
                     key=lambda x: (-x[1], x[0]))
    text = (f"{head} {span} the lake holds {_plural(timeline.total, 'event')} of {who} "
            f"(by class: {', '.join(f'{md(c)} {n:,}' for c, n in classes)}).")
    if timeline.truncated:
        text += (f" The timeline shows {timeline.limit:,} of them, the events behind the "
                 "alerts first.")
    marked = timeline.marked
    if not marked:
        return text + " None of them is marked as behind the alerts."
    listed = [_marked_line(e) for e in marked[:MAX_MARKED]]
    more = len(marked) - MAX_MARKED
    tail = f"; and {more:,} more" if more > 0 else ""
    return (text + f" {_plural(len(marked), 'event')} behind the alerts "
            f"{'is' if len(marked) == 1 else 'are'} marked: {'; '.join(listed)}{tail}.")


def _marked_line(event: TimelineEvent) -> str:
    who = md(event.user or event.host or "")
    return f"{_time(event.time)}{' ' + who if who else ''}: {md(event.summary)}"


__all__ = ["md", "summarize_case"]
