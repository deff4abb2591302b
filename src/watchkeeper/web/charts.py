"""Vega-Lite specifications of the dashboard's charts, data inline, as plain JSON
values the pages embed in a ``<script type="application/json">`` (`static/app.js` draws
them with vega-embed). Each has a `description`, which Vega gives the chart as its ARIA
label; every chart's page also shows its figures in a table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchkeeper.cases.overview import QueueOverview
    from watchkeeper.cases.timeline import Timeline
    from watchkeeper.facade.dashboard import RiskDay
    from watchkeeper.lake.activity import SourcesOverview
    from watchkeeper.ops.rulestats import RuleCount

Json = str | int | float | bool | None | list["Json"] | dict[str, "Json"]
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"   # an identifier, never fetched
SEVERITY_ORDER: list[Json] = ["fatal", "critical", "high", "medium", "low", "informational",
                              "unknown"]
SEVERITY_COLOURS: list[Json] = ["#7f0000", "#d7301f", "#fc8d59", "#fdcc8a", "#91bfdb",
                                "#4575b4", "#999999"]


def _base(description: str, values: Sequence[dict[str, Json]], height: int = 220
          ) -> dict[str, Json]:
    return {"$schema": SCHEMA, "description": description, "width": "container",
            "height": height, "data": {"values": list(values)},
            "config": {"background": None}}


def alerts_per_day(overview: QueueOverview) -> dict[str, Json]:
    values: list[dict[str, Json]] = [
        {"day": d.day.isoformat(), "severity": d.severity_name, "alerts": d.alerts}
        for d in overview.per_day]
    spec = _base("Alerts per day, stacked by severity", values)
    spec.update({"mark": {"type": "bar", "tooltip": True}, "encoding": {
        "x": {"field": "day", "type": "ordinal", "timeUnit": "utcyearmonthdate",
              "title": "day (UTC)", "axis": {"format": "%b %d", "labelOverlap": True}},
        "y": {"field": "alerts", "type": "quantitative", "aggregate": "sum",
              "title": "alerts"},
        "color": {"field": "severity", "type": "nominal",
                  "scale": {"domain": SEVERITY_ORDER, "range": SEVERITY_COLOURS},
                  "sort": SEVERITY_ORDER}}})
    return spec


def alerts_per_source(overview: QueueOverview) -> dict[str, Json]:
    values: list[dict[str, Json]] = [
        {"source": c.source, "severity": c.severity_name, "alerts": c.alerts}
        for c in overview.per_source]
    spec = _base("Alerts per source in the period, stacked by severity", values,
                 max(80, 24 * len({c.source for c in overview.per_source})))
    spec.update({"mark": {"type": "bar", "tooltip": True}, "encoding": {
        "y": {"field": "source", "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": "alerts", "type": "quantitative", "aggregate": "sum",
              "title": "alerts"},
        "color": {"field": "severity", "type": "nominal",
                  "scale": {"domain": SEVERITY_ORDER, "range": SEVERITY_COLOURS},
                  "sort": SEVERITY_ORDER}}})
    return spec


def backlog_age(overview: QueueOverview) -> dict[str, Json]:
    from watchkeeper.cases.overview import AGE_BUCKETS
    values: list[dict[str, Json]] = [
        {"age": a.age, "source": a.source, "alerts": a.alerts} for a in overview.ages]
    spec = _base("Open alerts by age (event day) and source", values, 160)
    spec.update({"mark": {"type": "bar", "tooltip": True}, "encoding": {
        "x": {"field": "age", "type": "ordinal", "sort": list(AGE_BUCKETS),
              "title": "age", "axis": {"labelAngle": 0}},
        "y": {"field": "alerts", "type": "quantitative", "aggregate": "sum",
              "title": "open alerts"},
        "color": {"field": "source", "type": "nominal"}}})
    return spec


def sparkline(values: Sequence[float], width: int = 120, height: int = 24) -> str:
    """The ``points`` of an SVG polyline drawing `values` left to right in a
    `width` x `height` box (drawn by the server: a table of sparklines needs no script)."""
    if not values:
        return ""
    top = max(max(values), 1e-9)
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}"
                    for i, v in enumerate(values))


def case_timeline(timeline: Timeline) -> dict[str, Json]:
    values: list[dict[str, Json]] = [
        {"time": e.time.isoformat(), "class": e.cls, "summary": e.summary[:120],
         "alert": "alert-backed" if e.marked else "context"} for e in timeline.events]
    spec = _base("The case's investigation timeline: lake events by class over time; "
                 "events behind the case's alerts are marked", values, 180)
    spec.update({"mark": {"type": "point", "filled": True, "tooltip": True, "size": 60},
                 "encoding": {
                     "x": {"field": "time", "type": "temporal", "title": "time (UTC)"},
                     "y": {"field": "class", "type": "nominal", "title": None},
                     "shape": {"field": "alert", "type": "nominal", "title": None},
                     "color": {"field": "alert", "type": "nominal", "title": None,
                               "scale": {"domain": ["alert-backed", "context"],
                                         "range": ["#d7301f", "#4575b4"]}}}})
    return spec


def risk_over_time(days: Iterable[RiskDay]) -> dict[str, Json]:
    values: list[dict[str, Json]] = [
        {"day": d.day.isoformat(), "score": round(d.score, 2),
         "alert": "alert" if d.alert else "no alert"} for d in days]
    spec = _base("Risk score per day; days that raised a risk alert are marked", values)
    spec["layer"] = [
        {"mark": {"type": "line", "tooltip": True},
         "encoding": {"x": {"field": "day", "type": "temporal", "title": "day"},
                      "y": {"field": "score", "type": "quantitative", "title": "risk"}}},
        {"transform": [{"filter": "datum.alert == 'alert'"}],
         "mark": {"type": "point", "filled": True, "color": "#d7301f", "size": 70,
                  "tooltip": True},
         "encoding": {"x": {"field": "day", "type": "temporal"},
                      "y": {"field": "score", "type": "quantitative"}}}]
    return spec


def rule_volume(rules: Iterable[RuleCount]) -> dict[str, Json]:
    values: list[dict[str, Json]] = [
        {"rule": r.rule or "(none)", "alerts": r.alerts,
         "precision": None if r.precision is None else round(r.precision, 3)}
        for r in rules]
    spec = _base("Alerts per rule", values, max(120, 18 * len(values)))
    spec.update({"mark": {"type": "bar", "tooltip": True}, "encoding": {
        "y": {"field": "rule", "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": "alerts", "type": "quantitative", "title": "alerts"}}})
    return spec


def source_days(overview: SourcesOverview) -> dict[str, Json]:
    values: list[dict[str, Json]] = [
        {"day": d.day.isoformat(), "source": d.source, "events": d.events}
        for d in overview.per_day]
    spec = _base("Events per source per day", values)
    spec.update({"mark": {"type": "bar", "tooltip": True}, "encoding": {
        "x": {"field": "day", "type": "ordinal", "timeUnit": "utcyearmonthdate",
              "title": "day (UTC)", "axis": {"format": "%b %d", "labelOverlap": True}},
        "y": {"field": "events", "type": "quantitative", "aggregate": "sum"},
        "color": {"field": "source", "type": "nominal"}}})
    return spec
