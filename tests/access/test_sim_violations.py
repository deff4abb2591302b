"""Violations on the simulated enterprise (100 people, 45 days, seed 11): the simulated
data-protection incident is found on its own events, and the benign look-alikes (on-call
bursts of ticketless reads, leavers in their notice period) raise none. The counts are
in docs/access.md, "Violations"."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from cases.simlake import SIM, read_key
from watchkeeper.sim import simulate
from watchkeeper.sim.lookalikes import ON_CALL_ROLES
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow


def test_incidents_found_and_lookalikes_not(tmp_path: Path) -> None:
    simulate(SIM, tmp_path / "sim")
    ws = Workspace.open(tmp_path / "ws")
    ws.ingest([tmp_path / "sim"])
    key = read_key(tmp_path / "sim")
    insiders: dict[str, set[str]] = defaultdict(set)
    key_events: dict[str, set[str]] = defaultdict(set)
    for k in key:
        insiders[k.scenario].add(k.user)
        key_events[k.user].add(k.event_id)
    run = ws.violations_detect()
    people = {r["user"]: r for r in ws.lake.table("people").to_pyarrow().to_pylist()}
    everyone = set().union(*insiders.values())
    # scenario 6: bulk export from another region's store without a ticket, every day
    exporter = next(iter(insiders["6"]))
    mine = [v for v in run.found if v.user == exporter and v.kind == "cross_region"]
    assert len(mine) == 3 and all(set(v.event_refs) <= key_events[exporter] for v in mine)
    assert len([v for v in run.found if v.user == exporter and v.kind == "volume"]) == 4
    # scenario 7 (ticketless reads growing week by week) is left to behaviour analytics
    assert not [v for v in run.found if v.user in insiders["7"]]
    # look-alikes: privileged people's on-call bursts are not sustained volume, and no
    # leaver touched a store after their last day
    on_call = {u for u, p in people.items() if p["role"] in ON_CALL_ROLES} - everyone
    assert not [v for v in run.found if v.kind == "volume" and v.user in on_call]
    assert run.counts["leaver"] == 0 and run.counts["movement"] == 0
    # without grants in the workspace the grant checks do not run
    assert not run.grants_checked and run.counts["no_grant"] == 0
    # what else is found: ticketless background reads of other regions' high-sensitivity
    # stores by analysts and accountants (counts in docs/access.md)
    benign = [v for v in run.found if v.user not in everyone]
    assert {v.kind for v in benign} == {"cross_region"}
    assert {people[v.user]["role"] for v in benign} <= {"Analyst", "Accountant"}
    assert (len(benign), run.counts["cross_region"] - len(mine)) == (15, 17)
    assert run.stored == len(run.found) == len(ws.violations(limit=0))
