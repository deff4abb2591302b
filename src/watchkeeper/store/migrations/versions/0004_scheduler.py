"""The scheduler: its jobs (schedule, outcome, lease) and the files drop folders took in.

Self-contained (only these two tables); `down_revision` names 0002 on this branch and is
re-chained after 0003 when the branches meet.

Revision ID: 0004_scheduler
Revises: 0002_casesrepo
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0004_scheduler"
down_revision = "0003_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_jobs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("next_run", TIME, nullable=False),
        sa.Column("last_start", TIME, nullable=True),
        sa.Column("last_end", TIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lease_holder", sa.String(length=200), nullable=True),
        sa.Column("lease_expires", TIME, nullable=True),
        sa.Column("cursor", JSON, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_jobs")),
    )
    op.create_index(op.f("ix_scheduler_jobs_next_run"), "scheduler_jobs", ["next_run"])
    op.create_table(
        "ingested_files",
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("folder", sa.String(length=1000), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", TIME, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("commit", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_ingested_files")),
    )
    op.create_index(op.f("ix_ingested_files_folder"), "ingested_files", ["folder"])


def downgrade() -> None:
    op.drop_table("ingested_files")   # dropping a table drops its indexes
    op.drop_table("scheduler_jobs")
