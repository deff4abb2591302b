"""Normalized alerts (`AlertIn`) for queue tests: one base alert, fields overridden per
case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.cases.model import AlertIn, Observable, Severity

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
BASE = AlertIn(source="acme", source_ref="a-0", title="USB copy after hours",
               severity=Severity.HIGH, event_time=T0, raw='{"id": "a-0"}',
               rule="usb_copy", rule_id="acme.usb", subjects=("ACM2278",),
               hosts=("PC-1",), observables=(Observable("file_name", "q4.xlsx"),))


def make(i: int | str, **fields: Any) -> AlertIn:
    """Alert `i` (source_ref ``a-<i>``; an int `i` also puts it `i` minutes after T0),
    `fields` overriding the base alert's."""
    values: dict[str, Any] = {"source_ref": f"a-{i}", "raw": f'{{"id": "a-{i}"}}'}
    if isinstance(i, int):
        values["event_time"] = T0 + timedelta(minutes=i)
    values.update(fields)
    return replace(BASE, **values)
