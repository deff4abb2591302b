"""Events posted to the service: checked as ingest would read them (the first bad one
refuses the post, naming its field), spooled durably, then committed in micro-batches
with ingest's accounting; a re-run after a crash stores nothing twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ops.events import T0, new_workspace, web
from watchkeeper.errors import IntakeError
from watchkeeper.ops.events_intake import SPOOL, check_events, commit_spool, waiting
from watchkeeper.sources.base import SourceContext
from watchkeeper.workspace import Workspace

CTX = SourceContext()


def body(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_one_event_or_a_list_becomes_json_lines() -> None:
    lines, classes = check_events(body(web(1)), CTX)
    assert classes == {"web": 1} and json.loads(lines[0]) == web(1)
    auth = {"class_uid": 3002, "activity_id": 1, "time": 1, "user": {"name": "u"},
            "device": {"hostname": "h"}, "status_id": 1}
    lines, classes = check_events(body([web(1), auth, web(2)]), CTX)
    assert len(lines) == 3 and classes == {"web": 2, "authentication": 1}


@pytest.mark.parametrize(("doc", "field", "reason"), [
    ([web(0), web(1), web(2), {**web(3), "time": None}], "events[3].time", "missing"),
    ({**web(0), "time": "yesterday"}, "time", "yesterday"),
    ([web(0), {**web(1), "class_uid": 9999}], "events[1]", "unsupported OCSF class_uid 9999"),
    ([web(0), [1, 2]], "events[1]", "expected an OCSF event object, got array"),
    ({**web(0), "class_uid": "4002"}, "class_uid", "expected an integer, got string"),
    ([], "(payload)", "an empty array"),
    ([{**web(0), "time": float("nan")}], "events[0]", "NaN"),
])
def test_a_bad_event_refuses_the_post_naming_its_field(doc: object, field: str,
                                                       reason: str) -> None:
    with pytest.raises(IntakeError) as caught:
        check_events(body(doc), CTX)   # json.dumps writes NaN as it is
    assert caught.value.field == field
    assert reason in str(caught.value)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "invalid JSON at line 1 column 2"),
    (b"\xff\xfe", "invalid UTF-8 at byte 0"),
])
def test_a_post_that_is_no_json_is_one_line(raw: bytes, reason: str) -> None:
    with pytest.raises(IntakeError, match=reason) as caught:
        check_events(raw, CTX)
    assert caught.value.field == "(payload)"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path / "ws")


def test_posts_are_spooled_then_committed_with_ingest_accounting(ws: Workspace) -> None:
    first = ws.events_receive(body([web(1), web(2)]), T0)
    second = ws.events_receive(body(web(3)), T0)
    assert (first.accepted, first.classes, second.accepted) == (2, {"web": 2}, 1)
    spooled = waiting(ws.root)
    assert [p.name for p in spooled] == sorted([first.batch, second.batch])
    assert not [p for p in (ws.root / SPOOL).iterdir() if p.name.startswith(".")]
    done = commit_spool(ws, ws.settings.scheduler.lake_wait)
    assert done.report is not None and done.files == 2
    assert (done.report.read, done.report.accepted, done.report.duplicates,
            done.report.quarantined) == (3, 3, 0, 0)
    assert waiting(ws.root) == []
    assert ws.lake.rows("web") == 3
    assert commit_spool(ws, ws.settings.scheduler.lake_wait).files == 0


def test_a_re_sent_event_and_a_crash_before_the_spool_is_emptied_store_nothing_twice(
        ws: Workspace, tmp_path: Path) -> None:
    ws.events_receive(body([web(1), web(2)]), T0)
    kept = tmp_path / "kept"
    shutil.copytree(ws.root / SPOOL, kept)
    commit_spool(ws, ws.settings.scheduler.lake_wait)
    for path in kept.iterdir():     # as if the job died after its commit
        shutil.copy(path, ws.root / SPOOL / path.name)
    ws.events_receive(body(web(2)), T0)
    again = commit_spool(ws, ws.settings.scheduler.lake_wait)
    assert again.report is not None
    assert (again.report.read, again.report.accepted, again.report.duplicates) == (3, 0, 3)
    assert ws.lake.rows("web") == 2


def test_a_spool_file_ingest_refuses_is_set_aside_and_the_rest_go_on(
        ws: Workspace) -> None:
    ws.events_receive(body(web(1)), T0)
    folder = ws.root / SPOOL
    (folder / "00000000T000000000000Z-junk.jsonl").write_text("a,b,c\n1,2,3\n")
    done = commit_spool(ws, ws.settings.scheduler.lake_wait)
    assert done.files == 1 and done.report is not None and done.report.accepted == 1
    assert len(done.refused) == 1 and done.refused[0].startswith(
        "00000000T000000000000Z-junk.jsonl: not OCSF JSON lines")
    assert [p.name for p in (folder / "refused").iterdir()] == [
        "00000000T000000000000Z-junk.jsonl"]
    assert waiting(ws.root) == []
