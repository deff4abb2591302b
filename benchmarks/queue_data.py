"""A realistic alert queue, generated from a simulated enterprise and bulk-loaded into a
state store (for bench_queue.py).

`people_of(lake)` reads the enterprise's people (their region, name, email and own
machine); `plan(n, people, detections, start, end, seed)` describes `n` alerts over the
lake's year and `batches(queue)` makes them in arrival order: six sources (the
workspace's detections and risk alerts, Splunk, Sentinel with rule ids that are Azure
resource paths of 235 characters, Elastic, OCSF senders), 110 rules with a long tail,
severities and statuses as a year-old queue holds them (most resolved or archived, some
new, in progress or suppressed), one or two people and their machine per alert (a few
people with many alerts), observables, lake findings behind detections, some alerts in
groups, and titles that name people (the listing redacts them). `load` writes them with
Core ``executemany`` on SQLite and ``COPY`` on PostgreSQL: never through intake one by one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, insert, text
from sqlalchemy.sql.schema import Table

import watchkeeper
from watchkeeper.lake import Lake
from watchkeeper.store.models import (
    Alert,
    AlertFinding,
    AlertGroup,
    AlertHost,
    AlertObservable,
    AlertSubject,
    GroupingRule,
    Suppression,
)

CHUNK = 20_000   # alerts per batch
SOURCES = {"watchkeeper.detect": 30, "watchkeeper.risk": 8, "splunk": 22, "sentinel": 18,
           "elastic": 14, "ocsf": 8}
SEVERITIES = {1: 18, 2: 30, 3: 30, 4: 15, 5: 6, 6: 1}
STATUSES = {"resolved": 58, "archived": 14, "new": 15, "in_progress": 6, "other": 2}
SUPPRESSED_SHARE = 0.05
GROUPED_SHARE = 0.08
RULE_WORDS = (
    "Suspicious sign-in from unfamiliar location", "Impossible travel", "Mass download",
    "Mailbox forwarding rule to external domain", "Upload to personal cloud storage",
    "Large archive copied to removable media", "Logon outside working hours",
    "Access to sensitive share without ticket", "Bulk record export from CRM",
    "Security log cleared", "Hacking tool downloaded", "Email to competitor domain",
    "Password spray against VPN", "Privileged group membership change",
    "New device registered", "Data staged in temp folder", "Leak site visited",
    "Keylogger file created", "Printing spike", "Screenshot tool burst",
)


@dataclass(frozen=True)
class Person:
    user: str
    name: str
    email: str
    region: str | None
    host: str | None


@dataclass(frozen=True)
class Rule:
    source: str
    name: str
    rule_id: str


@dataclass(frozen=True)
class Queue:
    """What `batches` generates, and what the timings draw their filters from."""

    alerts: int
    rules: tuple[Rule, ...]
    people: tuple[Person, ...]
    start: dt.datetime
    end: dt.datetime
    seed: int

    @property
    def groups(self) -> int:
        return max(1, int(self.alerts * GROUPED_SHARE / 6))


Rows = dict[str, list[dict[str, Any]]]


def people_of(lake: Lake) -> list[Person]:
    """Each person's current row of the people history, with their own machine."""
    rows = lake.table("people").to_pyarrow().to_pylist()
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["user"] not in latest or r["valid_from"] > latest[r["user"]]["valid_from"]:
            latest[r["user"]] = r
    devices = lake.table("devices").to_pyarrow().to_pylist()
    hosts = {d["owner"]: d["host"] for d in devices if d["owner"] and not d["shared"]}
    return [Person(u, r["name"], r["email"], r["region"], hosts.get(u))
            for u, r in sorted(latest.items())]


def detections() -> list[str]:
    """The ids of the detection rules Watchkeeper ships (its own alerts' rules)."""
    rules = Path(watchkeeper.__file__).parent / "rules"
    return sorted(p.stem for p in rules.rglob("*.yml"))


def span_of(lake: Lake) -> tuple[dt.datetime, dt.datetime]:
    auth = lake.table("authentication")
    first, last = auth.time.min().to_pyarrow().as_py(), auth.time.max().to_pyarrow().as_py()
    return first.astimezone(dt.UTC), last.astimezone(dt.UTC)


