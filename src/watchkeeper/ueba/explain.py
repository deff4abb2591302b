"""Explanations: top deviating features per person-day and where their events are."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.ueba.catalog import Catalog
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.exfil import LONGEST_WINDOW, window_days
from watchkeeper.ueba.exfil import predicate as exfil_predicate
from watchkeeper.ueba.grid import Floats
from watchkeeper.ueba.timeclass import offset_changes

F64 = npt.NDArray[np.float64]

TOP_TYPE = pa.struct([("feature", pa.string()), ("value", pa.float64()),
                      ("self_baseline", pa.float64()), ("peer_baseline", pa.float64()),
                      ("z", pa.float64()), ("family", pa.string())])
EVIDENCE_TYPE = pa.struct([("class", pa.string()), ("filter", pa.string())])

_SPECIFIC = {
    "logon_own_pc": "activity = 'logon' AND host owned by user",
    "logon_shared_pc": "activity = 'logon' AND host is shared",
    "logon_other_users_pc": "activity = 'logon' AND host owned by another user",
    "logon_manager_pc": "activity = 'logon' AND host owned by the user's manager",
    "logon_failures": "activity = 'logon' AND status = 'failure'",
    "usb_minutes": "activity IN ('connect', 'disconnect')",
    "file_to_removable": "to_removable", "file_from_removable": "from_removable",
    "file_to_removable_after_hours": "to_removable AND local time outside working hours",
    "email_personal_recipients": "activity = 'send' AND recipient domain is personal",
    "email_external_recipients": "activity = 'send' AND external_recipient_count > 0",
    "email_attachments_external": "activity = 'send' AND external_recipient_count > 0 "
                                  "AND attachment_count > 0",
    "email_bcc": "activity = 'send' AND len(bcc) > 0",
    "web_uploads": "activity = 'upload'", "web_downloads": "activity = 'download'",
    "web_cloud_uploads": "activity = 'upload' AND category = 'cloud'",
    "ds_records_exported": "activity = 'export'", "ds_exports": "activity = 'export'",
    "ds_other_region_records": "data_region != person's region",
    "ds_other_region_exported": "activity = 'export' AND data_region != person's region",
    "ds_no_ticket_records": "ticket IS NULL",
    "ds_other_region_no_ticket_records": "data_region != person's region AND ticket IS NULL",
    "ds_restricted_no_ticket_records": "sensitivity = 'restricted' AND ticket IS NULL",
    "ds_sensitive_no_ticket_queries": "sensitivity IN ('high', 'restricted') AND "
                                      "ticket IS NULL",
    "ds_sensitive_no_ticket_reads": "activity = 'read' AND sensitivity IN ('high', "
                                    "'restricted') AND ticket IS NULL",
    "ds_no_purpose_queries": "purpose IS NULL",
    "ds_sensitive_no_purpose_reads": "activity = 'read' AND sensitivity IN ('high', "
                                     "'restricted') AND ticket IS NULL AND purpose IS NULL",
    "email_personal_attachments": "activity = 'send' AND recipient domain is personal "
                                  "AND attachment_count > 0",
    "email_personal_other_users_pc": "activity = 'send' AND recipient domain is personal "
                                     "AND host owned by another user",
    "first_usb": "activity = 'connect' (first ever)",
    "first_after_hours_logon": "activity = 'logon' AND local time outside working hours "
                               "(first ever)",
    "first_new_machine": "activity = 'logon' AND host never used before",
    "first_other_region_dataset": "data_region != person's region AND dataset never "
                                  "accessed before",
}
_PREFIX = {"logon": "activity = 'logon'", "session": "activity IN ('logon', 'logoff')",
           "usb": "activity = 'connect'", "email": "activity = 'send'"}


def predicate(feature: str, family: str) -> str:
    """What to filter the feature's event class on, beyond user and day."""
    exfil = exfil_predicate(feature)
    if exfil is not None:
        return exfil
    if feature in _SPECIFIC:
        pred = _SPECIFIC[feature]
    elif family == "web" and feature not in ("web_visits", "web_domains") \
            and not feature.startswith("web_visits_"):
        pred = f"category = '{feature.removeprefix('web_')}'"
    elif feature.startswith("ds_records_") and feature.split("_")[-1] in (
            "low", "medium", "high", "restricted"):
        pred = f"sensitivity = '{feature.split('_')[-1]}'"
    elif feature.startswith("file_") and feature.split("_")[-1] in (
            "open", "write", "copy", "delete"):
        pred = f"activity = '{feature.split('_')[-1]}'"
    else:
        pred = _PREFIX.get(family, "")
    for tc, words in (("_after_hours", "local time outside working hours"),
                      ("_weekend", "local day is a weekend"),
                      ("_work_hours", "local time inside working hours")):
        if feature.endswith(tc) and feature not in _SPECIFIC:
            pred = f"{pred} AND {words}" if pred else words
    return pred


