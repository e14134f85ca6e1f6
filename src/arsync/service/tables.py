"""The service's tables in the run store: users, API tokens, browser sessions, the audit log and
the portal logins waiting for a person.

They live in the run store's database (one database to back up) and are built by its Alembic
migrations (``jobs/pipeline/migrations/versions/0002_*``); these declarations mirror them for
queries, and ``tests/test_runstore_migrations.py`` checks that the two agree.  Secrets are
never stored: passwords as argon2 hashes, tokens and session ids as SHA-256 digests, and a
captcha or SMS answer only until the waiting browser has read it.
"""

from __future__ import annotations

import sqlalchemy as sa

meta = sa.MetaData()

users = sa.Table(
    "users",
    meta,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(12), nullable=False),  # ops | supervisor | collector
    sa.Column("collector", sa.String(64)),  # the collector's name on worksheets (collectors)
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, PHC string
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    meta,
    sa.Column("token_id", sa.String(16), primary_key=True),  # public part, shown in lists
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
)

web_sessions = sa.Table(
    "web_sessions",
    meta,
    sa.Column("session_hash", sa.String(64), primary_key=True),  # sha256 hex of the cookie
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

audit = sa.Table(
    "audit",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("username", sa.String(64)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # JSON
    sa.Column("address", sa.String(64)),
)

portal_logins = sa.Table(
    "portal_logins",
    meta,
    sa.Column("login_id", sa.String(32), primary_key=True),
    sa.Column("portal", sa.String(60), nullable=False),
    sa.Column("account", sa.String(120), nullable=False),
    # starting | captcha | sms | answered | ok | failed
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("image", sa.LargeBinary),  # the captcha picture while one is asked
    sa.Column("ref", sa.String(64)),  # the page's id of that captcha (not secret)
    sa.Column("url", sa.Text),  # the portal's address
    sa.Column("answer", sa.Text),  # the person's answer until the browser takes it
    sa.Column("message", sa.Text),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
