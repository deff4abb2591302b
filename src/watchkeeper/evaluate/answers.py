"""Read a CERT-format answer key: ``answers/insiders.csv`` (simulator or CERT release).

Columns ``dataset,scenario,details,user,start,end``; extra columns are ignored, a file
without a header row is read in that order. Times are ``MM/DD/YYYY HH:MM:SS`` (seconds
optional), UTC for the simulator, as written for CERT releases.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.errors import InputError

COLUMNS = ("dataset", "scenario", "details", "user", "start", "end")
_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
            "%m/%d/%Y")


@dataclass(frozen=True)
class Incident:
    """One insider incident of the answer key."""

    dataset: str
    scenario: str
    details: str
    user: str
    start: dt.datetime
    end: dt.datetime

    @property
    def start_day(self) -> dt.date:
        return self.start.date()

    @property
    def end_day(self) -> dt.date:
        return self.end.date()


def parse_time(text: str, path: Path, line: int) -> dt.datetime:
    value = text.strip().rstrip("Z")
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise InputError(path, f"unreadable time {text!r}", line)


def read_insiders(answers_dir: Path, dataset: str | None = None) -> list[Incident]:
    """Incidents of `answers_dir/insiders.csv` (or the file itself), optionally one dataset.

    `dataset` matches with or without CERT's release prefix: "r4.2" and "4.2" are equal.
    """
    path = answers_dir / "insiders.csv" if answers_dir.is_dir() else answers_dir
    if not path.exists():
        raise InputError(path, "no insiders.csv in the answers folder")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    has_header = "user" in header
    names = header if has_header else list(COLUMNS)
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError(path, f"missing columns {', '.join(missing)}", 1)
    out = []
    for n, row in enumerate(rows[1:] if has_header else rows, start=2 if has_header else 1):
        if len(row) < len(names):
            raise InputError(path, f"expected {len(names)} fields, got {len(row)}", n)
        rec = {k: v.strip() for k, v in zip(names, row, strict=False)}
        if dataset is not None and rec["dataset"].lstrip("r") != dataset.lstrip("r"):
            continue
        out.append(Incident(rec["dataset"], rec["scenario"], rec["details"], rec["user"],
                            parse_time(rec["start"], path, n), parse_time(rec["end"], path, n)))
    return out
