"""Operations metrics: one covering index on alerts by arrival time holding every column
the metrics read (`watchkeeper.ops.metrics`), so that a period's volumes and detection
times are read from the index alone rather than from the wide alert rows.

Revision ID: 0007_metrics
Revises: 0006_feedback
Create Date: 2026-12-07 13:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007_metrics"
down_revision = "0006_feedback"
branch_labels = None
depends_on = None

COLUMNS = ["received_at", "source", "severity", "region", "rule_id", "rule", "case_id",
           "suppressed_by", "first_seen", "event_time"]


def upgrade() -> None:
    op.create_index("ix_alerts_metrics", "alerts", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_alerts_metrics", table_name="alerts")
