"""What every simulated portal shares: accounts, sessions, captchas, SMS codes and fault knobs.

Each family module (``gov``, ``hosp``, ``uni``) subclasses :class:`PortalSim` and only
renders its own pages.  Faults are seeded so a failing test fails the same way twice.
"""

from __future__ import annotations

import asyncio
import html
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from aiohttp import web


@dataclass(frozen=True)
class Faults:
    """Fault knobs of one portal (or of all, when given once)."""

    latency_ms: int = 0  # added to every page / data request
    error_rate: float = 0.0  # share of data requests answered with HTTP 500 (seeded)
    seed: int = 0
    expire_after: int = 0  # the first session of each account ends after N data requests
    captcha_fail_once: bool = False  # the first correct captcha/SMS of each account is refused
    rate_limit_every: int = 0  # every Nth data request of a session answers 429
    redesigned: bool = False  # headers moved/renamed (layout drift)
    stall_every: int = 0  # every Nth data request of a session is never answered


#: A data request the simulator never answers (the ``stall_every`` knob).
STALLED = web.Response(status=504, text="never sent")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Session:
    token: str
    username: str
    account: str
    data_requests: int = 0
    limit: int = 0  # 0: never expires by count


@dataclass
class PortalSim:
    """One portal instance: its accounts, records and live state."""

    pid: str
    family: str
    name: str
    accounts: dict[str, dict]  # username → portal_accounts row
    records: dict[str, list[dict]]  # account → portal_records rows
    faults: Faults = field(default_factory=Faults)
    sessions: dict[str, Session] = field(default_factory=dict)
    captchas: dict[str, str] = field(default_factory=dict)
    sms: dict[str, str] = field(default_factory=dict)
    logins: dict[str, int] = field(default_factory=dict)  # username → successful logins
    refused_once: set = field(default_factory=set)
    held: list = field(default_factory=list)  # requests the stall knob holds (released on close)
    stats: dict[str, int] = field(
        default_factory=lambda: {"data": 0, "errors": 0, "limited": 0, "stalled": 0}
    )

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.faults.seed}:{self.pid}")
        self.cookie = f"SESSION_{self.pid.replace('-', '_')}"

    # ---------------------------------------------------------------- routing
    def routes(self) -> dict[str, Handler]:
        """tail path → handler; families extend this."""
        return {
            "_test/captcha": self.test_captcha,
            "_test/sms": self.test_sms,
            "_test/expire": self.test_expire,
            "captcha.svg": self.captcha_svg,
        }

    async def dispatch(self, request: web.Request, tail: str) -> web.StreamResponse:
        if self.faults.latency_ms and not tail.startswith("_test/"):
            await asyncio.sleep(self.faults.latency_ms / 1000)
        handler = self.routes().get(tail)
        if handler is None:
            raise web.HTTPNotFound(text="404 页面不存在")
        resp = await handler(request)
        if resp is STALLED:  # the stall knob: hold the request until shutdown
            held = asyncio.get_running_loop().create_future()
            self.held.append(held)
            await held
        if isinstance(resp, web.HTTPException):  # redirects are built, then raised (aiohttp's way)
            raise resp
        return resp

    # ---------------------------------------------------------------- sessions
    def session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(self.cookie, ""))

    def start_session(self, username: str) -> tuple[Session, web.Response]:
        n = self.logins.get(username, 0)
        self.logins[username] = n + 1
        limit = self.faults.expire_after if (self.faults.expire_after and n == 0) else 0
        acc = self.accounts[username]["account"]
        s = Session(secrets.token_hex(16), username, acc, limit=limit)
        self.sessions[s.token] = s
        resp = web.HTTPFound(self.home)
        resp.set_cookie(self.cookie, s.token, path=f"/p/{self.pid}/", httponly=True)
        return s, resp

    @property
    def home(self) -> str:
        return f"/p/{self.pid}/main"

    def login_redirect(self) -> web.HTTPFound:
        return web.HTTPFound(f"/p/{self.pid}/login?expired=1")

    def check_password(self, username: str, password: str) -> bool:
        acc = self.accounts.get(username)
        return acc is not None and secrets.compare_digest(str(acc["password"]), password)

    def refuse_first(self, username: str) -> bool:
        """The captcha-fails-once knob: refuse the first correct answer of each account."""
        if self.faults.captcha_fail_once and username not in self.refused_once:
            self.refused_once.add(username)
            return True
        return False

    def data_gate(
        self, request: web.Request, *, as_json: bool
    ) -> tuple[Session | None, web.Response | None]:
        """Session check plus the fault knobs every data request goes through."""
        s = self.session(request)
        if s is None:
            return None, (
                _json_error(401, "NOT_LOGIN", "会话已过期，请重新登录")
                if as_json
                else self.login_redirect()
            )
        s.data_requests += 1
        self.stats["data"] += 1
        if s.limit and s.data_requests > s.limit:
            del self.sessions[s.token]
            return None, (
                _json_error(401, "NOT_LOGIN", "会话已过期，请重新登录")
                if as_json
                else self.login_redirect()
            )
        if self.faults.stall_every and s.data_requests % self.faults.stall_every == 0:
            self.stats["stalled"] += 1
            return s, STALLED
        if self.faults.rate_limit_every and s.data_requests % self.faults.rate_limit_every == 0:
            self.stats["limited"] += 1
            return s, web.Response(
                status=429, text="访问过于频繁，请稍后再试", headers={"Retry-After": "1"}
            )
        if self.faults.error_rate and self.rng.random() < self.faults.error_rate:
            self.stats["errors"] += 1
            return s, web.Response(status=500, text="500 Internal Server Error：系统繁忙")
        return s, None

    # ---------------------------------------------------------------- captcha / SMS
    def new_captcha(self) -> str:
        cid = secrets.token_hex(8)
        self.captchas[cid] = "".join(
            self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXY3456789") for _ in range(4)
        )
        return cid

    def take_captcha(self, cid: str, answer: str) -> bool:
        want = self.captchas.pop(cid, None)
        return want is not None and want.upper() == answer.strip().upper()

    async def captcha_svg(self, request: web.Request) -> web.Response:
        code = self.captchas.get(request.query.get("id", ""), "????")
        chars = "".join(
            f'<text x="{8 + i * 22}" y="{26 + (i % 2) * 4}" transform="rotate({(-1) ** i * 8} {14 + i * 22} 20)">'
            f"{html.escape(c)}</text>"
            for i, c in enumerate(code)
        )
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="36">'
            f'<rect width="100" height="36" fill="#eef"/><line x1="0" y1="10" x2="100" y2="30" '
            f'stroke="#99a"/><g font-family="monospace" font-size="22" fill="#335">{chars}</g></svg>'
        )
        return web.Response(text=svg, content_type="image/svg+xml")

    async def test_captcha(self, request: web.Request) -> web.Response:
        """Test-only: the answer of a captcha, for the sandbox solver."""
        return web.Response(text=self.captchas.get(request.query.get("id", ""), ""))

    async def test_sms(self, request: web.Request) -> web.Response:
        """Test-only: the last SMS code sent to a user, for the sandbox solver."""
        return web.Response(text=self.sms.get(request.query.get("username", ""), ""))

    async def test_expire(self, request: web.Request) -> web.Response:
        """Test-only: end every session (what an overnight idle timeout does)."""
        n = len(self.sessions)
        self.sessions.clear()
        return web.Response(text=str(n))


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"success": False, "code": code, "message": message}, status=status)


def page(title: str, body: str, *, script: str = "", style: str = "") -> str:
    """A plain portal page (lang zh-CN)."""
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>body{{font-family:sans-serif;font-size:13px}} table{{border-collapse:collapse}}"
        f" td,th{{border:1px solid #ccc;padding:2px 6px}} .err{{color:#c00}} {style}</style></head>"
        f"<body>{body}<script>{script}</script></body></html>"
    )


def esc(v: object) -> str:
    return html.escape("" if v is None else str(v))


def yuan(minor: int, sep: bool = True) -> str:
    """Minor units (fen) → '1,234.56' text (never through float)."""
    sign = "-" if minor < 0 else ""
    q, r = divmod(abs(int(minor)), 100)
    return f"{sign}{q:,}.{r:02d}" if sep else f"{sign}{q}.{r:02d}"


def day(v: Any) -> pd.Timestamp | None:
    """A record's date (text, date, Timestamp, NaN/NaT or None) → a Timestamp or None."""
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    ts = pd.Timestamp(v)
    return None if pd.isna(ts) else ts
