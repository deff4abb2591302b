"""The dashboard's rollups: alerts, open and suppressed per day, severity, source and
region (`store.models.rollups`), filled from the alerts already stored.

Revision ID: 0012_rollups
Revises: 0011_metrics_speed
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from watchkeeper.cases.rollups import rebuild_sql

revision = "0012_rollups"
down_revision = "0011_metrics_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "severity", "source", "region",
                                name=op.f("pk_alert_rollups")),
    )
    op.execute(rebuild_sql(op.get_bind().dialect.name))


def downgrade() -> None:
    op.drop_table("alert_rollups")
