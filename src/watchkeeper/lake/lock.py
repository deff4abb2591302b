"""File locks between Watchkeeper processes: one writer at a time, and readers that keep
the files they read from being deleted under them.

- The writer lock (``lake/.lock``, and ``analytics/.lock`` for analysis runs) is an
  exclusive `flock`. A second writer waits up to ``wait`` seconds for it, then gives up
  with one line.
- The reader lock (``lake/.readers``) is shared: every `Lake` that has read a manifest
  holds it until it is closed. A writer deletes files that a commit superseded only when
  it can take this lock exclusively, i.e. when no reader anywhere can still be using an
  older manifest; otherwise the files stay (unlisted, never read by a new reader) until a
  later writer finds no readers.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from watchkeeper.errors import WorkspaceError

POLL_SECONDS = 0.05


@contextmanager
def exclusive(path: Path, wait: float, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting up to `wait` seconds for it.

    `busy` says who holds it, for the one-line error when the wait runs out.
    """
    with open(path, "a+") as fh:
        _acquire(fh, wait, busy)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _acquire(fh: IO[str], wait: float, busy: str) -> None:
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                waited = f" (waited {wait:g} s)" if wait > 0 else ""
                raise WorkspaceError(f"{busy}{waited}; retry later, or pass --wait SECONDS "
                                     "to wait for it") from None
            time.sleep(POLL_SECONDS)


class ReaderLock:
    """A shared lock held while this process may read files named by a manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the shared lock (blocking only while a writer deletes superseded files)."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops its lock
            self._fd = None

    def __del__(self) -> None:  # a Lake dropped without `close` stops reading too
        self.release()


@contextmanager
def no_readers(path: Path) -> Iterator[bool]:
    """Yield True while holding the reader lock exclusively (nobody is reading), False when
    some reader holds it; never waits."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
