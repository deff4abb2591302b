"""Read a CERT-format answer key: ``answers/insiders.csv`` (simulator or CERT release).

Columns ``dataset,scenario,details,user,start,end``; extra columns are ignored, a file
without a header row is read in that order. Times are ``MM/DD/YYYY HH:MM:SS`` (seconds
optional), UTC for the simulator, as written for CERT releases.

CERT publishes one ``insiders.csv`` for every release, and some of its rows are malformed
(a start time of release r6.2, for one). A row *counts* when it belongs to the release
evaluated, or, when no release is named, when its person is among the people evaluated
(every row counts when neither is given). A malformed row that counts stops the read
with an error naming its line; any other malformed row is skipped with an
`AnswerWarning`. A row whose release or user cannot be read counts.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
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


class SkipReason(StrEnum):
    """Why a malformed row was skipped instead of stopping the evaluation."""

    OTHER_RELEASE = "other_release"  # the row belongs to a release not evaluated
    UNKNOWN_USER = "unknown_user"    # its person is not among the people evaluated


@dataclass(frozen=True)
class AnswerWarning:
    """A malformed answer-key row that was skipped; `message` is one line for a person."""

    file: str
    line: int
    dataset: str
    user: str
    skipped: SkipReason
    reason: str

    @property
    def message(self) -> str:
        why = (f"release {self.dataset!r} is not evaluated"
               if self.skipped is SkipReason.OTHER_RELEASE
               else f"user {self.user!r} is not in the lake")
        return f"{self.file}:{self.line}: skipped ({why}): {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "dataset": self.dataset,
                "user": self.user, "skipped": self.skipped.value, "reason": self.reason,
                "message": self.message}


@dataclass(frozen=True)
class AnswerKey:
    """The incidents in scope (of every person when no people were given) and the
    malformed rows skipped."""

    incidents: tuple[Incident, ...]
    warnings: tuple[AnswerWarning, ...]
    releases: tuple[str, ...]  # every release named in the file, in order of appearance


def same_release(a: str, b: str) -> bool:
    """CERT's release names with or without their prefix: "r4.2" equals "4.2"."""
    return a.strip().lstrip("rR") == b.strip().lstrip("rR")


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
    return list(read_answer_key(answers_dir, dataset).incidents)


def read_answer_key(answers_dir: Path, dataset: str | None = None,
                    users: Collection[str] | None = None) -> AnswerKey:
    """The incidents of `answers_dir/insiders.csv` (or the file itself) of one release
    (`dataset`, any when None), and the malformed rows skipped. `users` are the people
    evaluated: without a release, a malformed row of anyone else is a warning, not an
    error. Well-formed rows of other people are kept in `incidents`: the caller counts
    them. A release that has no row is an error listing the releases."""
    path = answers_dir / "insiders.csv" if answers_dir.is_dir() else answers_dir
    incidents: list[Incident] = []
    warnings: list[AnswerWarning] = []
    releases: dict[str, None] = {}
    for rec in _records(path):
        release = rec.fields.get("dataset")
        if release:
            releases.setdefault(release)
        incident = _check(rec, path, warnings, _skip(rec, dataset, users))
        if incident is not None and (dataset is None or same_release(release or "", dataset)):
            incidents.append(incident)
    if dataset is not None and not any(same_release(r, dataset) for r in releases):
        raise InputError(path, f"no incidents of release {dataset!r} (releases: "
                               f"{', '.join(releases) or 'none'})")
    return AnswerKey(tuple(incidents), tuple(warnings), tuple(releases))


@dataclass(frozen=True)
class _Record:
    line: int
    fields: dict[str, str]  # column -> text; a short row lacks its last columns
    width: int              # fields in the row
    expected: int           # columns of the header


def _records(path: Path) -> list[_Record]:
    if not path.exists():
        raise InputError(path, "no insiders.csv in the answers folder")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from None
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    has_header = "user" in header
    names = header if has_header else list(COLUMNS)
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError(path, f"missing columns {', '.join(missing)}", 1)
    first = 2 if has_header else 1
    return [_Record(n, {k: v.strip() for k, v in zip(names, row, strict=False)}, len(row),
                    len(names))
            for n, row in enumerate(rows[1:] if has_header else rows, start=first)]


def _skip(rec: _Record, dataset: str | None, users: Collection[str] | None
          ) -> SkipReason | None:
    """Why the row does not count (so a malformed one is only a warning), if it does not."""
    release, user = rec.fields.get("dataset"), rec.fields.get("user")
    if dataset is not None:
        return SkipReason.OTHER_RELEASE if release and not same_release(release, dataset) \
            else None
    if users is not None and user and user not in users:
        return SkipReason.UNKNOWN_USER
    return None


def _check(rec: _Record, path: Path, warnings: list[AnswerWarning],
           skip: SkipReason | None) -> Incident | None:
    """The row's incident; when it is malformed, an error if it counts (`skip` is None),
    else a warning and None."""
    try:
        return _incident(rec, path)
    except InputError as exc:
        if skip is None:
            raise
        warnings.append(AnswerWarning(str(path), rec.line, rec.fields.get("dataset", ""),
                                      rec.fields.get("user", ""), skip, exc.reason))
        return None


def _incident(rec: _Record, path: Path) -> Incident:
    f = rec.fields
    if any(c not in f for c in COLUMNS):
        raise InputError(path, f"expected {rec.expected} fields, got {rec.width}", rec.line)
    return Incident(f["dataset"], f["scenario"], f["details"], f["user"],
                    parse_time(f["start"], path, rec.line), parse_time(f["end"], path, rec.line))
