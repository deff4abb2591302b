"""What makes decisions fast must not make them wrong, on both stores: the grants in
force are cached, yet a grant made or revoked in this process counts at the next
decision, expiry counts at each decision's own time, and another process's change
counts once the cache is older than its time to live; decisions queued to the decision
writer (the service's path) are in the log before any read of it and when the store
closes, and a failed write keeps them queued."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from access.conftest import ASSETS, World
from access.test_grants import ask, check
from watchkeeper.access.decide import Query
from watchkeeper.store.models import AccessGrant


def grant(world: World) -> int:
    made = world.ws.access_approve(ask(world), approver="leo", actor="cli:leo")
    assert made.grant_id is not None
    return made.grant_id


def test_grants_made_and_revoked_here_count_at_once(world: World) -> None:
    assert check(world) == "deny"            # the cache now holds no grant for ana
    ident = grant(world)
    assert check(world) == "allow"           # approval: read again
    world.ws.access_revoke(ident, actor="cli:leo")
    assert check(world) == "deny"            # revocation: read again
    grant(world)
    assert check(world) == "allow"
    world.clock.advance(timedelta(hours=8))  # expiry: at the decision's own time
    assert check(world) == "deny"


def test_another_process_change_counts_after_the_time_to_live(world: World) -> None:
    cache = world.ws._grant_cache()
    cache.ttl = 3600.0                       # no wall-clock dependence: set, then run out
    grant(world)
    assert check(world) == "allow"
    with world.ws.state.session() as s:      # as another process would: no changed()
        s.execute(update(AccessGrant).values(revoked_at=world.clock.now(),
                                             revoked_by="elsewhere"))
    assert check(world) == "allow"           # within the time to live
    cache.ttl = 0.0
    assert check(world) == "deny"


def test_a_clock_going_back_reads_the_grants_again(world: World) -> None:
    grant(world)
    world.clock.advance(timedelta(hours=9))
    assert check(world) == "deny"            # read at +9h: the grant had expired
    world.clock.advance(timedelta(hours=-5))
    assert check(world) == "allow"           # +4h: within its 8 hours


def test_queued_decisions_are_logged_before_reads_and_at_close(world: World) -> None:
    q = Query("ana", "read", "eu-users", "customer-support")
    world.ws.authorize_batch([q, q], caller="svc", wait=False)
    assert [d.caller for d in world.ws.access_decisions()] == ["svc", "svc"]
    world.ws.authorize_batch([q], caller="svc2", wait=False)
    world.ws.close_state()                   # the writer is flushed and closed first
    assert sorted(d.caller for d in world.ws.access_decisions()) == ["svc", "svc", "svc2"]


def test_a_failed_write_keeps_the_decisions_queued(world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    q = Query("ana", "read", "eu-users")
    writer = world.ws._decision_writer()
    writer.interval = 3600.0                 # no tick during the test: flushes only
    calls: list[int] = []

    def broken(queued: object) -> None:
        calls.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_write", broken)
    world.ws.authorize_batch([q], caller="svc", wait=False)
    with pytest.raises(OSError, match="disk full"):
        writer.flush()
    assert writer.pending == 1 and calls == [1]
    monkeypatch.undo()
    writer.flush()
    assert writer.pending == 0
    assert len(world.ws.access_decisions()) == 1


def test_a_full_queue_is_written_by_the_caller(world: World) -> None:
    writer = world.ws._decision_writer()
    writer.interval, writer.max_pending = 3600.0, 3
    q = Query("ana", "read", "eu-users")
    world.ws.authorize_batch([q, q], caller="svc", wait=False)
    assert writer.pending == 2
    world.ws.authorize_batch([q], caller="svc", wait=False)
    assert writer.pending == 0               # written by the third decision's caller


def test_warm_only_while_nothing_is_to_read(world: World, tmp_path: Path) -> None:
    """The service answers on its event loop only when a decision reads no store or
    lake: not before the first decision, not after a grant change or a lake commit."""
    q = Query("ana", "read", "eu-users")
    world.ws._grant_cache().ttl = 3600.0     # a loaded machine may stall us past 1 s
    assert not world.ws.access_warm()
    world.ws.authorize_batch([q], caller="svc", wait=False)
    assert world.ws.access_warm()
    grant(world)
    assert not world.ws.access_warm()        # approved here: the grants are read again
    world.ws.authorize_batch([q], caller="svc", wait=False)
    assert world.ws.access_warm()
    world.clock.advance(timedelta(days=1))   # another day: another directory
    assert not world.ws.access_warm()
    world.ws.authorize_batch([q], caller="svc", wait=False)
    (tmp_path / "more.csv").write_text(ASSETS + "us-vip,US prominent,US,high,true\n")
    world.ws.ingest([tmp_path / "more.csv"], "assets")
    assert not world.ws.access_warm()        # a lake commit: the catalogue changed
