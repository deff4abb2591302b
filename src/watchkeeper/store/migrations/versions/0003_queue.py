"""Alert rule ids up to 500 characters, like rule names (a Microsoft Sentinel rule id is
an Azure resource path of 219 characters or more).

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


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("rule_id", existing_type=sa.String(length=200),
                           type_=sa.String(length=500), existing_nullable=True)


def downgrade() -> None:
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
