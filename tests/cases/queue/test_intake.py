"""`ingest_alerts` / `store_alerts`: idempotent on (source, source_ref), changes recorded,
a batch whole or not at all, no double rows under concurrency; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from helpers.alerts_in import T0, make
from watchkeeper.cases.alert_rows import snapshot
from watchkeeper.cases.alerts import (
    LOOKUP,
    STORED,
    IntakeResult,
    ingest_alerts,
    store_alerts,
)
from watchkeeper.cases.intake import parse_payload
from watchkeeper.cases.model import Observable
from watchkeeper.errors import IntakeError
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert, AlertChange

FIXTURES = Path(__file__).parents[1] / "fixtures"
RECEIVED = T0 + timedelta(days=1)


def rows(store: StateStore) -> dict[str, dict[str, object]]:
    """Every stored alert's content, duplicates count and update time, by source_ref."""
    with store.session() as s:
        return {a.source_ref: {**snapshot(a), "duplicates": a.duplicates,
                               "updated_at": a.updated_at, "raw": a.raw}
                for a in s.scalars(select(Alert))}


def changes(store: StateStore) -> list[AlertChange]:
    with store.session() as s:
        return list(s.scalars(select(AlertChange).order_by(AlertChange.id)))


def test_new_alerts_are_stored_whole(store: StateStore) -> None:
    batch = [make(1), make(2, subjects=("ACM2278", "KMS9822"), finding_ids=("wk:1",),
                          extra=(("tactic", "exfiltration"),))]
    result = store_alerts(store, batch, RECEIVED)
    assert (result.received, result.new, result.updated, result.duplicates) == (2, 2, 0, 0)
    stored = rows(store)
    assert stored["a-2"]["subjects"] == ["ACM2278", "KMS9822"]
    assert stored["a-2"]["finding_ids"] == ["wk:1"]
    assert stored["a-2"]["extra"] == {"tactic": "exfiltration"}
    assert stored["a-1"]["observables"] == ["file_name:q4.xlsx"]
    assert stored["a-1"]["event_time"] == (T0 + timedelta(minutes=1)).isoformat()
    with store.session() as s:
        by_ref = {a.source_ref: a.id for a in s.scalars(select(Alert))}
    assert result.alert_ids == (by_ref["a-1"], by_ref["a-2"])


def test_the_same_payload_again_changes_nothing_and_is_counted(store: StateStore) -> None:
    batch = [make(i) for i in range(3)]
    first = store_alerts(store, batch, RECEIVED)
    before = rows(store)
    again = store_alerts(store, batch, RECEIVED + timedelta(hours=1))
    assert (again.new, again.updated, again.duplicates) == (0, 0, 3)
    assert again.alert_ids == first.alert_ids
    after = rows(store)
    assert {k: {**v, "duplicates": 0} for k, v in after.items()} == before
    assert {v["duplicates"] for v in after.values()} == {1}
    assert changes(store) == []


def sentinel(status: str, classification: str | None = None) -> str:
    doc = json.loads((FIXTURES / "sentinel_incident_get.json").read_text())
    doc["properties"]["status"] = status
    if classification is not None:
        doc["properties"]["classification"] = classification
    return json.dumps(doc)


def test_a_sentinel_incident_with_a_new_status_updates_and_records_the_change(
        store: StateStore) -> None:
    new = parse_payload(sentinel("New"))
    store_alerts(store, new, RECEIVED)
    closed = parse_payload(sentinel("Closed", "TruePositive"))
    later = RECEIVED + timedelta(hours=2)
    result = store_alerts(store, closed, later)
    assert (result.new, result.updated, result.duplicates) == (0, 1, 0)
    (stored,) = rows(store).values()
    assert stored["status"] == "resolved" and stored["updated_at"] == later
    assert stored["raw"] == closed[0].raw
    (change,) = changes(store)
    assert change.fields["status"] == {"before": "new", "after": "resolved"}
    assert change.fields["extra"]["before"] != change.fields["extra"]["after"]
    assert set(change.fields) == {"status", "extra"}
    assert change.before_fingerprint == new[0].fingerprint()
    assert change.after_fingerprint == closed[0].fingerprint()
    assert change.at == later


def test_one_bad_alert_stores_nothing_of_its_batch(store: StateStore) -> None:
    store_alerts(store, [make(1)], RECEIVED)
    before = rows(store)
    bad = make(9, hosts=("PC-" + "9" * 300,))
    batch = [make(1), make(1, title="changed"), make(2), bad]   # a dup, a change, a new
    with pytest.raises(IntakeError, match=r"^alerts\[3\]\.hosts: longer than 255"):
        store_alerts(store, batch, RECEIVED)
    assert rows(store) == before
    assert changes(store) == []


