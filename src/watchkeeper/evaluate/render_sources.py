"""Plain-text tables (80 columns) of `evaluate --by-source` and `sources value`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchkeeper.evaluate.sources import BySourceReport
    from watchkeeper.risk.sources import SourcesValue

# metric, column head, shown as a percentage
COLUMNS = (
    ("person_auc", "AUC", False),
    ("average_precision", "AP", False),
    ("leavers_auc", "lvAUC", False),
    ("alerted_within_3d", "<=3d", True),
    ("alerted_within_7d", "<=7d", True),
    ("false_alerts_per_day_per_1000", "FA/d", False),
    ("warned_1d", "warn", True),
    ("false_warnings_per_day_per_1000", "FW/d", False),
)
LABEL = 24
WIDTH = 7


def _cell(value: float | None, pct: bool, signed: bool) -> str:
    if value is None:
        return "-".rjust(WIDTH)
    sign = "+" if signed else ""
    text = (
        f"{100 * value:{sign}.0f}%"
        if pct
        else f"{value:{sign}.3f}"
        if abs(value) < 10
        else f"{value:{sign}.1f}"
    )
    return text.rjust(WIDTH)


def render_by_source(r: BySourceReport) -> str:
    head = "run".ljust(LABEL) + "".join(h.rjust(WIDTH) for _, h, _ in COLUMNS)
    lines = [head, "-" * len(head)]
    for run in r.runs:
        relative = run.kind.value in ("without", "with")
        values = run.change if relative else run.metrics
        label = run.run if len(run.run) <= LABEL - 1 else run.run[: LABEL - 2] + "…"
        lines.append(
            label.ljust(LABEL)
            + "".join(_cell(values.get(m), pct, relative) for m, _, pct in COLUMNS)
        )
    lines += [
        "",
        "'- X': change against all sources when X is left out; 'base + X': change",
        "against the base set when X is added. AUC: person ROC AUC; lvAUC: among",
        "leavers; <=3d/<=7d: incidents alerted within; FA/d, FW/d: false alerts,",
        "false warnings per day per 1,000 people; warn: incidents warned >= 1 day",
        "before their start.",
    ]
    return "\n".join(lines) + "\n"


def render_value(value: SourcesValue) -> str:
    head = f"{'source':<24}{'alert evidence':>16}{'deviating features':>20}{'rows':>14}"
    lines = [
        f"Over {value.alerts:,} risk alerts and {value.deviating_features:,} "
        "deviating features of the stored analysis:",
        "",
        head,
        "-" * len(head),
    ]
    for v in value.sources:
        lines.append(
            f"{v.label:<24}{100 * v.alert_share:>15.1f}%"
            f"{100 * v.deviation_share:>19.1f}%{v.rows:>14,}"
        )
    return "\n".join(lines) + "\n"
