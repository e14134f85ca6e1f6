"""The run store's outbox: one row per message to send, and one per attempt to send it.

Declared on the run store's ``MetaData``; built by the Alembic revision ``0005_outbox``.  The
message itself (the e-mail as it will be sent, the WeCom payload, the attachments) lives in the
message's folder under ``<out>/outbox/``; the row holds its state.  No secret is ever stored:
a robot is named, never its key.
"""

from __future__ import annotations

import sqlalchemy as sa

from arsync.jobs.pipeline.storemeta import meta

#: States of a message: draft (waiting for approval) → approved → claimed (a sender took it;
#: nothing has left) → sending (handed over: from here the other side may have it) → sent.
#: A transient failure puts it back to approved with a later ``next_attempt_at``; failed and
#: rejected are final; unknown (the connection broke after handing over) waits for a person.
STATUSES = (
    "draft",
    "approved",
    "claimed",
    "sending",
    "sent",
    "failed",
    "unknown",
    "rejected",
)

outbox = sa.Table(
    "outbox",
    meta,
    sa.Column("message_key", sa.String(64), primary_key=True),  # the idempotency key
    sa.Column("seq", sa.Integer, nullable=False),  # drafting order: parts go in order
    sa.Column("run_id", sa.String(40)),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),  # digest | reminder
    sa.Column("channel", sa.String(12), nullable=False),  # email | wecom_robot | wecom_app
    sa.Column("recipient", sa.Text, nullable=False),  # addresses / robot name / userids
    sa.Column("collector", sa.String(80), nullable=False),
    sa.Column("customer", sa.String(20), nullable=False),  # '' for a digest
    sa.Column("level", sa.String(8), nullable=False),  # polite | firm | final | ''
    sa.Column("part", sa.Integer, nullable=False),  # 1.. of parts (a split digest)
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("attachments", sa.Text, nullable=False),  # JSON list of file names
    sa.Column("items", sa.Text, nullable=False),  # JSON list of item keys (reminders)
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("approval", sa.String(12), nullable=False),  # none | collector | supervisor
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("approved_by", sa.String(80)),
    sa.Column("approved_at", sa.DateTime),
    sa.Column("message_id", sa.String(200)),  # the e-mail's Message-ID, made once
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Index("ix_outbox_status", "status"),
    sa.Index("ix_outbox_customer", "customer"),
)

outbox_attempts = sa.Table(
    "outbox_attempts",
    meta,
    sa.Column("message_key", sa.String(64), sa.ForeignKey("outbox.message_key"), primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),  # sent | retry | failed | unknown
    sa.Column("detail", sa.Text, nullable=False),
)
