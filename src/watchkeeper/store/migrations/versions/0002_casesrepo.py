"""Accounts name the person behind them: ``accounts.person``, the lake user id that
recusal compares with a case's subjects and the people history's management chain.

Revision ID: 0002_casesrepo
Revises: 0001
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_casesrepo"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("person", sa.String(length=200), nullable=True))
    op.create_index("ix_accounts_person", "accounts", ["person"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_accounts_person", table_name="accounts")
    op.drop_column("accounts", "person")
