"""Users of the service: who they are, their role, and their argon2-hashed password.

Roles (issue 13): ``ops`` may do everything; ``supervisor`` reads everything and starts
reconciliations; ``collector`` reads their own workbook and statements only (``collector``
names them as the worksheets do).  Passwords are hashed with argon2id (argon2-cffi's defaults,
the parameters of RFC 9106's second recommended option); nothing secret is kept in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from arsync.common.clock import now as wall_now
from arsync.common.errors import ArsyncError
from arsync.common.secrets import Secret
from arsync.service.tables import api_tokens, users, web_sessions

ROLES = ("ops", "supervisor", "collector")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = _hasher.hash("arsync: no such user")


class UserError(ArsyncError):
    """A user cannot be added or changed as asked (the message says why)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    collector: str | None = None

    @property
    def can_run(self) -> bool:
        return self.role in ("ops", "supervisor")

    @property
    def reads_all(self) -> bool:
        return self.role in ("ops", "supervisor")


class Users:
    """Users in the run store's database (``engine``); ``clock`` gives "now" (tests set it)."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = wall_now) -> None:
        self.engine, self.clock = engine, clock

    def add(self, username: str, role: str, password: Secret, collector: str | None = None) -> User:
        """Add a user; raise :class:`UserError` for a taken name, an unknown role, a collector
        without their worksheet name, or a password shorter than ``MIN_PASSWORD``."""
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise UserError(f"user name {username!r}: 1 to 64 characters, no spaces")
        if role not in ROLES:
            raise UserError(f"role {role!r}: one of {', '.join(ROLES)}")
        if role == "collector" and not collector:
            raise UserError("a collector user needs --collector NAME (their worksheet's name)")
        _check_password(password)
        now = self.clock()
        with self.engine.begin() as c:
            if c.execute(sa.select(users.c.username).where(users.c.username == username)).first():
                raise UserError(f"user {username!r} exists; change the password with `passwd`")
            c.execute(
                users.insert().values(
                    username=username,
                    role=role,
                    collector=collector if role == "collector" else None,
                    password_hash=_hasher.hash(password.reveal()),
                    created_at=now,
                    changed_at=now,
                )
            )
        return User(username, role, collector if role == "collector" else None)

    def set_password(self, username: str, password: Secret) -> None:
        """New password; the user's browser sessions end (tokens stay: they are for machines)."""
        _check_password(password)
        with self.engine.begin() as c:
            n = c.execute(
                users.update()
                .where(users.c.username == username)
                .values(password_hash=_hasher.hash(password.reveal()), changed_at=self.clock())
            ).rowcount
            if not n:
                raise UserError(f"no user {username!r}")
            c.execute(web_sessions.delete().where(web_sessions.c.username == username))

    def remove(self, username: str) -> None:
        """Remove a user with their sessions and API tokens."""
        with self.engine.begin() as c:
            if not c.execute(users.delete().where(users.c.username == username)).rowcount:
                raise UserError(f"no user {username!r}")
            c.execute(web_sessions.delete().where(web_sessions.c.username == username))
            c.execute(api_tokens.delete().where(api_tokens.c.username == username))

    def list(self) -> list[User]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(users).order_by(users.c.username)).mappings().all()
        return [User(r["username"], r["role"], r["collector"]) for r in rows]

    def get(self, username: str) -> User | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        return User(r["username"], r["role"], r["collector"]) if r else None

    def authenticate(self, username: str, password: Secret) -> User | None:
        """The user when the password is right, else ``None`` (same answer for an unknown name)."""
        with self.engine.connect() as c:
            r = c.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        try:
            _hasher.verify(r["password_hash"] if r else _DUMMY, password.reveal())
        except (VerificationError, InvalidHashError):
            return None
        if r is None:
            return None
        if _hasher.check_needs_rehash(r["password_hash"]):
            with self.engine.begin() as c:
                c.execute(
                    users.update()
                    .where(users.c.username == username)
                    .values(password_hash=_hasher.hash(password.reveal()))
                )
        return User(r["username"], r["role"], r["collector"])


def _check_password(password: Secret) -> None:
    if len(password.reveal()) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
