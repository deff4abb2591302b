"""`CallerCache`: a caller is looked up at most once a lifetime; an account change made
through this process forgets every caller at once; refused tokens are never kept; a
lookup that raced an account change is not kept either (driven clock)."""

from __future__ import annotations

from watchkeeper.security.callers import CallerCache
from watchkeeper.security.roles import Principal, Role


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def principal() -> Principal:
    return Principal(1, "alice", Role.ANALYST, ("soc-eu",), ("eu",))


def test_a_caller_is_looked_up_once_a_lifetime() -> None:
    clock, who = Clock(), principal()
    cache = CallerCache(lifetime=1.0, clock=clock)
    calls: list[str] = []

    def lookup() -> Principal:
        calls.append("x")
        return who

    assert cache.get("wk_a", lookup) is who
    clock.now += 0.9
    assert cache.get("wk_a", lookup) is who
    assert len(calls) == 1
    clock.now += 0.2
    assert cache.get("wk_a", lookup) is who
    assert len(calls) == 2 and cache.lookups == 2


def test_a_revocation_elsewhere_holds_within_the_lifetime() -> None:
    clock, who = Clock(), principal()
    cache = CallerCache(lifetime=1.0, clock=clock)
    valid = [True]
    assert cache.get("wk_a", lambda: who if valid[0] else None) is who
    valid[0] = False                      # revoked by the command line
    clock.now += 1.0
    assert cache.get("wk_a", lambda: who if valid[0] else None) is None
    assert cache.get("wk_a", lambda: who if valid[0] else None) is None
    assert cache.lookups == 3             # a refused token is looked up every time


def test_a_change_here_forgets_every_caller_at_once() -> None:
    clock, who = Clock(), principal()
    cache = CallerCache(lifetime=60.0, clock=clock)
    cache.get("wk_a", lambda: who)
    cache.forget()
    assert cache.get("wk_a", lambda: None) is None


def test_a_lookup_that_raced_a_change_is_not_kept() -> None:
    clock, who = Clock(), principal()
    cache = CallerCache(lifetime=60.0, clock=clock)

    def racing() -> Principal:
        cache.forget()        # an account changed while the lookup ran
        return who

    assert cache.get("wk_a", racing) is who
    assert cache.get("wk_a", lambda: None) is None   # looked up again


def test_peek_knows_only_fresh_callers_and_never_looks_up() -> None:
    clock, who = Clock(), principal()
    cache = CallerCache(lifetime=1.0, clock=clock)
    assert cache.peek("wk_a") is None
    cache.get("wk_a", lambda: who)
    assert cache.peek("wk_a") is who and cache.peek("wk_b") is None
    clock.now += 1.0
    assert cache.peek("wk_a") is None
    assert cache.lookups == 1
