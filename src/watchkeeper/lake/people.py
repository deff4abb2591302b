"""Derive people history (one row per period of unchanged attributes) from observations.

Rules:
- An observation sets the attributes it has (non-null) from its ``as_of`` day on; LDAP
  rows carry the org chart, HR rows the employment facts (and org values where LDAP has
  none).
- A person present in an LDAP snapshot and missing from the next one left: their end date
  is the day before that next snapshot, unless HR says otherwise.
- A person first seen in a later LDAP snapshot joined then (unless HR gives a hire date).
- Facts are visible only from the day they were known: a notice date from that date on,
  an end date from the notice (or the end itself) on. An HR feed row is a snapshot taken
  after the fact, so its watchlists count from the row's notice date when it has one
  (a "departing" tag cannot have been known before the notice), else from its as-of day.
  History never shows a future fact.

Which observation wins (the same inputs give the same table, whatever their order):
- Observations are applied in one total order: by ``as_of`` day; on the same day by
  source, LDAP first, then HR, then any other source by name; within one source and day
  (the same person twice, e.g. two HR feed exports without an ``as_of`` column) by their
  content, compared column by column in schema order (``observation_id`` first, a
  missing value before any present one, dates as ISO text, watchlists as JSON). What is
  applied later wins: an LDAP row sets every org attribute, any other row only those it
  has; a person's employment facts are the last non-null ones in that order.
- Identical observations count once, so duplicates change nothing; arrival order, file
  order and set iteration order never matter. The table is sorted by user, valid_from.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.schema import PEOPLE

ORG = ("name", "email", "department", "team", "role", "manager")
HR_ONLY = ("region", "country", "employment_start", "notice_date", "end_date", "watchlists")
ATTRS = ORG + HR_ONLY
Row = dict[str, Any]


def derive_people(observations: pa.Table) -> pa.Table:
    """The people history table for all observations (any order, any sources), sorted by
    user and valid_from."""
    rows = ordered_observations(observations.to_pylist())
    snapshots = sorted({r["as_of"] for r in rows if r["source"] == "ldap"})
    by_user: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_user[r["user"]].append(r)
    out: list[Row] = []
    for user in sorted(by_user):
        out.extend(_history(user, by_user[user], snapshots))
    table = pa.Table.from_pylist(out, schema=PEOPLE.schema)
    return table.sort_by([("user", "ascending"), ("valid_from", "ascending")])


_SOURCE_RANK = {"ldap": 0, "hr": 1}
_CONTENT = ("observation_id", *ATTRS)


def ordered_observations(rows: list[Row]) -> list[Row]:
    """Distinct observations in the order they are applied (see the module docstring)."""
    unique = {_order_key(r): r for r in rows}
    return [unique[k] for k in sorted(unique)]


def _order_key(r: Row) -> tuple[Any, ...]:
    source = r["source"]
    content = tuple((r.get(k) is not None, _text(r.get(k))) for k in _CONTENT)
    return (r["as_of"], _SOURCE_RANK.get(source, len(_SOURCE_RANK)), source, r["user"],
            content)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _facts(obs: list[Row], snapshots: list[date]) -> Row:
    """Person-level employment facts: HR's word first, then what LDAP implies."""
    facts: Row = {k: None for k in ("employment_start", "notice_date", "end_date")}
    facts["watchlists"], facts["watch_from"] = None, None
    for r in obs:  # in application order: the last known fact wins
        if r["source"] != "ldap":
            facts.update({k: r[k] for k in ("employment_start", "notice_date", "end_date")
                          if r[k] is not None})
            if r.get("watchlists"):
                facts["watchlists"] = r["watchlists"]
                facts["watch_from"] = r["notice_date"] or r["as_of"]
    seen = sorted({r["as_of"] for r in obs if r["source"] == "ldap"})
    if seen:
        if facts["employment_start"] is None and seen[0] > snapshots[0]:
            facts["employment_start"] = seen[0]
        later = [s for s in snapshots if s > seen[-1]]
        if facts["end_date"] is None and later:
            facts["end_date"] = later[0] - timedelta(days=1)
    return facts


def _history(user: str, obs: list[Row], snapshots: list[date]) -> list[Row]:
    facts = _facts(obs, snapshots)
    known_end = facts["notice_date"] or facts["end_date"]
    points = {r["as_of"] for r in obs}
    points |= {d for d in (facts["notice_date"], known_end, facts["watch_from"])
               if d is not None}
    ordered = obs  # already in application order
    state: Row = dict.fromkeys(ATTRS)
    history: list[Row] = []
    i = 0
    for day in sorted(points):
        while i < len(ordered) and ordered[i]["as_of"] <= day:
            _apply(state, ordered[i])
            i += 1
        current = dict(state)
        current["employment_start"] = facts["employment_start"]
        nd = facts["notice_date"]
        current["notice_date"] = nd if nd is not None and day >= nd else None
        current["end_date"] = facts["end_date"] if known_end and day >= known_end else None
        watch_from = facts["watch_from"]
        current["watchlists"] = facts["watchlists"] if watch_from and day >= watch_from \
            else None
        if history and all(history[-1][k] == current[k] for k in ATTRS):
            continue
        if history:
            history[-1]["valid_to"] = day
        history.append({"user": user, **current, "valid_from": day, "valid_to": None})
    return history


def _apply(state: Row, obs: Row) -> None:
    keys = ORG if obs["source"] == "ldap" else ATTRS
    for k in keys:
        if k in ("employment_start", "notice_date", "end_date", "watchlists"):
            continue
        value = obs.get(k)
        if obs["source"] == "ldap" or value is not None:
            state[k] = value
