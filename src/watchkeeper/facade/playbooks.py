"""The workspace's playbook jobs: the playbooks of the workspace, checking and testing
them, the runs they queued, and running the steps due (docs/operations.md,
"Playbooks").

Playbooks are read from ``<workspace>/playbooks/`` and ``[playbooks] paths`` and kept
compiled until a file changes (its size or modification time). Runs are queued by the
hooks below, inside the transaction that stored their trigger: new alerts
(`playbooks_intake`), a case opened (`playbooks_case_opened`), SLA breaches and
watchlist entries (`playbooks_queue`). A playbook file in error starts nothing and is
reported by `playbooks_list` and `playbooks validate`; it never stops an intake.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from watchkeeper.cases.alerts import IntakeResult
    from watchkeeper.cases.model import AlertIn
    from watchkeeper.cases.service import CaseDesk
    from watchkeeper.ops.escalation import BreachInfo
    from watchkeeper.ops.playbooks.golden import GoldenResult
    from watchkeeper.ops.playbooks.loader import Loaded, LoadReport
    from watchkeeper.ops.playbooks.queue import RunView
    from watchkeeper.ops.playbooks.runner import RunPass
    from watchkeeper.ops.playbooks.triggers import Facts, PlaybookSet
    from watchkeeper.ops.watchlists import WatchlistInfo
    from watchkeeper.security.recusal import Viewer
    from watchkeeper.workspace import Workspace


@dataclass(frozen=True)
class PlaybookInfo:
    """A playbook as lists show it."""

    id: str
    title: str
    enabled: bool
    trigger: str
    severity_at_least: int | None
    rules: tuple[str, ...]
    watchlists: tuple[str, ...]
    conditions: int
    steps: tuple[str, ...]      # the actions, in order
    path: str
    version: str


@dataclass(frozen=True)
class PlaybookListing:
    """The playbooks that load, and one line per file that does not."""

    playbooks: tuple[PlaybookInfo, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


class PlaybookJobs(StateJobs):
    """Playbooks as code (`watchkeeper.ops.playbooks`)."""

    if TYPE_CHECKING:  # defined by QueueJobs
        @property
        def cases(self) -> CaseDesk: ...

    _playbooks: tuple[tuple[tuple[str, int, int], ...], LoadReport, PlaybookSet] | None = None
    _playbooks_lock = threading.Lock()
    _playbooks_checked = -1e9   # time.monotonic() of the last look at the files
    PLAYBOOKS_RECHECK = 2.0     # seconds: a changed file is picked up within this

    # -- the playbooks -------------------------------------------------------------------

    def playbook_paths(self) -> list[Path]:
        """``playbooks/`` of the workspace (when it exists) and ``[playbooks] paths``."""
        from watchkeeper.ops.playbooks.loader import FOLDER
        own = self.root / FOLDER
        given = [p if p.is_absolute() else self.root / p for p in self.settings.playbooks.paths]
        return ([own] if own.is_dir() else []) + given

    def _loaded(self) -> tuple[LoadReport, PlaybookSet]:
        """The workspace's playbooks, loaded again only when a file changed (the files
        are looked at once per `PLAYBOOKS_RECHECK` seconds at most: not per alert
        batch)."""
        import time

        from watchkeeper.errors import InputError
        from watchkeeper.ops.playbooks.loader import files, load_all
        from watchkeeper.ops.playbooks.triggers import PlaybookSet
        cached = self._playbooks
        if cached is not None and \
                time.monotonic() - self._playbooks_checked < self.PLAYBOOKS_RECHECK:
            return cached[1], cached[2]
        self._playbooks_checked = time.monotonic()
        paths = self.playbook_paths()
        try:
            stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                          for p in files(paths))
        except (InputError, OSError):
            stamp = (("?", 0, 0),)
        with self._playbooks_lock:
            if self._playbooks is None or self._playbooks[0] != stamp:
                report = load_all(paths)
                self._playbooks = (stamp, report, PlaybookSet(report.playbooks))
            return self._playbooks[1], self._playbooks[2]

    def playbooks_list(self) -> PlaybookListing:
        """The workspace's playbooks, and the files in error (they start nothing)."""
        report, _ = self._loaded()
        return PlaybookListing(tuple(_info(one) for one in report.playbooks),
                               tuple(str(e) for e in report.errors),
                               self._warnings(report))

    def playbooks_validate(self, paths: Sequence[Path] | None = None, *,
                           examples: bool = False) -> PlaybookListing:
        """Check playbook files (default: the workspace's; `examples`: the ones shipped
        with Watchkeeper): every error with file, line and field; a webhook URL not on
        ``[playbooks] webhook_allow`` is a warning."""
        from watchkeeper.ops.playbooks.loader import EXAMPLES, load_all
        given = [*(paths or ()), *([EXAMPLES] if examples else [])]
        report = load_all(given) if given else self._loaded()[0]
        return PlaybookListing(tuple(_info(one) for one in report.playbooks),
                               tuple(str(e) for e in report.errors), self._warnings(report))

    def _warnings(self, report: LoadReport) -> tuple[str, ...]:
        from watchkeeper.ops.playbooks.webhook import allowed
        allow = self.settings.playbooks.webhook_allow
        return tuple(f"{one.path}: steps.{i}.webhook.url: {s.webhook.url} is not on "
                     "[playbooks] webhook_allow (the step will fail)"
                     for one in report.playbooks for i, s in enumerate(one.playbook.steps)
                     if s.webhook is not None and not allowed(s.webhook.url, allow))

    def playbook_test(self, playbook: str | Path, event: Path, expect: Path) -> GoldenResult:
        """Plan `playbook` (a file, or the id of a workspace playbook) on the golden
        `event` and compare with `expect`; nothing is changed."""
        from watchkeeper.errors import NotFoundError
        from watchkeeper.ops.playbooks.golden import check, read_event
        from watchkeeper.ops.playbooks.loader import load_file
        path = Path(playbook)
        if path.suffix in (".yml", ".yaml") or path.is_file():
            loaded = load_file(path)
        else:
            report, _ = self._loaded()
            found = [one for one in report.playbooks if one.playbook.id == str(playbook)]
            if not found:
                raise NotFoundError(f"playbook {playbook!r}: no such playbook in "
                                    f"{self.root / 'playbooks'} (see `playbooks list`)")
            loaded = found[0]
        return check(loaded, read_event(event), expect, self.settings.playbooks.webhook_allow)

    # -- runs ----------------------------------------------------------------------------

    def playbook_runs(self, *, case_id: int | None = None, playbook: str | None = None,
                      status: str | None = None, limit: int = 50,
                      viewer: Viewer | None = None) -> tuple[RunView, ...]:
        """Runs newest first with their steps (attempts, last error, next attempt);
        with `viewer`, only of a case the viewer may open (`case_id` required)."""
        from watchkeeper.errors import PlaybookError
        from watchkeeper.ops.playbooks.queue import runs
        if status is not None and status not in ("pending", "running", "succeeded",
                                                  "failed"):
            raise PlaybookError("--status", "", f"{status!r}: expected pending, running, "
                                "succeeded or failed")
        with self.state.session() as s:
            if viewer is not None:
                from watchkeeper.cases.repository import CaseRepository
                if case_id is None:
                    raise PlaybookError("runs", "case", "give the case")
                CaseRepository(s, viewer, self.cases.org, clock=self.clock.now).open(case_id)
            found = runs(s, case_id=case_id, playbook=playbook, status=status, limit=limit)
        names = self.cases.names
        return tuple(names.redact(replace(r, steps=tuple(
            replace(st, last_error=names.redact(st.last_error) if st.last_error else None)
            for st in r.steps))) for r in found)

    def playbooks_run_due(self, now: datetime | None = None) -> RunPass:
        """Run the queued steps that are due (the scheduler's ``playbooks`` job)."""
        from watchkeeper.ops.playbooks.runner import run_due
        return run_due(cast("Workspace", self), now if now is not None else self.clock.now())

    # -- the hooks that queue runs ---------------------------------------------------------

    def playbooks_queue(self, session: Session, events: Sequence[Facts],
                        now: datetime) -> list[int]:
        """Queue the runs `events` start, in `session` (the trigger's transaction)."""
        from watchkeeper.ops.playbooks.queue import queue_runs
        _, books = self._loaded()
        return queue_runs(session, books, events, self.settings.playbooks, now) \
            if events else []

    def playbooks_intake(self, session: Session, result: IntakeResult,
                         alerts: Sequence[AlertIn] | None = None) -> None:
        """After an alert batch is stored, in its transaction: runs for its new alerts
        (their facts from `alerts`, the batch as given, when the caller has it; else
        read back from the store)."""
        from watchkeeper.ops.playbooks.queue import (
            alert_facts,
            intake_facts,
            with_watchlists,
        )
        _, books = self._loaded()
        if not result.fresh or not books.wants("alert"):
            return
        now = self.clock.now()
        facts = intake_facts(alerts, result.alert_ids, result.fresh) \
            if alerts is not None else \
            alert_facts(session, [i for i, _ in result.fresh])
        self.playbooks_queue(session, with_watchlists(session, books, facts, now.date()),
                             now)

    def playbooks_case_opened(self, session: Session, case_id: int, now: datetime) -> None:
        from watchkeeper.ops.playbooks.queue import case_facts
        _, books = self._loaded()
        if books.wants("case"):
            self.playbooks_queue(session, [case_facts(
                session, case_id, now, books.wants_watchlists("case"))], now)

    def playbooks_breached(self, session: Session, breaches: Sequence[BreachInfo],
                           now: datetime) -> None:
        from watchkeeper.ops.playbooks.queue import breach_facts
        _, books = self._loaded()
        if breaches and books.wants("sla-breach"):
            self.playbooks_queue(session, breach_facts(
                session, breaches, now, books.wants_watchlists("sla-breach")), now)

    def playbooks_watched(self, session: Session, entry: WatchlistInfo, user: str,
                          now: datetime) -> None:
        from watchkeeper.ops.playbooks.queue import watch_facts
        _, books = self._loaded()
        if books.wants("watchlist"):
            self.playbooks_queue(session, [watch_facts(entry, user)], now)


def _info(one: Loaded) -> PlaybookInfo:
    book = one.playbook
    t = book.trigger
    return PlaybookInfo(book.id, book.title, book.enabled, t.on, t.severity_at_least,
                        t.rules, t.watchlists, len(book.conditions),
                        tuple(s.action for s in book.steps), str(one.path), one.version)
