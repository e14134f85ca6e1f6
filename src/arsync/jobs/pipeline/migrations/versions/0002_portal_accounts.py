"""portal_accounts: one row per (run, portal, account) with the account's outcome

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("portal", sa.String(60), primary_key=True),
        sa.Column("account", sa.String(120), primary_key=True),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("logged_in", sa.Boolean, nullable=False),
        sa.Column("worker", sa.String(255), nullable=False),
        sa.Column("seconds", sa.Float),
        sa.Column("evidence", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("portal_accounts")
