"""Hand-made lakes for UEBA tests: a base event per class, fields overridden per case."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.lake import Lake
from watchkeeper.schema import CLASSES, ENTITIES, EventClass

_ids = count()


def ev(cls: str, user: str, when: datetime, activity: str, **fields: Any) -> dict[str, Any]:
    """One event row of class `cls` (UTC time), other columns null unless given."""
    names = CLASSES[EventClass(cls)].column_names
    row: dict[str, Any] = dict.fromkeys(names)
    row.update(event_id=f"e{next(_ids)}", time=when.replace(tzinfo=UTC), source="test",
               activity=activity, user=user, host=fields.pop("host", f"PC-{user}"))
    row["class"] = cls
    row.update(fields)
    return row


def person(user: str, region: str | None, start: date = date(2020, 1, 1),
           **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ENTITIES["people"].column_names)
    row.update(user=user, region=region, employment_start=start, valid_from=start,
               department="Eng", team="T1", role="Dev", watchlists=[])
    row.update(fields)
    return row


def make_lake(root: Path, events: list[dict[str, Any]], people: list[dict[str, Any]] = (),
              devices: list[dict[str, Any]] = ()) -> Lake:  # type: ignore[assignment]
    lake = Lake(root, threads=1)
    with lake.transaction("t") as txn:
        by_cls: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            by_cls.setdefault(e["class"], []).append(e)
        for cls, rows in by_cls.items():
            schema = CLASSES[EventClass(cls)].schema
            txn.stage(cls, pa.Table.from_pylist(rows, schema=schema), 0)
        if people:  # people history is a derived table: replaced whole, all rows kept
            txn.replace("people", pa.Table.from_pylist(list(people),
                                                      schema=ENTITIES["people"].schema))
        if devices:
            txn.stage("devices", pa.Table.from_pylist(list(devices),
                                                     schema=ENTITIES["devices"].schema), 0)
        txn.commit({})
    return lake


def row_of(table: pa.Table, user: str, day: date) -> dict[str, Any]:
    rows = [r for r in table.to_pylist() if r["user"] == user and r["day"] == day]
    assert len(rows) == 1, rows
    return rows[0]
