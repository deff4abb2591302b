"""Entitlement review campaigns and their items (`store.models.access_review`).

Self-contained (two tables); `down_revision` is 0012_rollups and is re-chained when
other branches add migrations after it.

Revision ID: 0013_access_review
Revises: 0012_rollups
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIME = sa.DateTime(timezone=True)

revision = "0013_access_review"
down_revision = "0012_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_access_reviews_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_reviews")),
    )
    op.create_index("ix_access_reviews_status", "access_reviews", ["status"])
    op.create_table(
        "access_review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("principal_region", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("resource_region", sa.String(length=100), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("policies", sa.Text(), nullable=False),
        sa.Column("unused", sa.Boolean(), nullable=False),
        sa.Column("outlier", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("effect", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.CheckConstraint("via IN ('policy', 'grant')", name=op.f("ck_access_review_items_via")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('keep', 'revoke')",
            name=op.f("ck_access_review_items_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["access_reviews.id"],
            name=op.f("fk_access_review_items_review_id_access_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_review_items")),
    )
    op.create_index(
        "ix_access_review_items_review_id_principal",
        "access_review_items",
        ["review_id", "principal"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("access_review_items")
    op.drop_table("access_reviews")
