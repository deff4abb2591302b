"""Source families, and each family's share of the risk evidence (no answer key needed).

A *source family* is what a team onboards in one go: one or a few lake tables
(`FAMILIES`). `source_value` says what each family contributed to a stored analysis:

- **alert evidence**: for every risk alert, the risk events of that person on the alert
  day and the `EVIDENCE_DAYS` before, each weighted by its score decayed to the alert
  day (the half-life risk scoring uses), shared out to the families it came from: a
  behaviour anomaly to the event classes of its evidence, an indicator to its feature's
  class, a rule finding or external alert to "rule findings/alerts". Scenario matches
  restate evidence already counted and are left out; sustained-drift events carry no
  source and are counted as "unattributed". The directory (LDAP/HR) acts through the
  risk context (leaving, privileged) rather than events, so its share here is 0;
  `evaluate --by-source` measures it.
- **deviating features**: the top features of every behaviour anomaly whose deviation
  reaches `min_z` (the risk scoring's `anomaly_min_z`), counted per family.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ueba.catalog import FAMILY_CLASS, FIRST_CLASS

FAMILIES: dict[str, tuple[str, ...]] = {
    "logons": ("events/authentication",),
    "directory": ("entities/people", "entities/people_observations"),
    "devices": ("entities/devices",),
    "email": ("events/email",),
    "usb": ("events/peripheral",),
    "file": ("events/file",),
    "web": ("events/web",),
    "datastore": ("events/datastore", "entities/data_assets"),
    "process": ("events/process",),
    "psychometric": ("entities/psychometric",),
    "findings": ("events/finding",),
}
BASE = ("logons", "directory")
LABELS = {
    "logons": "logons",
    "directory": "LDAP/HR",
    "devices": "device inventory",
    "email": "email",
    "usb": "USB",
    "file": "file",
    "web": "web",
    "datastore": "data stores",
    "process": "processes",
    "psychometric": "psychometric",
    "findings": "rule findings/alerts",
    "unattributed": "unattributed",
}
CLASS_FAMILY = {
    t.split("/", 1)[1]: f for f, ts in FAMILIES.items() for t in ts if t.startswith("events/")
}
# feature name prefixes of features not (yet) in the catalog's families
_PREFIX = (
    ("logon", "logons"),
    ("session", "logons"),
    ("usb", "usb"),
    ("file", "file"),
    ("email", "email"),
    ("web", "web"),
    ("ds_", "datastore"),
)
EVIDENCE_DAYS = 14
UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class SourceValue:
    """One family's share of the alert evidence and of the deviating features."""

    family: str
    label: str
    rows: int  # rows stored in the lake for it
    alert_share: float
    deviation_share: float


@dataclass(frozen=True)
class SourcesValue:
    """`sources value`: one row per family, and what the shares were computed over."""

    sources: list[SourceValue]
    alerts: int
    deviating_features: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def feature_family(feature: str, family: str | None = None) -> str:
    """The source family of a behaviour feature (its catalog family when given)."""
    if family == "first_time" and feature in FIRST_CLASS:
        return CLASS_FAMILY.get(FIRST_CLASS[feature], UNATTRIBUTED)
    if family in FAMILY_CLASS:
        return CLASS_FAMILY.get(FAMILY_CLASS[family], UNATTRIBUTED)
    for prefix, name in _PREFIX:
        if feature.startswith(prefix) or feature.startswith(f"first_{prefix}"):
            return name
    return UNATTRIBUTED


def ref_families(refs: list[str] | None) -> list[str]:
    """The families a risk event's references point to (one entry per reference)."""
    out = []
    for ref in refs or []:
        kind, _, rest = ref.partition(":")
        if kind == "finding":
            out.append("findings")
        elif kind == "feature":
            out.append(feature_family(rest))
        elif kind in CLASS_FAMILY:
            out.append(CLASS_FAMILY[kind])
    return out


def _event_weights(events: pa.Table) -> dict[str, list[tuple[dt.date, float, dict[str, float]]]]:
    """Per person: (day, score, share per family) of every risk event counted."""
    out: dict[str, list[tuple[dt.date, float, dict[str, float]]]] = defaultdict(list)
    for user, day, sid, score, refs in zip(
        events["user"].to_pylist(),
        events["day"].to_pylist(),
        events["signal_id"].to_pylist(),
        events["score"].to_pylist(),
        events["refs"].to_pylist(),
        strict=True,
    ):
        if sid.startswith("scenario:") or not score:
            continue
        fams = ref_families(refs) or [UNATTRIBUTED]
        shares: dict[str, float] = defaultdict(float)
        for f in fams:
            shares[f] += 1.0 / len(fams)
        out[user].append((day, float(score), dict(shares)))
    return out


def alert_evidence(events: pa.Table, alerts: pa.Table, half_life_days: float) -> dict[str, float]:
    """Each family's decayed risk-event weight behind the alerts (not normalised)."""
    by_user = _event_weights(events)
    total: dict[str, float] = defaultdict(float)
    for user, day in zip(alerts["user"].to_pylist(), alerts["day"].to_pylist(), strict=True):
        for when, score, shares in by_user.get(user, ()):
            age = (day - when).days
            if 0 <= age <= EVIDENCE_DAYS:
                weight = score * 0.5 ** (age / half_life_days)
                for family, share in shares.items():
                    total[family] += weight * share
    return dict(total)


def deviating_features(anomalies: pa.Table, min_z: float) -> dict[str, int]:
    """Per family, the anomalies' top features whose |z| reaches `min_z`."""
    counts: dict[str, int] = defaultdict(int)
    if "top_features" not in anomalies.column_names or not anomalies.num_rows:
        return {}
    tops = pc.list_flatten(anomalies["top_features"])
    z = pc.fill_null(pc.abs(pc.struct_field(tops, "z")), 0.0)
    kept = pc.filter(tops, pc.greater_equal(z, min_z))
    pairs = pa.table(
        {"feature": pc.struct_field(kept, "feature"), "family": pc.struct_field(kept, "family")}
    )
    for row in pairs.group_by(["feature", "family"]).aggregate([("feature", "count")]).to_pylist():
        counts[feature_family(row["feature"], row["family"])] += int(row["feature_count"])
    return dict(counts)


def source_value(
    evidence: dict[str, float], deviations: dict[str, int], rows: dict[str, int]
) -> list[SourceValue]:
    """One row per family stored or contributing, largest alert share first."""
    ev_total = sum(evidence.values()) or 1.0
    dev_total = sum(deviations.values()) or 1
    names = [
        f for f in (*FAMILIES, UNATTRIBUTED) if rows.get(f) or evidence.get(f) or deviations.get(f)
    ]
    out = [
        SourceValue(
            f,
            LABELS.get(f, f),
            rows.get(f, 0),
            evidence.get(f, 0.0) / ev_total,
            deviations.get(f, 0) / dev_total,
        )
        for f in names
    ]
    return sorted(out, key=lambda v: (-v.alert_share, -v.deviation_share, v.family))
