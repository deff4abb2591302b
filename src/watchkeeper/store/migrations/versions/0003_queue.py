"""The alert queue at a million alerts: rule ids up to 500 characters (a Microsoft
Sentinel rule id is an Azure resource path of 219 characters or more), and indexes that
list a page of the queue by walking one index in time order (`store.models.alerts`).

On SQLite the column change copies ``alerts`` (batch mode); `watchkeeper.store.migrate`
runs it with foreign keys off so that dropping the old table keeps the alerts' people,
hosts, observables, findings and changes. The downgrade shortens longer ids as intake
did before (their end kept, after an ellipsis) so that they fit 200 characters again.

Revision ID: 0003_queue
Revises: 0002_casesrepo
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_queue"
down_revision = "0002_casesrepo"
branch_labels = None
depends_on = None

ELLIPSIS = "\u2026"
RULE_ID_OF_ITS_OWN = sa.text("rule IS NULL OR rule != rule_id")
#: indexes of 0001 that those below replace: a column filtered by leads an index that
#: continues with the event time (the region is filtered on lower(region): never used)
REPLACED = {"status": ["status"], "status_event_time": ["status", "event_time"],
            "severity": ["severity"], "source": ["source"], "rule": ["rule"],
            "region": ["region"]}


def upgrade() -> None:
    for name in REPLACED:
        op.drop_index(f"ix_alerts_{name}", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("rule_id", existing_type=sa.String(length=200),
                           type_=sa.String(length=500), existing_nullable=True)
    op.create_index("ix_alerts_queue", "alerts", ["status", "suppressed_by", "event_time",
                                                  "severity", "region", "source"])
    op.create_index("ix_alerts_severity_event_time", "alerts", ["severity", "event_time"])
    op.create_index("ix_alerts_source_event_time", "alerts", ["source", "event_time"])
    op.create_index("ix_alerts_rule_event_time", "alerts", ["rule", "event_time"])
    op.create_index("ix_alerts_rule_id_event_time", "alerts", ["rule_id", "event_time"],
                    sqlite_where=RULE_ID_OF_ITS_OWN, postgresql_where=RULE_ID_OF_ITS_OWN)


def downgrade() -> None:
    for name in ("queue", "severity_event_time", "source_event_time", "rule_event_time",
                 "rule_id_event_time"):
        op.drop_index(f"ix_alerts_{name}", table_name="alerts")
    alerts = sa.table("alerts", sa.column("id", sa.Integer()),
                      sa.column("rule_id", sa.String()))
    conn = op.get_bind()
    long = conn.execute(sa.select(alerts.c.id, alerts.c.rule_id)
                        .where(sa.func.length(alerts.c.rule_id) > 200)).all()
    for ident, rule_id in long:
        conn.execute(alerts.update().where(alerts.c.id == ident)
                     .values(rule_id=ELLIPSIS + rule_id[-199:]))
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("rule_id", existing_type=sa.String(length=500),
                           type_=sa.String(length=200), existing_nullable=True)
    for name, columns in REPLACED.items():
        op.create_index(f"ix_alerts_{name}", "alerts", columns)
