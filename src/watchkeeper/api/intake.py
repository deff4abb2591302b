"""Group commit for posted alerts: requests that arrive while the store is busy with
earlier ones are stored together, in one transaction, when it is free again.

Every posted request is queued for one committer thread. The thread takes whatever has
queued (at most `MOST_REQUESTS` requests or `MOST_BYTES` of bodies), has the workspace
store it as one batch (`Workspace.alerts_receive_many`), and answers each request with
what its own alerts did, or with its own error. A request alone is stored at once: the
thread waits for nothing but the requests already queued, so the group grows with the
load (one request when idle; as many as arrived during the previous commit when busy)
and an answer never waits on a timer. Every answer is sent after the commit that stored
its alerts, as before: an acknowledged alert is a stored alert.

One commit for many requests is what makes the intake keep up with many senders: the
transaction, the key lookup and the inserts cost about the same for eight alerts as for
one (docs/benchmarks.md, "Alert intake").
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.api.deps import state_of
from watchkeeper.cases.model import PostedAlerts

if TYPE_CHECKING:
    from watchkeeper.cases.alerts import IntakeResult
    from watchkeeper.workspace import Workspace

MOST_REQUESTS = 64            # requests stored in one transaction at most
MOST_BYTES = 8 * 1024 * 1024  # and bodies of this size at most (a batch is up to 1,000)


@dataclass
class _Waiting:
    post: PostedAlerts
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[IntakeResult]


class GroupCommit:
    """The committer of one app: `await receive(post)` stores a request's alerts (with
    any others waiting) and returns what they did, or raises the request's own error."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    async def receive(self, post: PostedAlerts) -> IntakeResult:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(post, loop, loop.create_future())
        self._start()
        self._queue.put(waiting)
        return await waiting.answer

    def close(self) -> None:
        """Store what is queued, then stop the thread (at the app's shutdown)."""
        with self._starting:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _start(self) -> None:
        if self._thread is None:
            with self._starting:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="watchkeeper-intake")
                    self._thread.start()

    def _run(self) -> None:
        state_of(self.workspace)   # opened under the service's lock, not raced
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group, size = [first], len(first.post.body)
            while len(group) < MOST_REQUESTS and size < MOST_BYTES:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
                size += len(more.post.body)
            self._store(group)

    def _store(self, group: list[_Waiting]) -> None:
        try:
            answers: list[IntakeResult | Exception] = list(
                self.workspace.alerts_receive_many([w.post for w in group]))
        except Exception as exc:   # a defect or a store gone: every request hears it
            answers = [exc] * len(group)
        for waiting, answer in zip(group, answers, strict=True):
            waiting.loop.call_soon_threadsafe(_settle, waiting.answer, answer)


def _settle(future: asyncio.Future[IntakeResult],
            answer: IntakeResult | Exception) -> None:
    if future.done():   # the client went away and its request was cancelled
        return
    if isinstance(answer, Exception):
        future.set_exception(answer)
    else:
        future.set_result(answer)

