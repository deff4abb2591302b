"""Alert files for ``alerts import``: one JSON document (an alert, an array, a vendor
list) or JSON lines (one alert per line). Errors name the file, the line and the field;
any error stops the whole import, so files are taken in whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from watchkeeper.cases.intake.mapped import AlertMapping
from watchkeeper.cases.intake.registry import parse_payload
from watchkeeper.cases.model import AlertIn
from watchkeeper.errors import InputError, IntakeError


def read_alert_files(paths: Iterable[Path | str], *, fmt: str | None = None,
                     mapping: AlertMapping | None = None,
                     received: datetime | None = None) -> list[AlertIn]:
    """Every alert of every file, normalized (see `parse_payload`)."""
    alerts: list[AlertIn] = []
    for path in paths:
        alerts.extend(_read(Path(path), fmt, mapping, received))
    return alerts


def _read(path: Path, fmt: str | None, mapping: AlertMapping | None,
          received: datetime | None) -> list[AlertIn]:
    text = _text(path)
    if not text.strip():
        raise IntakeError("(payload)", "empty file", path=path)
    if _is_json_lines(text):
        return _read_lines(path, text, fmt, mapping, received)
    try:
        return parse_payload(text, fmt=fmt, mapping=mapping, received=received)
    except IntakeError as exc:
        raise exc.located(path) from None


def _read_lines(path: Path, text: str, fmt: str | None, mapping: AlertMapping | None,
                received: datetime | None) -> list[AlertIn]:
    alerts: list[AlertIn] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            alerts.extend(parse_payload(line, fmt=fmt, mapping=mapping, received=received))
        except IntakeError as exc:
            raise exc.located(path, number) from None
    return alerts


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, exc.strerror or type(exc).__name__) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise IntakeError("(payload)", f"invalid UTF-8 at byte {exc.start}", path=path) from None


def _is_json_lines(text: str) -> bool:
    """More than one JSON value, one per line (a single document may span lines)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.msg == "Extra data"
    except (ValueError, RecursionError):
        return False
    return False

