"""Property tests: whatever arrives, intake normalizes it or raises `IntakeError`, never
another exception; the fingerprint does not depend on key order."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.cases.intake import load_alert_mapping, parse_payload
from watchkeeper.errors import IntakeError

FIXTURES = Path(__file__).parents[1] / "fixtures"
NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))
SAMPLES = {n: json.loads((FIXTURES / n).read_text(encoding="utf-8")) for n in NAMES}
MAPPING = load_alert_mapping(FIXTURES / "acme_alerts.yaml")
MAPPED = [json.loads(line) for line in
          (FIXTURES / "acme_alerts.jsonl").read_text(encoding="utf-8").splitlines()]
_RECEIVED = datetime(2025, 2, 1, tzinfo=UTC)  # the documented Splunk sample has no time
SETTINGS = settings(max_examples=150, deadline=None)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                    st.floats(allow_nan=False, allow_infinity=False))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20)


def _outcome(payload: Any, **kwargs: Any) -> None:
    try:
        alerts = parse_payload(payload, **kwargs)
    except IntakeError as exc:
        assert "\n" not in str(exc)
        return
    for alert in alerts:
        assert alert.event_time.tzinfo is not None
        alert.fingerprint()


@SETTINGS
@given(JSON)
def test_any_json_value_parses_or_is_an_intake_error(value: Any) -> None:
    _outcome(value)
    _outcome(json.dumps(value))
    _outcome(value, mapping=MAPPING)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += _paths(inner, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(doc))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


@SETTINGS
@given(st.sampled_from([*NAMES, "mapped"]), st.randoms(use_true_random=False), JSON)
def test_any_field_of_a_valid_payload_replaced_by_anything(name: str, rnd: random.Random,
                                                           new: Any) -> None:
    """Every field of every fixture, replaced by any JSON value: an alert or an
    `IntakeError` naming a field."""
    sample: Any = MAPPED[0] if name == "mapped" else SAMPLES[name]
    path = rnd.choice(_paths(sample))
    changed = _replace(sample, path, new)
    _outcome(changed, mapping=MAPPING if name == "mapped" else None)


def _shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = [(k, _shuffled(v, rnd)) for k, v in value.items()]
        rnd.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_shuffled(v, rnd) for v in value]
    return value


@SETTINGS
@given(st.sampled_from([*NAMES, "mapped"]), st.randoms(use_true_random=False))
def test_fingerprints_do_not_depend_on_key_order(name: str, rnd: random.Random) -> None:
    sample: Any = MAPPED if name == "mapped" else SAMPLES[name]
    kwargs: dict[str, Any] = {"mapping": MAPPING} if name == "mapped" else {
        "received": None if "documented" not in name else _RECEIVED}
    before = [a.fingerprint() for a in parse_payload(sample, **kwargs)]
    after = [a.fingerprint() for a in parse_payload(_shuffled(sample, rnd), **kwargs)]
    assert before == after and before
