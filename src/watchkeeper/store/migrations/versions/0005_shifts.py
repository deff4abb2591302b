"""Operations: teams' time zones, weekly shift hours and holidays; SLA policies per
severity; each case's SLA clocks (acknowledged, due times, state), pauses waiting on an
external party and breaches; hand-offs at shift ends with their items and
acknowledgements; in-app notifications. Only new tables: nothing existing changes.

Revision ID: 0005_shifts
Revises: 0002_casesrepo (re-chained after 0004_scheduler when merged)
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0005_shifts"
down_revision = "0004_scheduler"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{referred}"))


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{'_'.join(columns)}"), list(columns),
                              unique=False)


def upgrade() -> None:
    _teams()
    _slas()
    _handoffs()


def _teams() -> None:
    op.create_table(
        "team_calendars",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("handoff_grace_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("team_calendars", "team_id", "teams.id", "CASCADE"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_calendars")),
    )
    op.create_table(
        "team_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_team_shifts_weekday")),
        _fk("team_shifts", "team_id", "teams.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_shifts")),
        sa.UniqueConstraint("team_id", "weekday", "start_minute", "end_minute",
                            name=op.f("uq_team_shifts_team_id_weekday_start_minute_"
                                      "end_minute")),
    )
    op.create_table(
        "team_holidays",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _fk("team_holidays", "team_id", "teams.id", "CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "day", name=op.f("pk_team_holidays")),
    )


def _slas() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("severity", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("acknowledge_seconds", sa.Integer(), nullable=False),
        sa.Column("resolve_seconds", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.Column("raise_priority", sa.Boolean(), nullable=False),
        sa.Column("escalate_team_id", sa.Integer(), nullable=True),
        sa.Column("escalate_assignee_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.CheckConstraint("clock IN ('wall', 'business')", name=op.f("ck_sla_policies_clock")),
        _fk("sla_policies", "escalate_assignee_id", "accounts.id", "SET NULL"),
        _fk("sla_policies", "escalate_team_id", "teams.id", "SET NULL"),
        sa.PrimaryKeyConstraint("severity", name=op.f("pk_sla_policies")),
    )
    op.create_table(
        "case_slas",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("ack_due_at", TIME, nullable=True),
        sa.Column("resolve_due_at", TIME, nullable=True),
        sa.Column("ack_state", sa.String(length=16), nullable=False),
        sa.Column("resolve_state", sa.String(length=16), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("case_slas", "case_id", "cases.id", "CASCADE"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_slas")),
    )
    for column in ("ack_due_at", "resolve_due_at", "resolve_state"):
        _index("case_slas", column)
    op.create_table(
        "sla_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paused_at", TIME, nullable=False),
        sa.Column("paused_by", sa.String(length=200), nullable=False),
        sa.Column("resumed_at", TIME, nullable=True),
        sa.Column("resumed_by", sa.String(length=200), nullable=True),
        _fk("sla_pauses", "case_id", "cases.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_pauses")),
    )
    _index("sla_pauses", "case_id")
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("detected_at", TIME, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.CheckConstraint("kind IN ('acknowledge', 'resolve')",
                           name=op.f("ck_sla_breaches_kind")),
        _fk("sla_breaches", "case_id", "cases.id", "CASCADE"),
        _fk("sla_breaches", "team_id", "teams.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint("case_id", "kind", name=op.f("uq_sla_breaches_case_id_kind")),
    )
    _index("sla_breaches", "due_at")
    _index("sla_breaches", "team_id")


def _handoffs() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("to_team_id", sa.Integer(), nullable=True),
        sa.Column("shift_end", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("ack_due_at", TIME, nullable=False),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("flagged_at", TIME, nullable=True),
        _fk("handoffs", "team_id", "teams.id", "CASCADE"),
        _fk("handoffs", "to_team_id", "teams.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
        sa.UniqueConstraint("team_id", "shift_end", name=op.f("uq_handoffs_team_id_shift_end")),
    )
    _index("handoffs", "shift_end")
    _index("handoffs", "to_team_id")
    op.create_table(
        "handoff_items",
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("ack_state", sa.String(length=16), nullable=False),
        sa.Column("ack_due_at", TIME, nullable=True),
        sa.Column("resolve_state", sa.String(length=16), nullable=False),
        sa.Column("resolve_due_at", TIME, nullable=True),
        sa.Column("waiting_on", sa.String(length=200), nullable=True),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("moved", sa.Boolean(), nullable=False),
        _fk("handoff_items", "case_id", "cases.id", "CASCADE"),
        _fk("handoff_items", "handoff_id", "handoffs.id", "CASCADE"),
        sa.PrimaryKeyConstraint("handoff_id", "case_id", name=op.f("pk_handoff_items")),
    )
    _index("handoff_items", "case_id")
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("read_at", TIME, nullable=True),
        _fk("notifications", "account_id", "accounts.id", "CASCADE"),
        _fk("notifications", "case_id", "cases.id", "SET NULL"),
        _fk("notifications", "handoff_id", "handoffs.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    _index("notifications", "account_id", "read_at")
    _index("notifications", "case_id")
    _index("notifications", "handoff_id")


def downgrade() -> None:
    # dropping a table drops its indexes; children before the tables they refer to
    for table in ("notifications", "handoff_items", "handoffs", "sla_breaches",
                  "sla_pauses", "case_slas", "sla_policies", "team_holidays", "team_shifts",
                  "team_calendars"):
        op.drop_table(table)
