"""Playbook runs and their steps (attempts, last error, next attempt, result).

Revision ID: 0010_playbooks
Revises: 0009_holds
Create Date: 2026-12-07 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0010_playbooks"
down_revision = "0009_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("person", sa.String(length=200), nullable=True),
        sa.Column("context", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'running', 'succeeded', 'failed')",
                           name=op.f("ck_playbook_runs_status")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"],
                                name=op.f("fk_playbook_runs_alert_id_alerts"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_playbook_runs_case_id_cases"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
        sa.UniqueConstraint("playbook", "key", name=op.f("uq_playbook_runs_playbook_key")),
    )
    op.create_index("ix_playbook_runs_alert_id", "playbook_runs", ["alert_id"])
    op.create_index("ix_playbook_runs_case_id", "playbook_runs", ["case_id"])
    op.create_index("ix_playbook_runs_status_id", "playbook_runs", ["status", "id"])
    op.create_table(
        "playbook_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("output", JSON, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'skipped')",
                           name=op.f("ck_playbook_steps_status")),
        sa.ForeignKeyConstraint(["run_id"], ["playbook_runs.id"],
                                name=op.f("fk_playbook_steps_run_id_playbook_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_steps")),
        sa.UniqueConstraint("run_id", "position",
                            name=op.f("uq_playbook_steps_run_id_position")),
    )


def downgrade() -> None:
    op.drop_table("playbook_steps")
    op.drop_table("playbook_runs")
