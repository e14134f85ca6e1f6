"""Portal logins that need a person, done from the web page.

The web process never drives a browser: ``start_login`` records a login in the run store
(``portal_logins``) and starts a worker process.  The worker opens the login page and runs
the declared steps with :class:`WebSolver`: when the portal shows a captcha, the solver puts
the picture into the login's row (status ``captcha``; an SMS challenge: status ``sms``) and
waits for an answer; the page shows the picture or asks for the code, and ``answer_login``
writes the person's answer into the row, where the worker takes it and wipes it.  A wrong
captcha makes the portal show a new one, and the page asks again.  On success the session is
saved encrypted as ``arsync portals login`` does (:class:`~arsync.connectors.portals.sessions.SessionStore`).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from arsync.common import clock
from arsync.common.clock import now as wall_now
from arsync.common.errors import ArsyncError, DataError
from arsync.service.audit import Audit
from arsync.service.context import Service
from arsync.service.tables import portal_logins as pl
from arsync.service.users import User
from arsync.service.workers import LoginSpec

OPEN = ("starting", "captcha", "sms", "answered", "checking")
POLL_S = 0.3


def start_login(svc: Service, user: User, account: str, address: str | None = None) -> str:
    """Start a person-assisted login of ``portal/account`` in a worker; returns the login id."""
    account = account.strip()
    if not account or "/" not in account.strip("/"):
        raise DataError(f"{account!r}: give the account as portal/account")
    login_id = secrets.token_hex(8)
    now = svc.clock()
    portal, _, acc = account.partition("/")
    with svc.store.engine.begin() as c:
        c.execute(
            pl.insert().values(
                login_id=login_id,
                portal=portal,
                account=acc,
                status="starting",
                requested_by=user.username,
                created_at=now,
                updated_at=now,
            )
        )
    log = svc.out / "logins" / f"{login_id}.log"
    svc.workers.start_login(LoginSpec(login_id, account, svc.config_path, svc.overrides), log)
    svc.audit.record(user.username, "portal.login.start", account, {"login_id": login_id}, address)
    return login_id


def login_state(svc: Service, login_id: str) -> dict[str, Any] | None:
    with svc.store.engine.connect() as c:
        r = c.execute(sa.select(pl).where(pl.c.login_id == login_id)).mappings().first()
    if r is None:
        return None
    return {
        "login_id": r["login_id"],
        "account": f"{r['portal']}/{r['account']}",
        "status": r["status"],
        "has_image": r["image"] is not None and r["status"] == "captcha",
        "ref": r["ref"],
        "url": r["url"],
        "message": r["message"],
        "requested_by": r["requested_by"],
        "updated_at": r["updated_at"].isoformat(timespec="seconds"),
        "done": r["status"] not in OPEN,
    }


def recent_logins(svc: Service, limit: int = 20) -> list[dict[str, Any]]:
    with svc.store.engine.connect() as c:
        ids = (
            c.execute(sa.select(pl.c.login_id).order_by(pl.c.created_at.desc()).limit(limit))
            .scalars()
            .all()
        )
    return [s for i in ids if (s := login_state(svc, i)) is not None]


def login_image(svc: Service, login_id: str) -> bytes | None:
    with svc.store.engine.connect() as c:
        return c.execute(
            sa.select(pl.c.image).where(pl.c.login_id == login_id).where(pl.c.status == "captcha")
        ).scalar_one_or_none()


def answer_login(
    svc: Service, user: User, login_id: str, answer: str, address: str | None = None
) -> None:
    """Pass a person's captcha or SMS answer to the waiting browser session.  The answer is
    kept only until the worker takes it, and never in the audit log."""
    answer = answer.strip()
    if not answer:
        raise DataError("type the characters (or the code) first")
    with svc.store.engine.begin() as c:
        n = c.execute(
            pl.update()
            .where(pl.c.login_id == login_id)
            .where(pl.c.status.in_(("captcha", "sms")))
            .values(answer=answer, status="answered", image=None, updated_at=svc.clock())
        ).rowcount
    if not n:
        raise DataError("this login is not waiting for an answer")
    svc.audit.record(user.username, "portal.login.answer", login_id, {}, address)


# --- the worker side ------------------------------------------------------------------------


class LoginChannel:
    """The worker's end of one login's row."""

    def __init__(
        self, engine: sa.Engine, login_id: str, clock: Callable[[], datetime] = wall_now
    ) -> None:
        self.engine, self.login_id, self.clock = engine, login_id, clock

    def set(self, **values: Any) -> None:
        with self.engine.begin() as c:
            c.execute(
                pl.update()
                .where(pl.c.login_id == self.login_id)
                .values(updated_at=self.clock(), **values)
            )

    async def ask(self, status: str, wait_s: float, **values: Any) -> str:
        self.set(status=status, answer=None, **values)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            answer = self._take()
            if answer is not None:
                return answer
            await asyncio.sleep(POLL_S)  # a person is typing: look at the row again shortly
        raise ArsyncError(f"nobody answered within {wait_s:.0f} s")

    def _take(self) -> str | None:
        with self.engine.begin() as c:
            a = c.execute(
                sa.select(pl.c.answer)
                .where(pl.c.login_id == self.login_id)
                .where(pl.c.status == "answered")
            ).scalar_one_or_none()
            if a is None:
                return None
            c.execute(
                pl.update()
                .where(pl.c.login_id == self.login_id)
                .values(answer=None, status="checking")
            )
        return a


class WebSolver:
    """A solver whose person answers on the web page (see the module docstring)."""

    interactive = True
    needs_image = True

    def __init__(self, channel: LoginChannel, wait_s: float) -> None:
        self.channel, self.wait_s = channel, wait_s

    async def image_captcha(self, ch) -> str:
        return await self.channel.ask("captcha", self.wait_s, image=ch.image, ref=ch.ref or None)

    async def sms_code(self, ch) -> str:
        return await self.channel.ask("sms", self.wait_s, image=None, ref=None)


def run_login(spec: dict[str, Any]) -> int:
    """The worker: log in to ``spec['account']`` with the web solver; 0 ok, 1 failed."""
    from arsync.config import load_settings
    from arsync.connectors.portals.login import find_account, login_async
    from arsync.jobs.pipeline.runstore import RunStore
    from arsync.jobs.pipeline.sources import open_sources

    settings = load_settings(spec["config_path"], overrides=spec["overrides"])
    engine = RunStore.for_settings(settings).engine
    channel, audit = LoginChannel(engine, spec["login_id"]), Audit(engine)
    channel.set(pid=os.getpid())
    try:
        with open_sources(settings, clock.today(), sap=False) as sources:
            assert sources.portals is not None
            pid = spec["account"].partition("/")[0]
            portal, acc = find_account(sources.portals.chosen([pid]), spec["account"])
            if not acc.password:
                raise DataError(
                    f"{spec['account']}: no password reference declared for this account"
                )
            channel.set(url=portal.url(""))
            asyncio.run(
                login_async(
                    settings,
                    portal,
                    acc,
                    visible=False,
                    solver=WebSolver(channel, spec["wait_s"]),
                    wait_s=spec["wait_s"],
                )
            )
    except Exception as exc:  # the page shows why; the log has the trace
        why = f"{type(exc).__name__}: {exc}"
        channel.set(status="failed", image=None, answer=None, message=why)
        audit.record(
            None, "portal.login.failed", spec["account"], {"login_id": spec["login_id"], "why": why}
        )
        print(f"login {spec['account']} failed: {why}", flush=True)
        return 1
    channel.set(status="ok", image=None, answer=None, message="session saved (encrypted)")
    audit.record(None, "portal.login.ok", spec["account"], {"login_id": spec["login_id"]})
    print(f"login {spec['account']}: ok", flush=True)
    return 0
