"""Analyst feedback: watchlists (who, origin, why, from and until when) and allow-list
proposals from false-positive verdicts (pending until a lead accepts or rejects them).

Self-contained (only these two tables); `down_revision` names 0002 on this branch and is
re-chained after 0005 when the branches meet.

Revision ID: 0006_feedback
Revises: 0002_casesrepo
Create Date: 2026-12-09 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIME = sa.DateTime(timezone=True)

revision = "0006_feedback"
down_revision = "0005_shifts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watchlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("watchlist", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("removed_at", TIME, nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("origin IN ('hr', 'analyst')",
                           name=op.f("ck_watchlist_entries_origin")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_entries")),
    )
    op.create_index("ix_watchlist_entries_person_watchlist", "watchlist_entries",
                    ["person", "watchlist"], unique=False)
    op.create_table(
        "allow_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=500), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposer", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", TIME, nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("suppression_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("field IN ('subject', 'host')",
                           name=op.f("ck_allow_proposals_field")),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')",
                           name=op.f("ck_allow_proposals_status")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_allow_proposals_case_id_cases"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["suppression_id"], ["suppressions.id"],
                                name=op.f("fk_allow_proposals_suppression_id_suppressions"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allow_proposals")),
    )
    op.create_index("ix_allow_proposals_case_id", "allow_proposals", ["case_id"],
                    unique=False)
    op.create_index("ix_allow_proposals_status", "allow_proposals", ["status"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("allow_proposals")
    op.drop_table("watchlist_entries")
