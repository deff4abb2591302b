"""Which format a payload is in, and the one entry point that normalizes it.

A payload is one alert, a JSON array of alerts (a batch; JSON paths in errors start
``alerts[3]``), or a vendor's own list (Sentinel's ``{"value": […]}``, an Elasticsearch
search response). A batch normalizes whole or raises: nothing is half taken in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.cases.intake import elastic, mapped, ocsf, sentinel, splunk
from watchkeeper.cases.intake.mapped import AlertMapping
from watchkeeper.cases.intake.node import Node
from watchkeeper.cases.model import AlertIn
from watchkeeper.errors import IntakeError

PAYLOAD = "(payload)"
_WHITESPACE = " \t\r\n"
Parse = Callable[[Node, str, datetime | None], AlertIn]


@dataclass(frozen=True)
class Format:
    """One vendor format: how to recognize an alert, parse it, and find its list shape."""

    name: str
    looks_like: Callable[[object], bool]
    parse: Parse
    is_list: Callable[[object], bool] = lambda doc: False
    list_at: tuple[str, ...] = ()  # keys leading to the list in the vendor's list shape


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("ocsf", ocsf.looks_like, lambda n, raw, _: ocsf.parse(n, raw)),
    Format("splunk", splunk.looks_like, splunk.parse),
    Format("sentinel", sentinel.looks_like, lambda n, raw, _: sentinel.parse(n, raw),
           sentinel.is_list, ("value",)),
    Format("elastic", elastic.looks_like, lambda n, raw, _: elastic.parse(n, raw),
           elastic.is_list, ("hits", "hits")),
)}
KNOWN = ", ".join(FORMATS)


def recognize(doc: Any) -> str:
    """The name of the format of `doc` (an alert, a batch's first alert, or a vendor
    list); `IntakeError` listing the known formats when none fits."""
    value = _decode(doc)[1]
    item = value[0] if isinstance(value, list) and value else value
    for fmt in FORMATS.values():
        if fmt.looks_like(item) or (not isinstance(value, list) and fmt.is_list(item)):
            return fmt.name
    raise IntakeError(PAYLOAD, f"unknown alert format (known: {KNOWN}; or give a mapping)")


def parse_payload(doc: Any, *, fmt: str | None = None, mapping: AlertMapping | None = None,
                  received: datetime | None = None) -> list[AlertIn]:
    """Every alert in `doc` (parsed JSON, or JSON text as `str`/`bytes`, whose exact text
    each alert keeps as `raw`), normalized; `IntakeError` names the field at fault.

    `fmt` forces a format (default: recognized per alert); `mapping` reads the payload
    through an alert mapping; `received` dates a Splunk post whose result has no time.
    """
    text, value = _decode(doc)
    chosen = _chosen(fmt, mapping)
    units = _units(value, text, chosen)
    alerts: list[AlertIn] = []
    seen: dict[tuple[str, str], tuple[str, AlertIn]] = {}
    for node, raw in units:
        alert = _parse_one(node, raw, chosen, mapping, received)
        key = (alert.source, alert.source_ref)
        if key in seen:
            first_path, first = seen[key]
            if first.fingerprint() != alert.fingerprint():
                raise node.fail(f"same source reference as {first_path}, different content")
            continue
        seen[key] = (node.path or PAYLOAD, alert)
        alerts.append(alert)
    return alerts


def _chosen(fmt: str | None, mapping: AlertMapping | None) -> Format | None:
    if mapping is not None:
        if fmt not in (None, "mapped"):
            raise IntakeError("format", f"{fmt!r} cannot be combined with a mapping")
        return None
    if fmt is None:
        return None
    if fmt not in FORMATS:
        raise IntakeError("format", f"unknown format {fmt!r} (known: {KNOWN}, mapped)")
    return FORMATS[fmt]


def _parse_one(node: Node, raw: str, chosen: Format | None, mapping: AlertMapping | None,
               received: datetime | None) -> AlertIn:
    if mapping is not None:
        return mapped.parse(node, raw, mapping)
    if chosen is not None:
        return chosen.parse(node, raw, received)
    for fmt in FORMATS.values():
        if fmt.looks_like(node.value):
            return fmt.parse(node, raw, received)
    raise node.fail(f"unknown alert format (known: {KNOWN}; or give a mapping)")


def _units(value: object, text: str | None, chosen: Format | None) -> list[tuple[Node, str]]:
    """(alert, its raw text) for every alert in the payload."""
    if isinstance(value, list):
        texts = _array_texts(text) if text is not None else [_dump(v) for v in value]
        return [(Node(v, f"alerts[{i}]"), t) for i, (v, t) in enumerate(zip(value, texts,
                                                                          strict=True))]
    lists = [chosen] if chosen is not None else list(FORMATS.values())
    for fmt in lists:
        if fmt.is_list(value):
            node = Node(value).at(*fmt.list_at)
            return [(item, _dump(item.value)) for item in node.items()]
    return [(Node(value), text if text is not None else _dump(value))]


def _decode(doc: Any) -> tuple[str | None, object]:
    """(the JSON text when given as text, the parsed value)."""
    if isinstance(doc, bytes | bytearray):
        try:
            doc = bytes(doc).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IntakeError(PAYLOAD, f"invalid UTF-8 at byte {exc.start}") from None
    if not isinstance(doc, str):
        _dump(doc)  # a JSON value at all?
        return None, doc
    text = doc.removeprefix("\ufeff")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise IntakeError(PAYLOAD, f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                                   f"{exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "too deeply nested"
        raise IntakeError(PAYLOAD, f"invalid JSON: {reason}") from None
    if "\\u" in text:
        _dump(value)  # lone surrogate escapes are not text
    return text, value


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _dump(value: object) -> str:
    """Compact JSON text of a value; `IntakeError` when it is not a JSON value."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        reason = "lone surrogate escape" if isinstance(exc, UnicodeEncodeError) else (
            "too deeply nested" if isinstance(exc, RecursionError) else str(exc))
        raise IntakeError(PAYLOAD, f"not a JSON value: {reason}") from None
    return text


def _array_texts(text: str) -> list[str]:
    """The exact text of each element of the (valid) JSON array `text`."""
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    pos = _skip(text, 0) + 1  # past "["
    out: list[str] = []
    pos = _skip(text, pos)
    while text[pos] != "]":
        _, end = decoder.raw_decode(text, pos)
        out.append(text[pos:end])
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
    return out


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos
