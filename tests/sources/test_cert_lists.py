"""The fast path of CERT ';'-lists (plain split) gives exactly the general filter's items."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.sources.cert_layouts import _lst

GENERAL = "list_filter(string_split(coalesce(\"v\", ''), ';'), lambda x: trim(x) <> '')"
PIECES = st.sampled_from(["a@x.com", "b", ";", ";;", " ", "\t", "\u00a0", "\u3000", "é", ""])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.lists(PIECES, max_size=6).map("".join), st.text(max_size=12)))
def test_fast_split_equals_the_general_filter(value: str | None) -> None:
    con = duckdb.connect()
    fast, general = con.sql(f"SELECT {_lst('v')}, {GENERAL} FROM (SELECT $v::VARCHAR AS v)",
                            params={"v": value}).fetchall()[0]
    assert fast == general
