"""Alerts, cases and verdicts in a state store for the feedback tests: the tiny HR lake
of `cases.casework`, its accounts (alice and bob analysts and lee a lead in team soc-eu,
audrey an auditor, ada an admin), alerts of any rule and source, and a case desk on a
clock the test moves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cases.casework import add_accounts, build_lake
from watchkeeper.cases import metricsrollup
from watchkeeper.cases.service import CaseDesk, CaseNew
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.lake import Lake
from watchkeeper.security import Pseudonymizer
from watchkeeper.store import StateStore
from watchkeeper.store.models import Account, Alert, AlertHost, AlertSubject, Suppression, Team
from watchkeeper.workspace import Workspace

KEY = b"k" * 32
T0 = datetime(2010, 1, 4, 9, 0, tzinfo=UTC)


class Clock:
    """The desk's time: stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        self.at += delta
        return self.at


def put_alert(state: StateStore, ref: str, *, rule: str, source: str = "watchkeeper.detect",
              subjects: Sequence[str] = ("ACM2278",), hosts: Sequence[str] = ("PC-6377",),
              received: datetime = T0, event: datetime | None = None,
              region: str | None = None, suppressed: bool = False) -> int:
    """One stored alert of `rule` from `source` (marked suppressed if asked), counted in
    the metrics' rollups as the intake counts it."""
    with state.session() as s:
        mark = None
        if suppressed:
            row = Suppression(match={"rule": rule}, reason="test", owner="t",
                              expires_at=T0 + timedelta(days=1), created_at=T0)
            s.add(row)
            s.flush()
            mark = row.id
        alert = Alert(source=source, source_ref=ref, fingerprint=ref.ljust(64, "0"),
                      title=f"{rule} alert", severity=3, status="new", rule=rule,
                      rule_id=rule, event_time=event or received - timedelta(hours=1),
                      raw="{}", received_at=received, region=region, suppressed_by=mark)
        alert.subjects = [AlertSubject(subject=u) for u in subjects]
        alert.hosts = [AlertHost(host=h) for h in hosts]
        s.add(alert)
        s.flush()
        counted = metricsrollup.MetricDeltas()   # the metrics' rollups, as the intake's
        counted.alert(metricsrollup.values_of(alert))
        metricsrollup.apply(s, counted)
        return alert.id


@pytest.fixture(scope="session")
def hr_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return build_lake(tmp_path_factory.mktemp("feedback-hr"))


@pytest.fixture
def fws(tmp_path: Path, state_store: StateStore, hr_lake: Lake) -> Iterator[Workspace]:
    """A workspace over a copy of the HR lake and the state store of each kind, with
    the accounts of `desk`."""
    root = tmp_path / "ws"
    root.mkdir(mode=0o700)
    (root / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    shutil.copytree(hr_lake.root, root / "lake")
    ws = Workspace.open(root, create=False, database_url=state_store.location.url)
    with ws.state.session() as s:
        add_accounts(s)
        s.add_all([Team(name="soc-us"), Account(name="ada", role="admin")])
    yield ws
    ws.close_state()


def pseudonyms(lake: Lake) -> Pseudonymizer:
    people = lake.table("people").select("user", "name", "email").to_pyarrow().to_pylist()
    return Pseudonymizer.from_rows(KEY, people)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=1))


@pytest.fixture
def desk(state_store: StateStore, hr_lake: Lake, clock: Clock) -> Iterator[CaseDesk]:
    with state_store.session() as s:
        add_accounts(s)
        s.add_all([Team(name="soc-us"), Account(name="ada", role="admin")])
    yield CaseDesk(state_store, hr_lake, lambda: pseudonyms(hr_lake), clock=clock)


def judge(desk: CaseDesk, alerts: Sequence[int], verdict: str | None, *,
          team: str | None = None, who: str = "bob") -> int:
    """A case of `alerts` (of `team`), resolved with `verdict` at the clock's time
    (left open when None); its id."""
    viewer = desk.viewer(who, "x")
    case = desk.create(viewer, CaseNew("judged", alerts=tuple(alerts), team=team)).id
    if verdict is not None:
        desk.resolve(viewer, case, verdict)
    return case


__all__ = ["T0", "Clock", "clock", "desk", "fws", "hr_lake", "judge", "put_alert"]
