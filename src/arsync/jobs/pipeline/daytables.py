"""The run store's tables for the collector's day: contact history, promises to pay, disputes,
statements (对账单) and their lines.  Declared on the run store's ``MetaData``; built by the
Alembic revision 0002.  Item keys are ``company|year|document|line`` (as on the worksheets),
money is integer minor units beside its currency, dates are dates.

Other jobs read these tables: the supervisor report counts contacts, promises by state,
disputes opened and resolved, statements sent and answered; communications adds the
reminders it sends to ``contact_history`` (``source = 'reminder'``) and attaches statements.
"""

from __future__ import annotations

import sqlalchemy as sa

from arsync.jobs.pipeline.storemeta import meta

#: One row per change of a value the collector typed, or per event (a statement issued or
#: answered, a reminder sent).  ``value`` None with change 'cleared': the cell was emptied.
contact_history = sa.Table(
    "contact_history",
    meta,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40)),  # the run that saw it first (None: from a command)
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("collector", sa.String(80), nullable=False),
    sa.Column("customer", sa.String(20), nullable=False),
    sa.Column("item_key", sa.String(80), nullable=False),  # '' for the customer as a whole
    sa.Column("field", sa.String(80), nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("previous", sa.Text),
    sa.Column("change", sa.String(10), nullable=False),  # new | edit | cleared | event
    sa.Column("source", sa.String(20), nullable=False),  # worksheet | statement | reminder | cli
    sa.Index("ix_contact_history_customer", "customer"),
    sa.Index("ix_contact_history_item", "item_key"),
)

#: One row per promise to pay on an item.  A changed date or amount is a new promise; the
#: one it replaces keeps its last state and gets ``ended = 'replaced'``.
promises = sa.Table(
    "promises",
    meta,
    sa.Column("promise_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_key", sa.String(80), nullable=False),
    sa.Column("customer", sa.String(20), nullable=False),
    sa.Column("collector", sa.String(80), nullable=False),
    sa.Column("promised_date", sa.Date, nullable=False),
    sa.Column("promised_amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(5), nullable=False),
    sa.Column("amount_typed", sa.Boolean, nullable=False),  # False: the item's amount implied
    sa.Column("group_key", sa.String(80), nullable=False),  # customer|date|currency
    sa.Column("level", sa.Integer, nullable=False),  # 1 + promises not kept before on the item
    sa.Column("made_on", sa.Date, nullable=False),  # as-of date of the run that saw it first
    sa.Column("made_run", sa.String(40)),
    sa.Column("state", sa.String(16), nullable=False),  # engine.promises.STATES
    sa.Column("paid_amount", sa.BigInteger, nullable=False),
    sa.Column("short_amount", sa.BigInteger, nullable=False),
    sa.Column("group_state", sa.String(16), nullable=False),  # the per-customer judgement
    sa.Column("judged_on", sa.Date, nullable=False),
    sa.Column("ended", sa.String(10)),  # None (live) | replaced | withdrawn
    sa.Index("ix_promises_item", "item_key"),
    sa.Index("ix_promises_customer", "customer"),
)

disputes = sa.Table(
    "disputes",
    meta,
    sa.Column("dispute_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_key", sa.String(80), nullable=False),
    sa.Column("customer", sa.String(20), nullable=False),
    sa.Column("collector", sa.String(80), nullable=False),
    sa.Column("reference", sa.String(40), nullable=False),  # invoice number
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(5), nullable=False),
    sa.Column("reason_code", sa.String(20), nullable=False),
    sa.Column("reason_text", sa.Text, nullable=False),  # as typed / given
    sa.Column("owner", sa.String(80), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("opened_run", sa.String(40)),
    sa.Column("source", sa.String(20), nullable=False),  # worksheet | statement | cli
    sa.Column("statement_no", sa.String(30)),
    sa.Column("resolution", sa.String(16)),  # credit_memo | rebill | withdrawn | paid
    sa.Column("resolved_on", sa.Date),
    sa.Column("note", sa.Text, nullable=False),
    sa.Index("ix_disputes_item", "item_key"),
    sa.Index("ix_disputes_customer", "customer"),
)

statements = sa.Table(
    "statements",
    meta,
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
    sa.Column("totals", sa.Text, nullable=False),  # JSON {currency: minor units}
    sa.Column("xlsx_path", sa.Text, nullable=False),
    sa.Column("pdf_path", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # issued | confirmed | disputed
    sa.Column("answered_on", sa.Date),
    sa.Column("answer_note", sa.Text),
    sa.Column("signed_file", sa.Text),
    sa.UniqueConstraint("year", "seq", name="uq_statements_year_seq"),
    sa.Index("ix_statements_customer", "customer"),
)

statement_lines = sa.Table(
    "statement_lines",
    meta,
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
    sa.Column("kind", sa.String(8), nullable=False),  # item | credit
)
