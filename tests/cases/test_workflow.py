"""The workflow's parsers: every input is a known value or one line naming it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.cases.records import parse_link
from watchkeeper.cases.workflow import (
    Priority,
    Status,
    Verdict,
    parse_priority,
    parse_status,
    parse_verdict,
)
from watchkeeper.errors import CaseError


@given(st.text(max_size=40))
def test_any_text_is_a_value_or_one_line(text: str) -> None:
    for parse in (parse_status, parse_verdict, parse_priority):
        try:
            parse(text, 7)
        except CaseError as exc:
            assert str(exc).startswith("case 7: ") and "\n" not in str(exc)


@given(st.sampled_from(list(Verdict)), st.sampled_from([str.lower, str.upper, str.title]),
       st.sampled_from(["_", " ", "-"]))
def test_verdicts_read_by_word_caption_or_id(verdict: Verdict, case: object,
                                             sep: str) -> None:
    assert callable(case)
    assert parse_verdict(case(verdict.word.replace("_", sep))) is verdict
    assert parse_verdict(str(int(verdict))) is verdict


def test_statuses_and_priorities_round_trip() -> None:
    assert all(parse_status(s.caption) is s for s in Status)
    assert all(parse_priority(p.word.upper()) is p for p in Priority)
    assert [s.ocsf_id for s in Status] == [1, 2, 99, 4, 5]


@given(st.text(max_size=30), st.text(max_size=30))
def test_observable_links_are_type_colon_value(kind: str, value: str) -> None:
    text = f"{kind}:{value}"
    try:
        link = parse_link("observable", text, 3)
    except CaseError as exc:
        assert str(exc).startswith("case 3: ") and "\n" not in str(exc)
    else:
        found, _, rest = link.value.partition(":")
        assert found == found.strip().lower() and found and rest.strip() == rest and rest