def rules(rng: random.Random, detections: Sequence[str]) -> list[Rule]:
    """The rules each source fires: the workspace's own detections, risk scenarios, and
    vendor analytics (Sentinel ids are Azure resource paths of 219 characters)."""
    out = [Rule("watchkeeper.detect", d, d) for d in detections]
    out += [Rule("watchkeeper.risk", f"risk.{s}", f"risk.{s}")
            for s in ("exfiltration", "departure", "sabotage", "fraud", "snooping")]
    for source in ("splunk", "sentinel", "elastic", "ocsf"):
        for n, words in enumerate(RULE_WORDS):
            name = f"{words} ({source[:3].upper()}-{n:02d})" if n % 3 else words
            out.append(Rule(source, name, _rule_id(rng, source, name)))
    return out


def _rule_id(rng: random.Random, source: str, name: str) -> str:
    if source == "sentinel":
        return (f"/subscriptions/{_uuid(rng)}/resourceGroups/soc-sentinel-rg/providers/"
                "Microsoft.OperationalInsights/workspaces/soc-sentinel-law/providers/"
                f"Microsoft.SecurityInsights/alertRules/{_uuid(rng)}")
    if source == "splunk":
        return name
    return _uuid(rng)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def plan(n: int, people: Sequence[Person], detections: Sequence[str],
         start: dt.datetime, end: dt.datetime, seed: int) -> Queue:
    return Queue(n, tuple(rules(random.Random(seed), detections)), tuple(people), start,
                 end, seed)


def batches(queue: Queue) -> Iterator[Rows]:
    """The rows of `queue`, parents first, then its alerts (ids 1..n in arrival order)
    and their children, `CHUNK` alerts per batch (see the module docstring for the mix).
    The same `queue` always gives the same rows."""
    rng = random.Random(queue.seed + 1)
    by_source = {s: [r for r in queue.rules if r.source == s] for s in SOURCES}
    rule_weights = {s: _cumulative(1 / (k + 2) for k in range(len(rs)))
                    for s, rs in by_source.items()}
    person_weights = _cumulative(1 / (k + 10) for k in range(len(queue.people)))
    ordered = list(queue.people)
    rng.shuffle(ordered)
    start = queue.start
    yield {
        "grouping_rules": [{"id": 1, "name": "same person and rule", "window_seconds": 86400,
                            "key_fields": ["subject", "rule"], "enabled": True,
                            "created_at": start}],
        "suppressions": [{"id": i, "match": {"rule": r}, "reason": "known noisy rule",
                          "owner": "soc-lead", "expires_at": None, "created_at": start}
                         for i, r in enumerate(("Printing spike", "Screenshot tool burst",
                                                "New device registered"), 1)],
        "alert_groups": [{"id": g, "grouping_rule_id": 1, "key": f"group-{g}",
                          "first_at": start, "last_at": queue.end, "alert_count": 0}
                         for g in range(1, queue.groups + 1)]}
    step = (queue.end - start) / queue.alerts
    sources, source_w = list(SOURCES), _cumulative(SOURCES.values())
    for first in range(1, queue.alerts + 1, CHUNK):
        rows: Rows = {t: [] for t in CHILDREN}
        for i in range(first, min(first + CHUNK, queue.alerts + 1)):
            when = start + step * (i - 1 + rng.random())
            source = rng.choices(sources, cum_weights=source_w)[0]
            rule = rng.choices(by_source[source], cum_weights=rule_weights[source])[0]
            who = list(dict.fromkeys(rng.choices(ordered, cum_weights=person_weights,
                                                 k=1 + (rng.random() < 0.08))))
            if rng.random() < 0.07:
                who = []   # a network or mail-flow alert about nobody in particular
            _alert(rows, rng, i, when, source, rule, who, queue.groups)
        yield rows


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(itertools.accumulate(weights))


SEVERITY_IDS, SEVERITY_WEIGHTS = list(SEVERITIES), _cumulative(SEVERITIES.values())
STATUS_NAMES, STATUS_WEIGHTS = list(STATUSES), _cumulative(STATUSES.values())
CHILDREN = ("alerts", "alert_subjects", "alert_hosts", "alert_observables", "alert_findings")


