"""Access violations' resolutions (the violations are findings in the lake).

Self-contained (one table).

Revision ID: 0014_violations_api
Revises: 0013_access_review
Create Date: 2026-12-07 16:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_violations_api"
down_revision = "0013_access_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_violation_resolutions",
        sa.Column("violation_id", sa.String(length=64), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=200), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "resolution IN ('remediated', 'authorized', 'false_positive')",
            name=op.f("ck_access_violation_resolutions_resolution")),
        sa.PrimaryKeyConstraint("violation_id",
                                name=op.f("pk_access_violation_resolutions")),
    )


def downgrade() -> None:
    op.drop_table("access_violation_resolutions")
