"""What proves who is asking: browser sessions (a cookie) and API tokens (a bearer header).

Both are random values shown once and stored only as their SHA-256 digest, so a copy of the
database opens nothing.  A session carries its CSRF token (synchronizer-token pattern, OWASP
CSRF cheat sheet): every form posts it back.  A token is ``ars_<id>_<secret>``: the id is
public (lists, revocation), the secret is not.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from arsync.common.clock import now as wall_now
from arsync.service.tables import api_tokens, users, web_sessions
from arsync.service.users import User, UserError

TOKEN_PREFIX = "ars_"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Token:
    token_id: str
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class Credentials:
    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = wall_now) -> None:
        self.engine, self.clock = engine, clock

    # -- browser sessions --------------------------------------------------------------------
    def open_session(self, username: str, hours: int) -> tuple[str, str]:
        """A new session for ``username``: (cookie value, CSRF token)."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as c:
            c.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))
            c.execute(
                web_sessions.insert().values(
                    session_hash=digest(cookie),
                    username=username,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
        return cookie, csrf

    def session(self, cookie: str) -> tuple[User, str] | None:
        """(user, CSRF token) of a live session, or ``None``."""
        q = (
            sa.select(users, web_sessions.c.csrf)
            .join(web_sessions, web_sessions.c.username == users.c.username)
            .where(web_sessions.c.session_hash == digest(cookie))
            .where(web_sessions.c.expires_at > self.clock())
        )
        with self.engine.connect() as c:
            r = c.execute(q).mappings().first()
        return (User(r["username"], r["role"], r["collector"]), r["csrf"]) if r else None

    def close_session(self, cookie: str) -> None:
        with self.engine.begin() as c:
            c.execute(web_sessions.delete().where(web_sessions.c.session_hash == digest(cookie)))

    # -- API tokens --------------------------------------------------------------------------
    def issue_token(self, username: str, name: str) -> str:
        """A new token for ``username`` (shown once; only its digest is kept)."""
        with self.engine.begin() as c:
            if not c.execute(
                sa.select(users.c.username).where(users.c.username == username)
            ).first():
                raise UserError(f"no user {username!r}")
            token_id = secrets.token_hex(4)
            token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
            c.execute(
                api_tokens.insert().values(
                    token_id=token_id,
                    username=username,
                    name=name,
                    token_hash=digest(token),
                    created_at=self.clock(),
                )
            )
        return token

    def revoke_token(self, token_id: str) -> None:
        with self.engine.begin() as c:
            n = c.execute(
                api_tokens.update()
                .where(api_tokens.c.token_id == token_id)
                .where(api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            ).rowcount
        if not n:
            raise UserError(f"no live token {token_id!r}")

    def tokens(self, username: str | None = None) -> list[Token]:
        q = sa.select(api_tokens).order_by(api_tokens.c.username, api_tokens.c.created_at)
        if username:
            q = q.where(api_tokens.c.username == username)
        with self.engine.connect() as c:
            rows = c.execute(q).mappings().all()
        return [
            Token(
                r["token_id"],
                r["username"],
                r["name"],
                r["created_at"],
                r["last_used_at"],
                r["revoked_at"],
            )
            for r in rows
        ]

    def user_for_token(self, token: str) -> User | None:
        """The user a live token belongs to (its last use is recorded), or ``None``."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        h = digest(token)
        q = (
            sa.select(users)
            .join(api_tokens, api_tokens.c.username == users.c.username)
            .where(api_tokens.c.token_hash == h)
            .where(api_tokens.c.revoked_at.is_(None))
        )
        with self.engine.begin() as c:
            r = c.execute(q).mappings().first()
            if r is None:
                return None
            c.execute(
                api_tokens.update()
                .where(api_tokens.c.token_hash == h)
                .values(last_used_at=self.clock())
            )
        return User(r["username"], r["role"], r["collector"])
