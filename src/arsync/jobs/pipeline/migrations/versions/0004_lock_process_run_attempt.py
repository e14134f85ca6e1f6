"""the lock names its process by start time; a run counts its attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

``locks.process_started``: the holder's process start time (epoch seconds), so that a PID
reused after a reboot is not taken for the holder.  ``runs.attempt``: 1, then 2, 3, ... for
each ``--resume``; a resumed attempt keeps its evidence apart from the attempts before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locks") as b:
        b.add_column(sa.Column("process_started", sa.Float))
    with op.batch_alter_table("runs") as b:
        b.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("runs") as b:
        b.drop_column("attempt")
    with op.batch_alter_table("locks") as b:
        b.drop_column("process_started")
