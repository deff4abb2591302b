"""Whether a workspace can serve requests: the state store answers and is at the newest
schema revision, and the lake's manifest can be read. `/readyz` reports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.errors import WatchkeeperError

if TYPE_CHECKING:
    from watchkeeper.facade.state import StateJobs as Workspace  # what the checks use


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: tuple[Check, ...]


def check(workspace: Workspace) -> Readiness:
    checks = (_state(workspace), _lake(workspace))
    return Readiness(all(c.ok for c in checks), checks)


def _state(workspace: Workspace) -> Check:
    from watchkeeper.store import head
    try:
        revision = workspace.state.revision()
    except WatchkeeperError as exc:
        return Check("state", False, str(exc))
    except Exception as exc:  # a dropped connection: not ready, and say why in one line
        return Check("state", False, f"{type(exc).__name__}: {_first_line(exc)}")
    newest = head()
    if revision != newest:
        return Check("state", False, f"schema revision {revision or 'none'}, expected "
                                     f"{newest}: run `watchkeeper db upgrade`")
    return Check("state", True, f"revision {revision}")


def _lake(workspace: Workspace) -> Check:
    try:
        manifest = workspace.lake.manifest_file()  # no reader lock: a check, not a read
    except (WatchkeeperError, OSError, ValueError) as exc:
        return Check("lake", False, _first_line(exc))
    if manifest is None:
        return Check("lake", True, "empty (nothing ingested yet)")
    return Check("lake", True, f"{len(manifest.commits)} commits")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
