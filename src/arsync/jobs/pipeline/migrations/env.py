"""Alembic's environment: a connection handed in by arsync (``config.attributes``), or the URL
of alembic.ini when run from the command line to write a revision."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

config = context.config
connection = config.attributes.get("connection")


def _run(conn: sa.Connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table (render_as_batch).
    context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
