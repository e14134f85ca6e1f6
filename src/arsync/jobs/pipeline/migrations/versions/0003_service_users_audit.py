"""the service: users, API tokens, browser sessions, the audit log, portal logins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("collector", sa.String(64)),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(16), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("address", sa.String(64)),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_table(
        "portal_logins",
        sa.Column("login_id", sa.String(32), primary_key=True),
        sa.Column("portal", sa.String(60), nullable=False),
        sa.Column("account", sa.String(120), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("image", sa.LargeBinary),
        sa.Column("ref", sa.String(64)),
        sa.Column("url", sa.Text),
        sa.Column("answer", sa.Text),
        sa.Column("message", sa.Text),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("portal_logins")
    op.drop_index("ix_audit_at", "audit")
    op.drop_table("audit")
    op.drop_table("web_sessions")
    op.drop_table("api_tokens")
    op.drop_table("users")
