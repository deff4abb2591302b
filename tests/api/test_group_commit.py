"""Group commit of posted alerts (`api.intake.GroupCommit`,
`Workspace.alerts_receive_many`): requests that arrive together are stored in one
transaction, each answered with what its own alerts did or with its own error; one
sender's bad alert never costs another's; on both stores."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.accounts import Seeded, bearer
from watchkeeper.api import create_app
from watchkeeper.api.intake import GroupCommit
from watchkeeper.cases.alerts import IntakeResult
from watchkeeper.cases.model import PostedAlerts
from watchkeeper.errors import IntakeError, WatchkeeperError

NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
MS = int(NOW.timestamp() * 1000)


def finding(uid: str, *, user: str = "DTAA\\KMS9822", title: str = "USB copy") -> dict[str, Any]:
    return {"class_uid": 2004, "category_uid": 2, "severity_id": 3, "status_id": 1,
            "time": MS, "finding_info": {"uid": uid, "title": title, "first_seen_time": MS,
                                         "analytic": {"name": "usb", "uid": "acme.usb"}},
            "device": {"hostname": "PC-1", "region": "eu"},
            "evidences": [{"actor": {"user": {"name": user}}}]}


def posted(doc: object) -> PostedAlerts:
    return PostedAlerts(json.dumps(doc).encode(), None, NOW)


def test_each_request_hears_what_its_own_alerts_did(seeded: Seeded) -> None:
    ws = seeded.workspace
    answers = ws.alerts_receive_many([
        posted(finding("a1")),
        posted([finding("b1"), finding("b2"), finding("a1")]),   # a1 again: a duplicate
        posted(finding("b2", title="changed")),                  # b2 changed: an update
    ])
    first, second, third = answers
    assert isinstance(first, IntakeResult) and (first.received, first.new) == (1, 1)
    assert isinstance(second, IntakeResult)
    assert (second.received, second.new, second.duplicates) == (3, 2, 1)
    assert second.alert_ids[2] == first.alert_ids[0]
    assert isinstance(third, IntakeResult) and (third.new, third.updated) == (0, 1)
    assert third.alert_ids[0] == second.alert_ids[1]
    assert ws.alerts_receive_many([]) == []


def test_a_bad_request_stores_nothing_and_costs_no_other(seeded: Seeded) -> None:
    ws = seeded.workspace
    too_long = finding("c2", user="x" * 300)   # a subject the store cannot hold
    answers = ws.alerts_receive_many([
        posted(finding("c1")),
        PostedAlerts(b"{not json", None, NOW),    # refused when parsed
        posted([finding("c3"), too_long]),       # refused when stored: none of it stays
        posted(finding("c4")),
    ])
    good1, unparsable, unstorable, good2 = answers
    assert isinstance(good1, IntakeResult) and good1.new == 1
    assert isinstance(unparsable, WatchkeeperError)
    assert isinstance(unstorable, IntakeError)
    assert "alerts[1].subjects" in str(unstorable)   # its own index, not the group's
    assert isinstance(good2, IntakeResult) and good2.new == 1
    c1, c3 = ws.alerts_receive_many([posted(finding("c1")), posted(finding("c3"))])
    assert isinstance(c1, IntakeResult) and c1.duplicates == 1   # c1 was stored
    assert isinstance(c3, IntakeResult) and c3.new == 1          # c3 never was


class Gate:
    """A workspace stand-in whose first store waits until released, so the requests
    posted meanwhile queue up; it records each group it was given."""

    def __init__(self) -> None:
        self.groups: list[list[bytes]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def alerts_receive_many(self, posts: Sequence[PostedAlerts]
                            ) -> list[IntakeResult | WatchkeeperError]:
        self.groups.append([p.body for p in posts])
        if len(self.groups) == 1:
            self.entered.set()
            assert self.release.wait(10)
        return [IntakeError("body", "bad") if p.body == b"bad" else
                IntakeResult(1, 1, 0, 0, 0, 0, (i,)) for i, p in enumerate(posts)]

    @property
    def state(self) -> object:
        return object()


def test_requests_waiting_on_a_commit_are_stored_together() -> None:
    gate = Gate()
    commit = GroupCommit(gate)  # type: ignore[arg-type]

    async def scenario() -> list[IntakeResult | BaseException]:
        first = asyncio.ensure_future(commit.receive(PostedAlerts(b"1", None, NOW)))
        await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait)
        later = [asyncio.ensure_future(commit.receive(PostedAlerts(body, None, NOW)))
                 for body in (b"2", b"bad", b"4")]
        await asyncio.sleep(0.05)   # let them queue behind the first commit
        gate.release.set()
        return await asyncio.gather(first, *later, return_exceptions=True)

    try:
        answers = asyncio.run(scenario())
    finally:
        gate.release.set()
        commit.close()
    assert gate.groups == [[b"1"], [b"2", b"bad", b"4"]]
    assert [type(a) for a in answers] == [IntakeResult, IntakeResult, IntakeError,
                                         IntakeResult]


@pytest.mark.parametrize("senders", [12])
def test_concurrent_senders_are_all_stored_and_acknowledged(seeded: Seeded,
                                                            senders: int) -> None:
    with TestClient(create_app(seeded.workspace)) as client:
        def send(n: int) -> list[int]:
            ids = []
            for k in range(5):
                got = client.post("/api/v1/alerts", headers=bearer(seeded.service),
                                  content=json.dumps(finding(f"s{n}-{k}")))
                assert got.status_code == 201, got.text
                ids.extend(got.json()["alert_ids"])
            bad = client.post("/api/v1/alerts", headers=bearer(seeded.service),
                              content=json.dumps(finding(f"bad{n}", user="y" * 300)))
            assert bad.status_code == 422, bad.text
            return ids

        with ThreadPoolExecutor(senders) as pool:
            ids = [i for got in pool.map(send, range(senders)) for i in got]
    assert len(ids) == len(set(ids)) == senders * 5