class DayBounds:
    """UTC bounds of a person's local day, from their region's offset."""

    def __init__(self, cfg: UebaConfig, first: date, last: date) -> None:
        self.changes = {r: offset_changes(tz, first, last) for r, tz in cfg.timezones.items()}
        self.cache: dict[tuple[str, date], str] = {}

    def text(self, region: str, day: date) -> str:
        key = (region, day)
        if key not in self.cache:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            off = 0
            for instant, minutes in self.changes.get(region, []):
                if instant <= start + timedelta(hours=12):
                    off = minutes
            lo = start - timedelta(minutes=off)
            hi = lo + timedelta(days=1)
            self.cache[key] = (f"time >= TIMESTAMP '{lo:%Y-%m-%d %H:%M:%S}+00' AND "
                               f"time < TIMESTAMP '{hi:%Y-%m-%d %H:%M:%S}+00'")
        return self.cache[key]

    def span(self, region: str, day: date, days: int) -> str:
        """The bounds of the `days` local days to `day` (one day: `text`)."""
        if days <= 1:
            return self.text(region, day)
        first = self.text(region, day - timedelta(days=days - 1))
        last = self.text(region, day)
        return first.split(" AND ")[0] + " AND " + last.split(" AND ")[1]


def top_features(z: Floats, k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Indices of the k largest values per row (descending) and which of them are > 0."""
    k = min(k, z.shape[1])
    part = np.argpartition(-z, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(z, part, axis=1), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(z, idx, axis=1) > 0


def explanations(cat: Catalog, columns: tuple[str, ...], users: list[str], days: list[date],
                 zones: dict[str, str], values: F64, self_med: Floats, peer_med: Floats,
                 z: Floats, weights: F64, cfg: UebaConfig) -> tuple[pa.Array, pa.Array]:
    """The ``top_features`` and ``evidence`` list columns: features with z > 0 ranked by
    weighted z (what drives the score), largest first."""
    idx, keep = top_features(z * weights[None, :], cfg.top_k)
    rows = np.repeat(np.arange(z.shape[0]), idx.shape[1])[keep.reshape(-1)]
    feats = idx.reshape(-1)[keep.reshape(-1)]
    offsets = pa.array(np.concatenate([[0], np.cumsum(keep.sum(axis=1))]), pa.int32())
    names = [columns[i] for i in feats]
    families = [cat.family_of(c) for c in columns]
    event_classes = [cat.event_class(c) for c in columns]
    structs = pa.StructArray.from_arrays([
        pa.array(names, pa.string()), pa.array(values[rows, feats]),
        pa.array(np.expm1(self_med[rows, feats].astype(np.float64)), from_pandas=True),
        pa.array(np.expm1(peer_med[rows, feats].astype(np.float64)), from_pandas=True),
        pa.array(z[rows, feats].astype(np.float64)),
        pa.array([families[i] for i in feats], pa.string()),
    ], fields=list(TOP_TYPE))
    bounds = DayBounds(cfg, min(days) - timedelta(days=LONGEST_WINDOW),
                       max(days)) if days else None
    classes, filters = [], []
    for r, f in zip(rows.tolist(), feats.tolist(), strict=True):
        user, day, col = users[r], days[r], columns[f]
        classes.append(event_classes[f])
        pred = predicate(col, families[f])
        when = bounds.span(zones.get(user, ""), day, window_days(col)) if bounds else ""
        where = f"user = '{user}' AND {when}" if bounds else ""
        filters.append(f"{where} AND {pred}" if pred else where)
    evidence = pa.StructArray.from_arrays(
        [pa.array(classes, pa.string()), pa.array(filters, pa.string())],
        fields=list(EVIDENCE_TYPE))
    return (pa.ListArray.from_arrays(offsets, structs),
            pa.ListArray.from_arrays(offsets, evidence))