def test_the_rollback_is_the_callers(store: StateStore) -> None:
    """In the caller's transaction: what the batch wrote goes when the caller's work
    after it fails."""
    with pytest.raises(RuntimeError), store.session() as s:
        assert ingest_alerts(s, [make(1), make(2)], RECEIVED).new == 2
        raise RuntimeError("the caller fails after intake")
    assert rows(store) == {}


def test_one_alert_twice_in_a_batch(store: StateStore) -> None:
    result = store_alerts(store, [make(1), make(1), make(1, status="resolved")], RECEIVED)
    assert (result.new, result.duplicates, result.updated) == (1, 1, 1)
    assert len(set(result.alert_ids)) == 1
    (stored,) = rows(store).values()
    assert (stored["status"], stored["duplicates"]) == ("resolved", 1)
    (change,) = changes(store)
    assert change.fields == {"status": {"before": "new", "after": "resolved"}}


def test_children_follow_a_change(store: StateStore) -> None:
    store_alerts(store, [make(1)], RECEIVED)
    changed = make(1, subjects=("ACM2278", "KMS9822"), hosts=(),
                   observables=(Observable("file_name", "q4.xlsx"), Observable("ip", "10.0.0.9")))
    store_alerts(store, [changed], RECEIVED)
    (stored,) = rows(store).values()
    assert stored["subjects"] == ["ACM2278", "KMS9822"] and stored["hosts"] == []
    assert stored["observables"] == ["file_name:q4.xlsx", "ip:10.0.0.9"]
    (change,) = changes(store)
    assert change.fields["hosts"] == {"before": ["PC-1"], "after": []}


def test_a_sentinel_rule_id_of_219_characters_is_stored_whole(store: StateStore) -> None:
    """Regression: rule ids were cut to 200 characters; a real Sentinel one has 219."""
    (incident,) = parse_payload(sentinel("New"))
    assert incident.rule_id is not None and len(incident.rule_id) == 219
    store_alerts(store, [incident], RECEIVED)
    (stored,) = rows(store).values()
    assert stored["rule_id"] == incident.rule_id


def test_a_long_sentinel_rule_id_keeps_its_end(store: StateStore) -> None:
    alert = make(1, rule_id="/subscriptions/" + "x" * 600 + "/alertRules/fab3d2d4")
    store_alerts(store, [alert], RECEIVED)
    (stored,) = rows(store).values()
    rule_id = str(stored["rule_id"])
    assert len(rule_id) == 500 and rule_id.startswith("\u2026")
    assert rule_id.endswith("/alertRules/fab3d2d4")
    assert store_alerts(store, [alert], RECEIVED).duplicates == 1


def test_a_time_without_a_zone_is_refused(store: StateStore) -> None:
    with pytest.raises(IntakeError, match=r"alerts\[0\]\.event_time: time without"):
        store_alerts(store, [make(1, event_time=T0.replace(tzinfo=None))], RECEIVED)
    assert rows(store) == {}


def test_concurrent_senders_never_make_two_rows(store: StateStore) -> None:
    """Four senders post the same 25 alerts at once, in different orders and batch
    sizes: one row each, every post counted."""
    alerts = [make(i) for i in range(25)]
    results: list[IntakeResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def send(n: int) -> None:
        mine = alerts[n:] + alerts[:n] if n % 2 else list(reversed(alerts))
        start.wait()
        try:
            for k in range(0, len(mine), 5 + n):
                results.append(store_alerts(store, mine[k:k + 5 + n], RECEIVED))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.session() as s:
        assert s.scalar(select(func.count(Alert.id))) == 25
        assert s.scalar(select(func.sum(Alert.duplicates))) == 75
    assert sum(r.new for r in results) == 25
    assert sum(r.duplicates for r in results) == 75


def test_the_lookup_by_key_uses_the_unique_index(store: StateStore) -> None:
    """Finding a batch's stored alerts reads those rows only, not every alert of their
    source (an order by id made SQLite scan the source's index: intake slowed as the
    queue grew)."""
    if store.location.dialect != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    for query in (STORED, LOOKUP):
        bound = query.params(source="acme", refs=["a-1", "a-2"])
        sql = str(bound.compile(store.engine, compile_kwargs={"literal_binds": True}))
        with store.session() as s:
            plan = " ".join(str(row[-1])
                            for row in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "alerts_1 (source=? AND source_ref=?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