def _alert(tables: Rows, rng: random.Random, i: int,
           when: dt.datetime, source: str, rule: Rule, who: list[Person],
           groups: int) -> None:
    first = who[0] if who else None
    severity = rng.choices(SEVERITY_IDS, cum_weights=SEVERITY_WEIGHTS)[0]
    status = rng.choices(STATUS_NAMES, cum_weights=STATUS_WEIGHTS)[0]
    suppressed = rng.random() < SUPPRESSED_SHARE
    if suppressed:
        status = "new"
    title = (f"{rule.name}: {first.email}" if first and source in ("sentinel", "ocsf")
             else f"{rule.name} by {first.name}" if first and source != "watchkeeper.detect"
             else rule.name)
    ref = f"{source[:3]}-{i:08d}-{rng.getrandbits(32):08x}"
    raw = {"id": ref, "title": title, "severity": severity, "status": status,
           "rule": {"name": rule.name, "uid": rule.rule_id},
           "time": when.isoformat(), "users": [p.user for p in who],
           "hosts": [p.host for p in who if p.host], "product": source,
           "description": f"{rule.name}. Triggered by the analytic's query over the last "
                          "hour; see the linked events for the activity behind it."}
    region = first.region if first and rng.random() > 0.03 else None
    tables["alerts"].append({
        "id": i, "source": source, "source_ref": ref, "fingerprint": f"{rng.getrandbits(256):064x}",
        "class_uid": 2006 if "export" in rule.name.lower() else 2004, "title": title,
        "severity": severity, "status": status, "rule": rule.name, "rule_id": rule.rule_id,
        "description": raw["description"], "event_time": when,
        "first_seen": when - dt.timedelta(minutes=rng.randrange(0, 120)), "last_seen": when,
        "region": region, "raw": json.dumps(raw, separators=(",", ":")),
        "extra": {"event_refs": f"evt-{i}"} if source.startswith("watchkeeper") else {},
        "received_at": when + dt.timedelta(seconds=rng.randrange(5, 900)),
        "updated_at": when + dt.timedelta(seconds=rng.randrange(900, 86400 * 3)),
        "duplicates": rng.choice((0, 0, 0, 0, 1, 2)),
        "group_id": rng.randrange(1, groups + 1) if rng.random() < GROUPED_SHARE else None,
        "case_id": None, "suppressed_by": rng.randrange(1, 4) if suppressed else None,
    })
    for p in who:
        tables["alert_subjects"].append({"alert_id": i, "subject": p.user})
    for host in dict.fromkeys(p.host for p in who if p.host):
        tables["alert_hosts"].append({"alert_id": i, "host": host})
    address = ".".join(str(rng.randrange(1, 255)) for _ in range(3))
    tables["alert_observables"].append({"alert_id": i, "type": "ip", "value": f"10.{address}"})
    if source == "watchkeeper.detect":
        tables["alert_findings"].append({"alert_id": i, "finding_id": f"wk:{i:x}"})


TABLES: dict[str, Table] = {t.name: t for t in (  # type: ignore[misc]
    GroupingRule.__table__, Suppression.__table__, AlertGroup.__table__, Alert.__table__,
    AlertSubject.__table__, AlertHost.__table__, AlertObservable.__table__,
    AlertFinding.__table__)}
SEQUENCES = ("grouping_rules", "suppressions", "alert_groups", "alerts")


def load(engine: Engine, queue: Queue, analyze: bool = True) -> None:
    """Write every row of `queue` in one transaction; then (`analyze`) refresh the
    planner's statistics, as PostgreSQL's autovacuum would within a minute."""
    with engine.begin() as conn:
        for rows in batches(queue):
            for name, chunk in rows.items():
                if conn.dialect.name == "postgresql":
                    _copy(conn, TABLES[name], chunk)
                elif chunk:
                    conn.execute(insert(TABLES[name]), chunk)
        if conn.dialect.name == "postgresql":
            for name in SEQUENCES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
    if analyze:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL ``COPY … FROM STDIN`` (JSON columns as JSON text, times as they are)."""
    if not rows:
        return
    names = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in as_json and row[c] is not None
                            else row[c] for c in names])
    cursor.close()
