"""`page`: walking a list by cursor visits every row once, in order, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from helpers.state import T0, alert
from watchkeeper.errors import PagingError, StoreError
from watchkeeper.store import Order, StateStore, StoreLocation, page
from watchkeeper.store.models import Alert, Base


def walk(store: StateStore, order: list[Order], limit: int, columns: bool = False
         ) -> list[int]:
    """Every page's ids; `columns`: selecting the key and sort columns only (Rows)."""
    seen: list[int] = []
    cursor: str | None = None
    query = select(Alert.id, *(o.column for o in order)) if columns else select(Alert)
    while True:
        with store.session() as s:
            got = page(s, query.where(Alert.status != "closed"), limit=limit,
                       order=order, cursor=cursor)
        seen += [a.id for a in got.items]
        if got.next_cursor is None:
            return seen
        cursor = got.next_cursor


def expected(store: StateStore, order: list[Order]) -> list[int]:
    with store.session() as s:
        rows = s.scalars(select(Alert).where(Alert.status != "closed")).all()
        key = [(o.column.key, o.descending) for o in order]
        ordered = sorted(rows, key=lambda a: a.id, reverse=key[-1][1] if key else False)
        for name, desc in reversed(key):
            ordered.sort(key=lambda a, n=name: getattr(a, n), reverse=desc)
        return [a.id for a in ordered]


ORDERS = [
    [Order(Alert.event_time, descending=True)],
    [Order(Alert.severity), Order(Alert.event_time, descending=True)],
    [Order(Alert.status), Order(Alert.severity, descending=True)],
    [],
]


@pytest.mark.parametrize("order", ORDERS, ids=["time desc", "sev asc time desc",
                                               "status sev desc", "id"])
def test_cursor_walk_matches_one_sorted_query(store: StateStore, order: list[Order]) -> None:
    with store.session() as s:   # equal times and severities, so the tie-breaker matters
        s.add_all(alert(i, event_time=T0 + timedelta(hours=i % 3),
                        status=("new", "closed", "open")[i % 3]) for i in range(23))
    want = expected(store, order)
    assert len(want) == 15
    for limit in (1, 4, 16, 50):
        assert walk(store, order, limit) == want
        assert walk(store, order, limit, columns=True) == want


def test_offset_pages(store: StateStore) -> None:
    with store.session() as s:
        s.add_all(alert(i) for i in range(5))
        second = page(s, select(Alert), limit=2, offset=2, order=[Order(Alert.event_time)])
    assert [a.source_ref for a in second.items] == ["ref-2", "ref-3"]
    assert second.next_cursor is not None and second.offset == 2


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StateStore]:
    path: Path = tmp_path_factory.mktemp("paging") / "state.db"
    opened = StateStore.open(StoreLocation(f"sqlite:///{path}", "test"))
    yield opened
    opened.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=30),
       limit=st.integers(1, 7), desc=st.booleans())
def test_any_data_any_limit_every_row_once(sqlite_store: StateStore,
                                           rows: list[tuple[int, int]], limit: int,
                                           desc: bool) -> None:
    with sqlite_store.session() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))
        s.add_all(alert(i, severity=sev, event_time=T0 + timedelta(minutes=m))
                  for i, (sev, m) in enumerate(rows))
    order = [Order(Alert.severity, descending=desc), Order(Alert.event_time)]
    assert walk(sqlite_store, order, limit) == expected(sqlite_store, order)


@given(cursor=st.text(max_size=60))
def test_a_foreign_cursor_is_one_clear_error(cursor: str) -> None:
    from watchkeeper.store.paging import _decode
    try:
        values = _decode(cursor, 2)
    except PagingError as exc:
        assert "not a cursor of this list" in str(exc)
    else:
        assert len(values) == 2


def test_bad_limits_and_nullable_cursor_columns(store: StateStore) -> None:
    with store.session() as s:
        s.add_all(alert(i) for i in range(3))
        with pytest.raises(PagingError, match="limit: 0"):
            page(s, select(Alert), limit=0)
        first = page(s, select(Alert), limit=1, order=[Order(Alert.rule)])
        assert first.next_cursor is not None
        with pytest.raises(StoreError, match="rule may be empty"):
            page(s, select(Alert), limit=1, order=[Order(Alert.rule)],
                 cursor=first.next_cursor)
