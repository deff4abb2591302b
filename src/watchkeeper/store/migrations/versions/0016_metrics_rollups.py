"""Operations metrics from rollups: per UTC day of receipt and region, the alerts per
rule, source and severity (received, suppressed, in a case, with a known detection
time) and a histogram of detection times (`store.models.rollups`,
`cases.metricsrollup`), filled from the alerts already stored; and
``ix_alerts_backlog`` (case, suppression, status, arrival, region): the backlog's
untriaged alerts (no case, not suppressed, new or in progress) are two ranges of it,
where ``ix_alerts_queue`` lacks the case and arrival (135,000 rows read at 1,000,000
alerts); and the team split reads a case's alerts in it. A partial index of the
untriaged alerts alone would be smaller, but SQLite's planner takes ``case_id IS NULL``
for as selective as one case's id and seeks ``ix_alerts_case_id`` instead.

Revision ID: 0016_metrics_rollups
Revises: 0015_alerts_in_case
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from watchkeeper.cases.metricsrollup import rebuild

revision = "0016_metrics_rollups"
down_revision = "0015_alerts_in_case"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "metrics_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("in_cases", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "region", "facet", "key",
                                name=op.f("pk_metrics_rollups")),
    )
    op.create_table(
        "detect_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "region", "bucket", name=op.f("pk_detect_rollups")),
    )
    op.create_index("ix_alerts_backlog", "alerts",
                    ["case_id", "suppressed_by", "status", "received_at", "region"])
    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_alerts_backlog", table_name="alerts")
    op.drop_table("detect_rollups")
    op.drop_table("metrics_rollups")
