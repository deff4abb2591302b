"""Access governance: requests for access to user data, their approvals, the grants
they made, and the decision log of `authorize`.

Revision ID: 0008_access
Revises: 0007_metrics
Create Date: 2026-12-07 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIME = sa.DateTime(timezone=True)

revision = "0008_access"
down_revision = "0007_metrics"
branch_labels = None
depends_on = None

ACTIONS = "action IN ('read', 'export', 'delete')"


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("approvals_base", sa.Integer(), nullable=False),
        sa.Column("approvals_needed", sa.Integer(), nullable=False),
        sa.Column("needs_why", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("denied_by", sa.String(length=200), nullable=True),
        sa.Column("deny_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(ACTIONS, name=op.f("ck_access_requests_action")),
        sa.CheckConstraint("status IN ('pending', 'approved', 'denied')",
                           name=op.f("ck_access_requests_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    op.create_index("ix_access_requests_principal", "access_requests", ["principal"])
    op.create_index("ix_access_requests_status", "access_requests", ["status"])
    op.create_table(
        "access_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["access_requests.id"],
                                name=op.f("fk_access_approvals_request_id_access_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_approvals")),
    )
    op.create_index("ix_access_approvals_request_id_approver", "access_approvals",
                    ["request_id", "approver"], unique=True)
    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("principal_region", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=True),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("ended_audited", sa.Boolean(), nullable=False),
        sa.CheckConstraint(ACTIONS, name=op.f("ck_access_grants_action")),
        sa.ForeignKeyConstraint(["request_id"], ["access_requests.id"],
                                name=op.f("fk_access_grants_request_id_access_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
        sa.UniqueConstraint("request_id", name=op.f("uq_access_grants_request_id")),
    )
    op.create_index("ix_access_grants_principal_action_resource", "access_grants",
                    ["principal", "action", "resource"])
    op.create_index("ix_access_grants_expires_at", "access_grants", ["expires_at"])
    op.create_table(
        "access_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=True),
        sa.Column("ticket", sa.String(length=200), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("policies", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("risk", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.CheckConstraint("decision IN ('allow', 'deny')",
                           name=op.f("ck_access_decisions_decision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_decisions")),
    )
    op.create_index("ix_access_decisions_at", "access_decisions", ["at"])
    op.create_index("ix_access_decisions_principal_at", "access_decisions",
                    ["principal", "at"])
    op.create_index("ix_access_decisions_resource_at", "access_decisions",
                    ["resource", "at"])


def downgrade() -> None:
    op.drop_table("access_decisions")
    op.drop_table("access_grants")
    op.drop_table("access_approvals")
    op.drop_table("access_requests")
