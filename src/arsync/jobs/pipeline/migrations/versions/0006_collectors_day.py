"""the collector's day: contact history, promises to pay, disputes, statements and their lines

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_history",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40)),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("collector", sa.String(80), nullable=False),
        sa.Column("customer", sa.String(20), nullable=False),
        sa.Column("item_key", sa.String(80), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("previous", sa.Text),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
    )
    op.create_index("ix_contact_history_customer", "contact_history", ["customer"])
    op.create_index("ix_contact_history_item", "contact_history", ["item_key"])
    op.create_table(
        "promises",
        sa.Column("promise_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_key", sa.String(80), nullable=False),
        sa.Column("customer", sa.String(20), nullable=False),
        sa.Column("collector", sa.String(80), nullable=False),
        sa.Column("promised_date", sa.Date, nullable=False),
        sa.Column("promised_amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(5), nullable=False),
        sa.Column("amount_typed", sa.Boolean, nullable=False),
        sa.Column("group_key", sa.String(80), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("made_run", sa.String(40)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paid_amount", sa.BigInteger, nullable=False),
        sa.Column("short_amount", sa.BigInteger, nullable=False),
        sa.Column("group_state", sa.String(16), nullable=False),
        sa.Column("judged_on", sa.Date, nullable=False),
        sa.Column("ended", sa.String(10)),
    )
    op.create_index("ix_promises_item", "promises", ["item_key"])
    op.create_index("ix_promises_customer", "promises", ["customer"])
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_key", sa.String(80), nullable=False),
        sa.Column("customer", sa.String(20), nullable=False),
        sa.Column("collector", sa.String(80), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(5), nullable=False),
        sa.Column("reason_code", sa.String(20), nullable=False),
        sa.Column("reason_text", sa.Text, nullable=False),
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("opened_run", sa.String(40)),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("statement_no", sa.String(30)),
        sa.Column("resolution", sa.String(16)),
        sa.Column("resolved_on", sa.Date),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_disputes_item", "disputes", ["item_key"])
    op.create_index("ix_disputes_customer", "disputes", ["customer"])
    op.create_table(
        "statements",
        sa.Column("statement_no", sa.String(30), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("customer", sa.String(20), nullable=False),
        sa.Column("company_code", sa.String(8), nullable=False),
        sa.Column("collector", sa.String(80), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("run_id", sa.String(40)),
        sa.Column("language", sa.String(4), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("totals", sa.Text, nullable=False),
        sa.Column("xlsx_path", sa.Text, nullable=False),
        sa.Column("pdf_path", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("answered_on", sa.Date),
        sa.Column("answer_note", sa.Text),
        sa.Column("signed_file", sa.Text),
        sa.UniqueConstraint("year", "seq", name="uq_statements_year_seq"),
    )
    op.create_index("ix_statements_customer", "statements", ["customer"])
    op.create_table(
        "statement_lines",
        sa.Column(
            "statement_no",
            sa.String(30),
            sa.ForeignKey("statements.statement_no"),
            primary_key=True,
        ),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("item_key", sa.String(80), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("document_date", sa.Date),
        sa.Column("due_date", sa.Date),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(5), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("statement_lines")
    op.drop_table("statements")
    op.drop_index("ix_disputes_customer", "disputes")
    op.drop_index("ix_disputes_item", "disputes")
    op.drop_table("disputes")
    op.drop_index("ix_promises_customer", "promises")
    op.drop_index("ix_promises_item", "promises")
    op.drop_table("promises")
    op.drop_index("ix_contact_history_item", "contact_history")
    op.drop_index("ix_contact_history_customer", "contact_history")
    op.drop_table("contact_history")
