"""The one period grammar: years, quarters, months, days, ranges and open ends as
half-open UTC intervals; a bad text is one line naming it and its option."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from watchkeeper.ops.period import Period, PeriodError, parse_period


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2025", utc(2025, 1, 1), utc(2026, 1, 1)),
    ("2025-Q1", utc(2025, 1, 1), utc(2025, 4, 1)),
    ("2025-q4", utc(2025, 10, 1), utc(2026, 1, 1)),
    ("2025-03", utc(2025, 3, 1), utc(2025, 4, 1)),
    ("2025-12", utc(2025, 12, 1), utc(2026, 1, 1)),
    ("2024-02-29", utc(2024, 2, 29), utc(2024, 3, 1)),
    ("2025-01-01..2025-03-31", utc(2025, 1, 1), utc(2025, 4, 1)),
    ("2025-01..2025-Q2", utc(2025, 1, 1), utc(2025, 7, 1)),
    (" 2025-03-14..2025-03-14 ", utc(2025, 3, 14), utc(2025, 3, 15)),
    ("2025-01..", utc(2025, 1, 1), None),
    ("..2025-03", None, utc(2025, 4, 1)),
])
def test_grammar(text: str, start: datetime | None, end: datetime | None) -> None:
    p = Period.parse(text)
    assert (p.start, p.end, p.text) == (start, end, text.strip())


@pytest.mark.parametrize("text", ["", "..", "2025-13", "2025-Q5", "2025-02-30", "March",
                                  "2025-03-01..2025-02-01", "2025-3", "0000", "9999..x",
                                  "2025-03-01T00:00", "x" * 500])
def test_bad_text_is_one_line_naming_it(text: str) -> None:
    with pytest.raises(PeriodError) as caught:
        Period.parse(text, "--period")
    message = str(caught.value)
    assert message.startswith("--period: ") and "\n" not in message
    assert len(message) < 200


def test_days_last_days_and_closing() -> None:
    p = Period.days(date(2025, 3, 1), date(2025, 3, 31))
    assert (p.start, p.end, p.text) == (utc(2025, 3, 1), utc(2025, 4, 1),
                                        "2025-03-01..2025-03-31")
    assert Period.parse(p.text) == p
    with pytest.raises(PeriodError, match="until: 2025-03-01 is before since 2025-03-31"):
        Period.days(date(2025, 3, 31), date(2025, 3, 1))
    now = utc(2025, 3, 14, 12)
    assert Period.last_days(30, now).closed(now) == (utc(2025, 2, 13), utc(2025, 3, 15))
    assert Period.parse("2025-03..").closed(now) == (utc(2025, 3, 1), now)
    assert Period.parse("..2025-02").closed(now)[0] == utc(1970, 1, 1)
    assert parse_period(None) is None
