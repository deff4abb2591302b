"""An answer key in CERT's published layout: one ``answers/insiders.csv`` for every
release, a folder per release and scenario holding one detail file per insider, and
(as in CERT's own key) a malformed start time on a row of release r6.2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HEADER = "dataset,scenario,details,user,start,end"
BAD_TIME = "11/30/2010 14:3O:00"  # letter O for a zero


@dataclass(frozen=True)
class Row:
    dataset: str
    scenario: str
    user: str
    start: str
    end: str

    @property
    def details(self) -> str:
        return f"r{self.dataset}-{self.scenario}-{self.user}.csv"

    def line(self) -> str:
        return ",".join((self.dataset, self.scenario, self.details, self.user, self.start,
                         self.end))


def cert_rows(r42_users: tuple[str, str], r42_days: tuple[str, str]) -> list[Row]:
    """Rows of releases 4.2, 5.2 and 6.2; the two r4.2 insiders are `r42_users`, active
    on `r42_days` (MM/DD/YYYY); the r6.2 row of user LBM0006 has `BAD_TIME`."""
    first, second = r42_days
    return [
        Row("4.2", "1", r42_users[0], f"{first} 01:20:44", f"{first} 04:35:03"),
        Row("4.2", "2", r42_users[1], f"{second} 9:10:00", f"{second} 16:00:00"),
        Row("5.2", "1", "CCH0959", "1/4/2011 9:10:00", "02/14/2011 16:00:00"),
        Row("6.2", "3", "JPH1910", "01/08/2011 10:00:00", "01/09/2011 12:00:00"),
        Row("6.2", "4", "LBM0006", BAD_TIME, "12/02/2010 09:00:00"),
        Row("6.2", "5", "ACM2278", "08/18/2010 21:47:10", "08/18/2010 22:33:20"),
    ]


def write_cert_answers(root: Path, rows: list[Row]) -> Path:
    """The answers folder; returns it. The malformed r6.2 row is on line 6."""
    answers = root / "answers"
    answers.mkdir(parents=True, exist_ok=True)
    (answers / "insiders.csv").write_text(
        "".join(line + "\n" for line in (HEADER, *(r.line() for r in rows))), "utf-8")
    for r in rows:
        folder = answers / f"r{r.dataset}-{r.scenario}"
        folder.mkdir(exist_ok=True)
        (folder / r.details).write_text(
            f"logon,{{X-{r.user}}},{r.start},{r.user},PC-1,Logon\n", "utf-8")
    return answers


BAD_LINE = 6  # header is line 1; the LBM0006 row is the fifth record
