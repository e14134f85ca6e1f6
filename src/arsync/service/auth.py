"""Who may do what: one dependency on every route, deny by default.

:func:`guard` runs before every route (it is the application's only dependency).  It finds
the route's rule in :data:`RULES` by the route's name — a route without a rule is refused to
everyone — then who is asking: an API token (``Authorization: Bearer ars_...``) or a browser
session (cookie).  Nobody → 401 (a page redirects to the sign-in page); the wrong role → 403.
A request that changes something and comes with a session cookie must carry the session's
CSRF token (form field ``csrf`` or header ``X-CSRF-Token``); token requests need none (no
browser sends them on its own).  Rules that depend on the thing asked for (a collector's own
workbook) are functions of the user and the request.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from arsync.service.users import User

SESSION_COOKIE = "arsync_session"
PRE_CSRF_COOKIE = "arsync_csrf"  # double-submit token of the sign-in form (no session yet)
SAFE = ("GET", "HEAD", "OPTIONS")

ANY = ("ops", "supervisor", "collector")
RUNNERS = ("ops", "supervisor")
OPS = ("ops",)
PUBLIC = "public"

Rule = str | tuple[str, ...] | Callable[[User, Request], bool]


def _may_see_message(user: User, request: Request) -> bool:
    from arsync.service.outbox_pages import message_of, visible

    row = message_of(request)
    return row is not None and visible(user, row)


def _may_approve_message(user: User, request: Request) -> bool:
    from arsync.service.outbox_pages import may_approve, message_of

    row = message_of(request)
    return row is not None and may_approve(user, row)


def _may_download(user: User, request: Request) -> bool:
    from arsync.service.actions import may_download

    return may_download(request.app.state.service, user, request.path_params.get("path", ""))


#: Route name → who may call it.  Every route of the app is listed (a test checks it).
RULES: dict[str, Rule] = {
    # pages
    "login_page": PUBLIC,
    "login": PUBLIC,
    "static": PUBLIC,
    "health": PUBLIC,
    "logout": ANY,
    "dashboard": ANY,
    "runs_page": RUNNERS,
    "run_page": RUNNERS,
    "reconcile_page": RUNNERS,
    "reconcile_start": RUNNERS,
    "files_start": RUNNERS,
    "downloads_page": ANY,
    "download": _may_download,
    "logins_page": OPS,
    "login_start": OPS,
    "login_status_page": OPS,
    "login_image": OPS,
    "login_answer": OPS,
    "audit_page": OPS,
    "outbox_page": ANY,
    "outbox_message": _may_see_message,
    "outbox_approve": _may_approve_message,
    "outbox_reject": _may_approve_message,
    "outbox_send": RUNNERS,
    # API
    "api_openapi": ANY,
    "api_me": ANY,
    "api_status": RUNNERS,
    "api_runs": RUNNERS,
    "api_run": RUNNERS,
    "api_start_run": RUNNERS,
    "api_start_files": RUNNERS,
    "api_downloads": ANY,
    "api_download": _may_download,
    "api_logins": OPS,
    "api_login_start": OPS,
    "api_login": OPS,
    "api_login_image": OPS,
    "api_login_answer": OPS,
    "api_audit": OPS,
}


@dataclass(frozen=True)
class Caller:
    user: User | None
    via: str  # session | token | none
    csrf: str = ""


class NotSignedIn(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})


async def guard(request: Request) -> Caller:
    """The app-wide authorization dependency (see the module docstring)."""
    route = request.scope.get("route")
    rule = RULES.get(getattr(route, "name", ""))
    if rule is None:
        raise HTTPException(403, "no rule lets anyone call this")
    svc = request.app.state.service
    caller = _identify(request, svc)
    request.state.caller = caller
    if rule == PUBLIC:
        return caller
    if caller.user is None:
        raise NotSignedIn()
    allowed = rule(caller.user, request) if callable(rule) else caller.user.role in rule
    if not allowed:
        raise HTTPException(403, f"a {caller.user.role} may not do this")
    if request.method not in SAFE and caller.via == "session":
        await check_csrf(request, caller.csrf)
    return caller


def _identify(request: Request, svc) -> Caller:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        user = svc.credentials.user_for_token(auth[7:].strip())
        return Caller(user, "token" if user else "none")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = svc.credentials.session(cookie)
        if found:
            return Caller(found[0], "session", found[1])
    return Caller(None, "none")


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = str(form.get("csrf", ""))
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page")


def cookie_secure(request: Request) -> bool:
    """Secure cookies when served over TLS (directly, or behind a proxy that says so and is
    trusted by uvicorn's --forwarded-allow-ips)."""
    return request.url.scheme == "https"
