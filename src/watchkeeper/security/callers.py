"""Callers recently authenticated, so that a burst of API requests does not look the
same token up in the store once per request.

An entry lives `LIFETIME` seconds. A change to accounts made through this process's
service (`CallerCache.forget`, called whenever the service hands out account
repositories to change them) empties the cache at once; a change made elsewhere (the
command line, another worker of `serve --workers`) reaches a cached caller within
`LIFETIME`: a revoked token or a disabled account is refused within a second. Unknown
tokens are never cached, so guessing costs a lookup each time, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from watchkeeper.security.roles import Principal
from watchkeeper.security.tokens import token_hash

LIFETIME = 1.0      # seconds a caller stays authenticated without a lookup
MOST = 10_000       # callers kept at most (then the cache starts afresh)


class CallerCache:
    """`get(token, lookup)`: the caller behind `token`, looked up with `lookup` at most
    once per `lifetime` seconds."""

    def __init__(self, lifetime: float = LIFETIME,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self.lookups = 0
        self._known: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def peek(self, token: str) -> Principal | None:
        """The caller behind `token` if remembered and still fresh; None otherwise (look
        it up with `get`)."""
        key, now = token_hash(token), self.clock()
        with self._lock:
            known = self._known.get(key)
        return known[0] if known is not None and known[1] > now else None

    def get(self, token: str, lookup: Callable[[], Principal | None]) -> Principal | None:
        key = token_hash(token)
        now = self.clock()
        with self._lock:
            known = self._known.get(key)
            generation = self._generation
        if known is not None and known[1] > now:
            return known[0]
        self.lookups += 1
        principal = lookup()
        with self._lock:
            if principal is None or generation != self._generation:
                self._known.pop(key, None)   # refused, or accounts changed meanwhile
            else:
                if len(self._known) >= MOST:
                    self._known.clear()
                self._known[key] = (principal, now + self.lifetime)
        return principal

    def forget(self) -> None:
        """Accounts may change: authenticate every caller afresh."""
        with self._lock:
            self._known.clear()
            self._generation += 1
