"""supervisor report and plans: snapshots per run, portal stage history, plans and actuals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KEY = ("company_code", "fiscal_year", "document_no", "line_item")


def _key() -> list[sa.Column]:
    widths = (4, 4, 10, 3)
    return [sa.Column(n, sa.String(w), primary_key=True) for n, w in zip(_KEY, widths)]


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("scope", sa.String(80), primary_key=True),
        sa.Column("currency", sa.String(5), primary_key=True),
        sa.Column("measure", sa.String(40), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_table(
        "stage_history",
        *_key(),
        sa.Column("status", sa.String(14), primary_key=True),
        sa.Column("customer", sa.String(10), nullable=False),
        sa.Column("entered", sa.Date, nullable=False),
        sa.Column("first_run", sa.String(40), nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(60), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("run_id", sa.String(40)),
        sa.Column("made_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "plan_items",
        sa.Column("plan_id", sa.String(60), sa.ForeignKey("plans.plan_id"), primary_key=True),
        *_key(),
        sa.Column("customer", sa.String(10), nullable=False),
        sa.Column("collector", sa.String(80), nullable=False),
        sa.Column("currency", sa.String(5), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("expected_date", sa.Date, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
    )
    op.create_table(
        "plan_actuals",
        sa.Column("plan_id", sa.String(60), sa.ForeignKey("plans.plan_id"), primary_key=True),
        sa.Column("collector", sa.String(80), primary_key=True),
        sa.Column("customer", sa.String(10), primary_key=True),
        sa.Column("currency", sa.String(5), primary_key=True),
        sa.Column("planned", sa.BigInteger, nullable=False),
        sa.Column("expected", sa.BigInteger, nullable=False),
        sa.Column("collected", sa.BigInteger, nullable=False),
        sa.Column("collected_planned", sa.BigInteger, nullable=False),
        sa.Column("measured_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for t in ("plan_actuals", "plan_items", "plans", "stage_history", "snapshots"):
        op.drop_table(t)
