"""The transparency report as CSV, as a Vega-Lite chart and as one HTML file.

The CSV is long and tidy: one row per figure (``section``, ``from_region``,
``to_region``, ``key``, ``measure``, ``value``), so the pair counts, the purposes and
the violation kinds share one table. The HTML file holds everything it shows: the
chart's specification and data, and the vendored Vega, Vega-Lite and vega-embed scripts
the caller hands in, inline; it opens offline and fetches nothing. Every figure of the
chart is also in the page's tables.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, fields

from watchkeeper.access.report import PairCounts, TransparencyReport

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier, never fetched
CSV_HEAD = ("section", "from_region", "to_region", "key", "measure", "value")
_PAIR_MEASURES = tuple(
    f.name for f in fields(PairCounts) if f.name not in ("from_region", "to_region", "cross_region")
)
# the measures the chart shows, in its legend's order
CHART_MEASURES = (
    "employees",
    "approved",
    "requests_denied",
    "grants_expired",
    "violations",
    "violations_resolved",
)


def to_csv(report: TransparencyReport) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_HEAD)
    for p in report.pairs:
        for m in _PAIR_MEASURES:
            out.writerow(("pair", p.from_region, p.to_region, "", m, getattr(p, m)))
    for q in report.purposes:
        for m in ("decisions", "employees", "grants"):
            out.writerow(("purpose", q.from_region, q.to_region, q.purpose, m, getattr(q, m)))
    for k in report.violations:
        out.writerow(("violations", "", "", k.kind, "found", k.found))
        out.writerow(("violations", "", "", k.kind, "resolved", k.resolved))
    return buf.getvalue()


def chart(report: TransparencyReport) -> dict[str, object]:
    """Grouped bars: per region pair, the people who reached the data, the requests
    approved and denied, the grants that expired, the violations found and resolved."""
    values = [
        {"pair": f"{p.from_region} -> {p.to_region}", "measure": m, "count": getattr(p, m)}
        for p in report.pairs
        for m in CHART_MEASURES
    ]
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 260,
        "description": f"Access to user data by region pair, {report.period}",
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {
                "field": "pair",
                "type": "nominal",
                "title": "employee region -> data region",
                "axis": {"labelAngle": 0},
            },
            "xOffset": {"field": "measure", "sort": list(CHART_MEASURES)},
            "y": {"field": "count", "type": "quantitative", "title": "count"},
            "color": {"field": "measure", "type": "nominal", "sort": list(CHART_MEASURES)},
        },
    }


def to_html(report: TransparencyReport, scripts: Sequence[str]) -> str:
    """One self-contained page (`scripts`: vega, vega-lite, vega-embed, in order)."""
    spec = json.dumps(chart(report), sort_keys=True).replace("</", "<\\/")
    inline = "\n".join(
        "<script>" + s.replace("</script", "<\\/script") + "</script>" for s in scripts
    )
    return _PAGE.format(
        title=html.escape(f"Transparency report {report.period}"),
        period=html.escape(report.period),
        span=html.escape(_span(report)),
        generated=report.generated_at.isoformat(timespec="seconds"),
        cross=report.cross_region_employees,
        pairs=_table(
            ("employee region", "data region", *_PAIR_MEASURES),
            [
                (p.from_region, p.to_region, *(getattr(p, m) for m in _PAIR_MEASURES))
                for p in report.pairs
            ],
        ),
        purposes=_table(
            (
                "employee region",
                "data region",
                "purpose",
                "allowing decisions",
                "employees",
                "grants approved",
            ),
            [
                (q.from_region, q.to_region, q.purpose, q.decisions, q.employees, q.grants)
                for q in report.purposes
            ],
        ),
        violations=_table(
            ("kind", "found", "resolved"),
            [(k.kind, k.found, k.resolved) for k in report.violations],
        ),
        scripts=inline,
        spec=spec,
    )


def to_json(report: TransparencyReport) -> dict[str, object]:
    return asdict(report)


def _span(report: TransparencyReport) -> str:
    start = report.start.isoformat(timespec="seconds") if report.start else "the start"
    end = report.end.isoformat(timespec="seconds") if report.end else "now"
    return f"{start} to {end} (UTC)"


def _table(heads: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border-bottom: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }}
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) {{ text-align: left; }}
#chart {{ width: 100%; }}
</style></head><body>
<h1>{title}</h1>
<p>Period {period}: {span}. Generated {generated}. Counts only: no person is named.</p>
<p><strong>{cross}</strong> employee(s) accessed user data held in another region.</p>
<h2>By region pair</h2>
<div id="chart" role="img" aria-label="Access to user data by region pair"></div>
{pairs}
<h2>Purposes of allowed access</h2>
{purposes}
<h2>Violations</h2>
{violations}
<script type="application/json" id="spec">{spec}</script>
{scripts}
<script>
vegaEmbed("#chart", JSON.parse(document.getElementById("spec").textContent),
          {{actions: false}});
</script>
</body></html>
"""


__all__ = ["CSV_HEAD", "chart", "to_csv", "to_html", "to_json"]
