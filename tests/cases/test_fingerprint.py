"""`AlertIn.fingerprint` is stored with every alert and compared with a re-sent one's:
it must stay the hash it has always been (`dataclasses.asdict` of every field but
``raw``, as sorted compact JSON), whatever the alert holds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.alerts_in import BASE, make
from watchkeeper.cases.model import AlertIn, Observable, Severity


def reference(alert: AlertIn) -> str:
    """The fingerprint as first defined."""
    def default(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value).__name__)
    doc = {k: v for k, v in asdict(alert).items() if k != "raw"}
    text = json.dumps(doc, default=default, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


TEXT = st.text(max_size=20)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([UTC, None]))
ALERTS = st.builds(
    AlertIn, source=TEXT, source_ref=TEXT, title=TEXT, severity=st.sampled_from(Severity),
    event_time=TIMES, raw=TEXT, class_uid=st.sampled_from([2004, 2006]), status=TEXT,
    rule=st.none() | TEXT, rule_id=st.none() | TEXT, description=st.none() | TEXT,
    subjects=st.lists(TEXT, max_size=3).map(tuple), hosts=st.lists(TEXT, max_size=3).map(tuple),
    observables=st.lists(st.builds(Observable, TEXT, TEXT), max_size=3).map(tuple),
    first_seen=st.none() | TIMES, last_seen=st.none() | TIMES,
    finding_ids=st.lists(TEXT, max_size=3).map(tuple), region=st.none() | TEXT,
    extra=st.lists(st.tuples(TEXT, TEXT), max_size=3).map(tuple))


@settings(max_examples=300, deadline=None)
@given(ALERTS)
def test_the_fingerprint_is_the_one_stored_alerts_have(alert: AlertIn) -> None:
    assert alert.fingerprint() == reference(alert)


def test_the_fingerprint_ignores_raw_and_follows_content() -> None:
    assert make(1).fingerprint() == make(1, raw="{}").fingerprint()
    assert make(1).fingerprint() != make(1, title="changed").fingerprint()
    assert BASE.fingerprint() != make(0, event_time=BASE.event_time + timedelta(0, 1)
                                      ).fingerprint()
    assert make(1).fingerprint() != make(1, observables=(Observable("ip", "q4.xlsx"),)
                                         ).fingerprint()
