"""The workspace's own alerts into the queue: detection findings and risk alerts.

`sync_own_alerts` runs at the end of `detect` and `analyze` and on `alerts sync`. What
the queue holds is its own watermark:

- a finding (the lake keeps each one once: its id hashes the rule and the events behind
  it) is sent when no ``watchkeeper.detect`` alert has its id yet, so every finding
  stored since the last sync is sent once, whatever happened in between (a failed sync,
  a store restored from a backup, a lake rebuilt by `lake repair`);
- a risk alert (``<user>:<day>``) is sent when it is new or its content changed since it
  was queued (a full re-analysis rescored the day), so an unchanged one is not counted
  as a re-send every time `analyze` runs.

The alerts then go through the same intake as any other (`cases.alerts`), in one
transaction: all of one sync is queued, or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.alerts import IntakeResult, retrying, store_alerts
from watchkeeper.cases.intake.own import (
    DETECT,
    FINDING_SCHEMA,
    RISK,
    VENDOR,
    from_findings,
    from_risk_alerts,
)
from watchkeeper.cases.model import AlertIn
from watchkeeper.lake import Lake
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert


@dataclass(frozen=True)
class SyncReport:
    """What a sync sent: findings not yet queued, risk alerts new or changed, and what
    the intake made of them."""

    findings: int
    risk_alerts: int
    intake: IntakeResult


def sync_own_alerts(state: StateStore, lake: Lake, risk_alerts: pa.Table | None,
                    risk_events: pa.Table | None = None,
                    received_at: datetime | None = None, *,
                    then: Callable[[Session, IntakeResult], None] | None = None
                    ) -> SyncReport:
    """Queue the lake's findings of our own rules not queued yet, and the stored risk
    alerts that are new or changed (`risk_alerts` None: nothing analysed yet)."""
    known_findings, known_risk = retrying(state, _known, "cannot read the alert queue",
                                          writes=False)
    findings = from_findings(new_findings(lake, known_findings))
    risk = [a for a in from_risk_alerts(risk_alerts, risk_events)
            if known_risk.get(a.source_ref) != a.fingerprint()] \
        if risk_alerts is not None else []
    alerts: list[AlertIn] = [*findings, *risk]
    intake = store_alerts(state, alerts, received_at, then=then)
    return SyncReport(len(findings), len(risk), intake)


def _known(session: Session) -> tuple[set[str], dict[str, str]]:
    findings = set(session.scalars(select(Alert.source_ref).where(Alert.source == DETECT)))
    risk = {ref: fp for ref, fp in session.execute(
        select(Alert.source_ref, Alert.fingerprint).where(Alert.source == RISK))}
    return findings, risk


def new_findings(lake: Lake, known: set[str]) -> pa.Table:
    """The lake's findings of our own rules whose ids are not in `known`."""
    table = lake.table("finding")
    ours = table.filter(table.vendor == VENDOR)
    ids = ours.select("event_id").to_pyarrow().column(0).to_pylist()
    new = [i for i in ids if i not in known]
    if not new:
        return FINDING_SCHEMA.empty_table()
    rows = ours.select(*FINDING_SCHEMA.names).to_pyarrow()
    return rows.filter(pc.is_in(rows["event_id"], value_set=pa.array(new, pa.string())))
