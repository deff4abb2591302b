"""CLI rendering helpers: error lines keep brackets, days are parsed strictly."""

from __future__ import annotations

from datetime import date

import pytest

from watchkeeper.cli import render
from watchkeeper.errors import ConfigError


def test_error_line_keeps_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    render.err.no_color = True
    render.error_line(r"rule.yml: pattern '[a-z]+\d[bold]' is invalid")
    assert capsys.readouterr().err.strip() == \
        r"error: rule.yml: pattern '[a-z]+\d[bold]' is invalid"


@pytest.mark.parametrize("text", ["2025-02-30", "2025-01-0199", "20250101", "2025-1-1", ""])
def test_parse_day_refuses_days_that_do_not_exist(text: str) -> None:
    with pytest.raises(ConfigError, match="--day"):
        render.parse_day(text, "--day")


def test_parse_day() -> None:
    assert render.parse_day("2024-02-29", "--since") == date(2024, 2, 29)
