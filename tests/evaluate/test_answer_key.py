"""CERT's answer key as published: one insiders.csv for every release, with malformed
rows. A bad row that does not count is a warning; one that counts is an error."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.cert_answers import BAD_LINE, BAD_TIME, cert_rows, write_cert_answers
from watchkeeper.errors import InputError
from watchkeeper.evaluate import AnswerWarning, SkipReason, evaluate, read_answer_key

D0 = dt.date(2025, 1, 6)
USERS = ("AAA0001", "BBB0002", "CCC0003")


def _history() -> pa.Table:
    """Three people over 10 days; AAA alerts on Jan 9."""
    return pa.Table.from_pylist([
        {"user": u, "day": D0 + dt.timedelta(days=n), "score": 3.0 if u == "AAA0001" else 0.1,
         "alert": u == "AAA0001" and n == 3, "scenario": None}
        for u in USERS for n in range(10)])


def _people(*extra: str) -> pa.Table:
    return pa.Table.from_pylist([{"user": u} for u in (*USERS, *extra)])


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    """The r4.2 insiders are AAA0001 (in the lake) and ZZZ9999 (not)."""
    return write_cert_answers(tmp_path, cert_rows(("AAA0001", "ZZZ9999"),
                                                  ("01/08/2025", "01/09/2025")))


def _warning(answers: Path, skipped: SkipReason) -> AnswerWarning:
    return AnswerWarning(str(answers / "insiders.csv"), BAD_LINE, "6.2", "LBM0006", skipped,
                         f"unreadable time {BAD_TIME!r}")


def test_whole_key_skips_the_bad_row_of_a_person_not_in_the_lake(answers: Path) -> None:
    r = evaluate(_history(), answers, _people())
    # AAA counts; ZZZ, the 5.2 row and the three 6.2 rows (the bad one too) are left out
    assert (r.incidents, r.incidents_unknown_user) == (1, 5)
    assert r.warnings == [_warning(answers, SkipReason.UNKNOWN_USER)]
    assert r.warnings[0].message == (
        f"{answers / 'insiders.csv'}:6: skipped (user 'LBM0006' is not in the lake): "
        f"unreadable time '{BAD_TIME}'")
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["warnings"] == [{
        "file": str(answers / "insiders.csv"), "line": 6, "dataset": "6.2",
        "user": "LBM0006", "skipped": "unknown_user",
        "reason": f"unreadable time '{BAD_TIME}'", "message": r.warnings[0].message}]


@pytest.mark.parametrize("dataset", ["r4.2", "4.2"])
def test_dataset_selects_a_release_and_warns_on_another_ones_bad_row(
        answers: Path, dataset: str) -> None:
    r = evaluate(_history(), answers, _people(), dataset)
    assert (r.incidents, r.incidents_unknown_user) == (1, 1)  # AAA; ZZZ not in the lake
    assert r.alerted_within_3d == 1.0
    assert r.warnings == [_warning(answers, SkipReason.OTHER_RELEASE)]
    assert "skipped (release '6.2' is not evaluated): unreadable time" in \
        r.warnings[0].message


@pytest.mark.parametrize("dataset", ["r6.2", "6.2"])
def test_bad_row_of_the_evaluated_release_is_an_error(answers: Path, dataset: str) -> None:
    with pytest.raises(InputError, match=re.escape(
            f"insiders.csv:6: unreadable time '{BAD_TIME}'")):
        evaluate(_history(), answers, _people(), dataset)


def test_bad_row_of_a_person_in_the_lake_is_an_error(answers: Path) -> None:
    with pytest.raises(InputError, match=r"insiders\.csv:6: unreadable time"):
        evaluate(_history(), answers, _people("LBM0006"))


def test_release_without_rows_is_an_error(answers: Path) -> None:
    with pytest.raises(InputError, match=re.escape(
            "no incidents of release 'r9.9' (releases: 4.2, 5.2, 6.2)")):
        evaluate(_history(), answers, _people(), "r9.9")


def test_short_row_of_another_release_is_a_warning(answers: Path) -> None:
    path = answers / "insiders.csv"
    path.write_text(path.read_text("utf-8") + "5.2,1,r5.2-1-X.csv,XYZ0001\n", "utf-8")
    key = read_answer_key(answers, "4.2")
    assert [(w.line, w.reason) for w in key.warnings] == [
        (BAD_LINE, f"unreadable time {BAD_TIME!r}"), (8, "expected 6 fields, got 4")]
    assert key.releases == ("4.2", "5.2", "6.2")


GOOD, BAD = "01/08/2025 10:00:00", "01/08/2025 1O:00:00"


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["4.2", "r5.2", "6.2"]),
                               st.sampled_from(["AAA0001", "ZZZ9999"]), st.booleans()),
                     min_size=1, max_size=8),
       dataset=st.one_of(st.none(), st.sampled_from(["4.2", "r4.2", "5.2", "6.2"])),
       users=st.one_of(st.none(), st.just({"AAA0001"})))
def test_errors_and_warnings_follow_what_counts(
        tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, bool]],
        dataset: str | None, users: set[str] | None) -> None:
    tmp = tmp_path_factory.mktemp("key")
    lines = [f"{rel},1,d.csv,{user},{BAD if bad else GOOD},{GOOD}"
             for rel, user, bad in rows]
    (tmp / "insiders.csv").write_text("\n".join(["dataset,scenario,details,user,start,end",
                                                 *lines]) + "\n", "utf-8")

    def release(rel: str) -> bool:
        return dataset is None or rel.lstrip("r") == dataset.lstrip("r")

    def counts(rel: str, user: str) -> bool:
        return release(rel) if dataset else users is None or user in users

    bad_counting = [n for n, (rel, user, bad) in enumerate(rows, 2)
                    if bad and counts(rel, user)]
    if dataset and not any(release(rel) for rel, _, _ in rows):
        bad_counting = bad_counting or [0]
    if bad_counting:
        with pytest.raises(InputError):
            read_answer_key(tmp, dataset, users)
        return
    key = read_answer_key(tmp, dataset, users)
    assert [i.user for i in key.incidents] == [u for rel, u, bad in rows
                                               if release(rel) and not bad]
    assert [w.line for w in key.warnings] == [n for n, (_, _, bad) in enumerate(rows, 2)
                                              if bad]
