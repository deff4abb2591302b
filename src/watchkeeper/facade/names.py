"""The workspace's `Pseudonymizer`, built once and kept until what it is built from changes.

Building one reads the lake's people and devices tables and compiles an automaton over
every name, email and host: about 2 s for 20,000 people. The service needs it on every
request that answers with people, so `PseudonymCache` keeps the one it built and checks,
on each call, the two things that would make it stale:

- the pseudonym key (``keys/pseudonym.key``, 32 bytes read again): another key changes
  every pseudonym;
- the files of the people and devices tables: first one ``stat`` of the lake's manifest
  (every commit replaces that file), and only when it changed the two tables' listing,
  so a commit of events alone costs one manifest read and no rebuild.

The stamp is taken before the listing and the listing before the build, so a commit
landing in between makes the next call look again, never keeps a stale build. One lock
makes callers arriving together (the service's thread pool) wait for one build instead
of each making its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path

from watchkeeper.lake import DataFile, Lake
from watchkeeper.security import Keys, Pseudonymizer

TABLES = ("people", "devices")
KEY_NAME = "pseudonym"


@dataclass(frozen=True)
class _Built:
    key: bytes
    stamp: tuple[int, int, int] | None
    listing: tuple[tuple[DataFile, ...], ...]
    names: Pseudonymizer


class PseudonymCache:
    """The pseudonymizer of one workspace's lake and key; `builds` counts the builds."""

    def __init__(self, lake: Lake, root: Path) -> None:
        self.lake = lake
        self.root = root
        self.builds = 0
        self._built: _Built | None = None
        self._lock = threading.Lock()

    def get(self) -> Pseudonymizer:
        """The pseudonymizer for the lake's people and devices as they are now."""
        with self._lock:
            key = Keys(self.root).get(KEY_NAME)
            stamp = self.lake.manifest_stamp()
            built = self._built
            if built is not None and built.key == key and built.stamp == stamp:
                return built.names
            listing = self.lake.listing(*TABLES)
            if built is not None and built.key == key and built.listing == listing:
                self._built = replace(built, stamp=stamp)
                return built.names
            self._built = _Built(key, stamp, listing, self._build(key))
            self.builds += 1
            return self._built.names

    def _build(self, key: bytes) -> Pseudonymizer:
        people = self.lake.table("people").select("user", "name", "email")
        devices = self.lake.table("devices").select("host", "owner", "shared")
        return Pseudonymizer.from_rows(key, people.to_pyarrow().to_pylist(),
                                       devices.to_pyarrow().to_pylist())
