"""The run store's one SQLAlchemy ``MetaData``: every table module of the store declares its
tables on it, and ``runstore`` imports those modules so that creating or migrating the store
sees them all.  Apart from ``runstore`` so that the table modules need not import it back."""

from __future__ import annotations

import sqlalchemy as sa

meta = sa.MetaData()
