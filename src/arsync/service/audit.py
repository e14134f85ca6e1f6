"""The audit log in the run store: who started which run, downloaded what, solved which login,
signed in or failed to.  Failed sign-ins are also what the sign-in rate limit counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from arsync.common.clock import now as wall_now
from arsync.service.tables import audit

LOGIN_FAILED = "login.failed"


@dataclass(frozen=True)
class Entry:
    at: datetime
    username: str | None
    action: str
    target: str
    detail: dict[str, Any]
    address: str | None


class Audit:
    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = wall_now) -> None:
        self.engine, self.clock = engine, clock

    def record(
        self,
        username: str | None,
        action: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> None:
        """One line: ``action`` (``run.start``, ``download``, ``portal.login``, ...) on
        ``target`` by ``username`` from ``address``.  ``detail`` must hold no secret."""
        with self.engine.begin() as c:
            c.execute(
                audit.insert().values(
                    at=self.clock(),
                    username=username,
                    action=action,
                    target=target,
                    detail=json.dumps(
                        detail or {}, sort_keys=True, default=str, ensure_ascii=False
                    ),
                    address=address,
                )
            )

    def recent(self, limit: int = 100, action: str | None = None) -> list[Entry]:
        q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if action:
            q = q.where(audit.c.action == action)
        with self.engine.connect() as c:
            rows = c.execute(q).mappings().all()
        return [
            Entry(
                r["at"],
                r["username"],
                r["action"],
                r["target"],
                json.loads(r["detail"]),
                r["address"],
            )
            for r in rows
        ]

    def failed_logins(self, username: str, address: str | None, minutes: int) -> tuple[int, int]:
        """Failed sign-ins in the last ``minutes``: (for this user name, from this address)."""
        since = self.clock() - timedelta(minutes=minutes)
        base = (
            sa.select(sa.func.count())
            .select_from(audit)
            .where(audit.c.action == LOGIN_FAILED)
            .where(audit.c.at >= since)
        )
        with self.engine.connect() as c:
            by_user = int(c.execute(base.where(audit.c.target == username)).scalar_one())
            by_address = (
                int(c.execute(base.where(audit.c.address == address)).scalar_one())
                if address
                else 0
            )
        return by_user, by_address
