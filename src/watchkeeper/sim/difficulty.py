"""How hard a simulated enterprise is: simple per-person features straight from its files,
and how well each alone ranks the insiders (person-level ROC AUC).

    >>> report = measure(Path("sim"))
    >>> print(report.markdown())

A feature is a count or a maximum over the whole run for one person (no baselines, no
models): what a naive rule would look at. The realistic profile aims at no feature above
0.75 over all insiders, while every insider still shows their own scenario's trace
(`Report.missing_signals` is empty).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from watchkeeper.sim import vocab
from watchkeeper.sim.clock import REGIONS, utc_offset_minutes

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

FEATURES: dict[str, str] = {
    "after_hours_logons_max_day": "most logons on one day at 20:00-06:00 local",
    "after_hours_days": "days with a logon at 20:00-06:00 local",
    "distinct_pcs": "distinct PCs logged on to",
    "other_users_pc_logons": "logons on a PC assigned to someone else",
    "usb_days": "days with a removable drive connected",
    "usb_copies": "files copied to removable media",
    "job_site_visits": "pages of job sites",
    "leak_site_visits": "pages of wikileaks.org",
    "tool_site_downloads": "downloads from spyware/keylogger sites",
    "cloud_uploads": "uploads to cloud storage",
    "genai_uploads": "uploads (prompts) to generative-AI sites",
    "genai_largest_post": "longest prompt posted to a generative-AI site (characters)",
    "external_mails": "mails sent to an address outside the company",
    "personal_mails": "mails sent to a personal (webmail) address",
    "competitor_mails": "mails sent to the competitor",
    "attachment_bytes": "bytes attached to sent mails",
    "most_recipients": "most recipients of one sent mail",
    "left_company": "HR feed shows a notice or end date",
    "ds_no_ticket_sensitive": "high/restricted data-store accesses without a ticket",
    "ds_no_purpose": "data-store accesses without a declared purpose",
    "ds_cross_region_records": "records accessed in another region's data sets",
    "ds_largest_export": "records of the largest export",
}
SIGNALS: dict[str, tuple[tuple[str, ...], ...]] = {
    # scenario: groups of features; the insider must show one feature of each group
    "1": (("after_hours_days",), ("usb_copies",), ("leak_site_visits",), ("left_company",)),
    "2": (("job_site_visits",), ("usb_copies",), ("competitor_mails",), ("left_company",)),
    "3": (("tool_site_downloads",), ("other_users_pc_logons",), ("usb_copies",),
          ("left_company",)),
    "4": (("other_users_pc_logons",), ("personal_mails",)),
    "5": (("cloud_uploads",), ("left_company",)),
    "6": (("ds_cross_region_records",), ("ds_no_ticket_sensitive",)),
    "7": (("ds_no_ticket_sensitive",), ("ds_no_purpose",)),
    "8": (("personal_mails", "cloud_uploads"), ("left_company",)),
    "9": (("genai_largest_post",), ("left_company",)),
}


@dataclass(frozen=True)
class Report:
    """Per-feature AUC over all insiders and per scenario; insiders lacking their trace."""

    people: int
    insiders: dict[str, str]
    auc: dict[str, float]
    per_scenario: dict[str, dict[str, float]]
    missing_signals: list[str]
    profile: str
    seed: int

    def worst(self) -> tuple[str, float]:
        name = max(self.auc, key=lambda k: self.auc[k])
        return name, self.auc[name]

    def markdown(self) -> str:
        scenarios = sorted(set(self.insiders.values()), key=int)
        head = "| feature | all insiders | " + " | ".join(f"s{s}" for s in scenarios) + " |"
        lines = [head, "|---|---|" + "---|" * len(scenarios)]
        for name in FEATURES:
            cells = [f"{self.per_scenario[name].get(s, float('nan')):.2f}" for s in scenarios]
            lines.append(f"| `{name}` | {self.auc[name]:.3f} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def auc(positive: F64, negative: F64) -> float:
    """Mann-Whitney ROC AUC; ties count half."""
    if not len(positive) or not len(negative):
        return float("nan")
    values = np.concatenate([positive, negative])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_values)) + 1]
    last = np.r_[first[1:], len(values)]
    for a, b in zip(first, last, strict=True):
        ranks[order[a:b]] = (a + b + 1) / 2
    n_pos = len(positive)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * len(negative)))


def _read(path: Path, columns: list[str]) -> pa.Table:
    types = {c: pa.string() for c in columns}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        include_columns=columns, column_types=types))


def _seconds(dates: pa.ChunkedArray) -> I64:
    stamps = pc.strptime(dates, format="%m/%d/%Y %H:%M:%S", unit="s")
    return np.asarray(pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False))


class _People:
    """User ids, regions and local clocks of one run."""

    def __init__(self, root: Path, start: date, days: int) -> None:
        with (root / "hr_feed.csv").open(newline="", encoding="utf-8") as fh:
            self.hr = list(csv.DictReader(fh))
        self.ids = [r["id"] for r in self.hr]
        self.index = {u: i for i, u in enumerate(self.ids)}
        self.region = np.array([REGIONS.index(r["region"]) for r in self.hr])
        self.first = (start - date(1970, 1, 1)).days - 1
        span = days + 3
        self.offset = np.array([[utc_offset_minutes(r, start + timedelta(days=d - 1)) * 60
                                 for r in REGIONS] for d in range(span)], dtype=np.int64)

    def rows(self, users: pa.ChunkedArray) -> I64:
        idx = pc.index_in(users, value_set=pa.array(self.ids))
        return np.asarray(pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64)

    def local(self, who: I64, ts: I64) -> I64:
        day = np.clip(ts // 86_400 - self.first, 0, len(self.offset) - 1)
        return np.asarray(ts + self.offset[day, self.region[who]], dtype=np.int64)

    def count(self, who: I64, mask: npt.NDArray[np.bool_] | None = None,
              weights: F64 | None = None) -> F64:
        keep = who >= 0 if mask is None else (who >= 0) & mask
        w = None if weights is None else weights[keep]
        return np.bincount(who[keep], weights=w, minlength=len(self.ids)).astype(np.float64)

    def maximum(self, who: I64, values: F64, mask: npt.NDArray[np.bool_]) -> F64:
        out = np.zeros(len(self.ids))
        keep = (who >= 0) & mask
        np.maximum.at(out, who[keep], values[keep])
        return out

    def distinct(self, who: I64, key: I64, mask: npt.NDArray[np.bool_]) -> F64:
        keep = (who >= 0) & mask
        pairs = np.unique(np.stack([who[keep], key[keep]]), axis=1)
        return np.bincount(pairs[0], minlength=len(self.ids)).astype(np.float64)


def _has(values: pa.ChunkedArray, needles: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    hit = np.zeros(len(values), dtype=bool)
    for n in needles:
        hit |= np.asarray(pc.match_substring(values, n).to_numpy(zero_copy_only=False))
    return hit


def features(root: Path) -> tuple[list[str], dict[str, F64]]:
    """Every feature of `FEATURES` per person of the HR feed (in its order)."""
    meta = json.loads((root / "simulation.json").read_text(encoding="utf-8"))
    people = _People(root, date.fromisoformat(meta["start"]), int(meta["days"]))
    out: dict[str, F64] = {}
    _logons(root, people, out)
    _devices(root, people, out)
    _web(root, people, out)
    _mail(root, people, out)
    _store(root, people, out)
    out["left_company"] = np.array([float(bool(r["notice_date"] or r["end_date"]))
                                    for r in people.hr])
    return people.ids, {name: out[name] for name in FEATURES}


def _logons(root: Path, people: _People, out: dict[str, F64]) -> None:
    t = _read(root / "logon.csv", ["date", "user", "pc", "activity"])
    t = t.filter(pc.equal(t["activity"], "Logon"))
    who, ts = people.rows(t["user"]), _seconds(t["date"])
    local = people.local(who, ts)
    hour = (local % 86_400) // 3600
    late = (hour >= 20) | (hour < 6)
    day = (local - 6 * 3600) // 86_400  # an evening and the night after are one day
    out["after_hours_days"] = people.distinct(who, day, late)
    per_day = np.unique(np.stack([who[late & (who >= 0)], day[late & (who >= 0)]]), axis=1,
                        return_counts=True)
    most = np.zeros(len(people.ids))
    np.maximum.at(most, per_day[0][0], per_day[1].astype(np.float64))
    out["after_hours_logons_max_day"] = most
    pcs = pc.dictionary_encode(t["pc"]).combine_chunks()
    key = np.asarray(pcs.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    out["distinct_pcs"] = people.distinct(who, key, np.ones(len(who), bool))
    with (root / "devices.csv").open(newline="", encoding="utf-8") as fh:
        owner = {r["host"]: r["owner"] for r in csv.DictReader(fh)}
    names = pcs.dictionary.to_pylist()
    owners = pa.array([owner.get(n, "") for n in names]).take(pcs.indices)
    users = t["user"].combine_chunks()
    other = np.asarray(pc.and_(pc.not_equal(owners, ""), pc.not_equal(owners, users))
                       .to_numpy(zero_copy_only=False))
    out["other_users_pc_logons"] = people.count(who, other)


def _devices(root: Path, people: _People, out: dict[str, F64]) -> None:
    t = _read(root / "device.csv", ["date", "user", "activity"])
    t = t.filter(pc.equal(t["activity"], "Connect"))
    who = people.rows(t["user"])
    day = people.local(who, _seconds(t["date"])) // 86_400
    out["usb_days"] = people.distinct(who, day, np.ones(len(who), bool))
    f = _read(root / "file.csv", ["user", "to_removable_media"])
    f = f.filter(pc.equal(f["to_removable_media"], "True"))
    out["usb_copies"] = people.count(people.rows(f["user"]))


def _web(root: Path, people: _People, out: dict[str, F64]) -> None:
    t = _read(root / "http.csv", ["user", "url", "activity", "content"])
    who = people.rows(t["user"])
    upload = np.asarray(pc.equal(t["activity"], "WWW Upload").to_numpy(zero_copy_only=False))
    download = np.asarray(pc.equal(t["activity"], "WWW Download").to_numpy(
        zero_copy_only=False))
    domains = {c.name: tuple(f"//{d}/" for d in c.domains) for c in vocab.WEB}
    out["job_site_visits"] = people.count(who, _has(t["url"], domains["job"]))
    out["leak_site_visits"] = people.count(who, _has(t["url"], domains["leak"]))
    out["tool_site_downloads"] = people.count(who, download & _has(t["url"],
                                                                   domains["hacking"]))
    out["cloud_uploads"] = people.count(who, upload & _has(t["url"], domains["cloud"]))
    genai = upload & _has(t["url"], domains["genai"])
    out["genai_uploads"] = people.count(who, genai)
    size = np.asarray(pc.utf8_length(t["content"]).to_numpy(zero_copy_only=False), float)
    out["genai_largest_post"] = people.maximum(who, size, genai)


def _mail(root: Path, people: _People, out: dict[str, F64]) -> None:
    t = _read(root / "email.csv", ["user", "to", "activity", "attachments"])
    t = t.filter(pc.equal(t["activity"], "Send"))
    who = people.rows(t["user"])
    recipients = pc.split_pattern(t["to"], ";")
    count = np.asarray(pc.list_value_length(recipients).to_numpy(zero_copy_only=False), float)
    flat = pc.list_flatten(recipients)
    parent = np.asarray(pc.list_parent_indices(recipients).to_numpy(zero_copy_only=False))
    n = len(who)

    def any_to(test: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        hit = np.zeros(n, dtype=bool)
        hit[parent[test]] = True
        return hit

    inside = np.asarray(pc.ends_with(flat, "@" + vocab.COMPANY_DOMAIN).to_numpy(
        zero_copy_only=False))
    personal = np.zeros(len(inside), dtype=bool)
    for d in vocab.PERSONAL_DOMAINS:
        personal |= np.asarray(pc.ends_with(flat, "@" + d).to_numpy(zero_copy_only=False))
    rival = np.asarray(pc.ends_with(flat, "@" + vocab.COMPETITOR_DOMAIN).to_numpy(
        zero_copy_only=False))
    out["external_mails"] = people.count(who, any_to(~inside))
    out["personal_mails"] = people.count(who, any_to(personal))
    out["competitor_mails"] = people.count(who, any_to(rival))
    out["most_recipients"] = people.maximum(who, count, np.ones(n, bool))
    total = np.zeros(n)
    parts = pc.split_pattern(t["attachments"], ";")
    pflat = pc.list_flatten(parts)
    pparent = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False))
    found = pc.extract_regex(pflat, r"\((?P<b>[0-9]+)\)$")
    valid = np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False))
    bytes_ = pc.cast(pc.struct_field(found, [0]), pa.float64())
    vals = np.nan_to_num(np.asarray(bytes_.to_numpy(zero_copy_only=False), float))
    np.add.at(total, pparent[valid], vals[valid])
    out["attachment_bytes"] = people.count(who, weights=total)


def _store(root: Path, people: _People, out: dict[str, F64]) -> None:
    t = pajson.read_json(root / "datastore_access.jsonl")
    who = people.rows(t["user"])

    def col(name: str) -> pa.ChunkedArray:
        return t[name]

    sensitive = np.asarray(pc.is_in(col("sensitivity"), value_set=pa.array(
        ["high", "restricted"])).to_numpy(zero_copy_only=False))
    no_ticket = np.asarray(pc.is_null(col("ticket")).to_numpy(zero_copy_only=False))
    no_purpose = np.asarray(pc.is_null(col("purpose")).to_numpy(zero_copy_only=False))
    records = np.asarray(col("records").to_numpy(zero_copy_only=False), dtype=float)
    region = np.asarray(pc.index_in(col("data_region"), value_set=pa.array(
        list(REGIONS))).to_numpy(zero_copy_only=False))
    cross = (who >= 0) & (region != people.region[np.maximum(who, 0)])
    export = np.asarray(pc.equal(col("operation"), "export").to_numpy(zero_copy_only=False))
    out["ds_no_ticket_sensitive"] = people.count(who, sensitive & no_ticket)
    out["ds_no_purpose"] = people.count(who, no_purpose)
    out["ds_cross_region_records"] = people.count(who, cross, records)
    out["ds_largest_export"] = people.maximum(who, records, export)


def measure(root: Path) -> Report:
    """Features of a simulator output directory, scored against its answer key."""
    ids, values = features(root)
    meta = json.loads((root / "simulation.json").read_text(encoding="utf-8"))
    with (root / "answers" / "insiders.csv").open(newline="", encoding="utf-8") as fh:
        insiders = {r["user"]: r["scenario"] for r in csv.DictReader(fh)}
    is_insider = np.array([u in insiders for u in ids])
    scen = np.array([insiders.get(u, "") for u in ids])
    aucs: dict[str, float] = {}
    per: dict[str, dict[str, float]] = {}
    for name, v in values.items():
        aucs[name] = auc(v[is_insider], v[~is_insider])
        per[name] = {s: auc(v[scen == s], v[~is_insider]) for s in sorted(set(insiders.values()))}
    missing = []
    for k, user in enumerate(ids):
        if not is_insider[k]:
            continue
        for group in SIGNALS.get(insiders[user], ()):
            if not any(values[f][k] > 0 for f in group):
                missing.append(f"{user} (scenario {insiders[user]}): no {'/'.join(group)}")
    return Report(len(ids), insiders, aucs, per, missing, str(meta.get("profile", "classic")),
                  int(meta["seed"]))
