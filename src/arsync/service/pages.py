"""The server-rendered pages (Jinja2, autoescaped; Chinese or English per person)."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from arsync.common.errors import DataError
from arsync.common.secrets import Secret
from arsync.service import actions, i18n
from arsync.service import portal_login as pl
from arsync.service.audit import LOGIN_FAILED
from arsync.service.auth import PRE_CSRF_COOKIE, SESSION_COOKIE, Caller, check_csrf, cookie_secure

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # .html: autoescaped
router = APIRouter(include_in_schema=False)
LANG_COOKIE = "arsync_lang"


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in i18n.LANGUAGES:
        return asked
    return request.app.state.service.settings.service.language


def render(request: Request, name: str, http_status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    caller: Caller | None = getattr(request.state, "caller", None)
    svc = request.app.state.service
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "other_lang": "en" if lang == "zh" else "zh",
            "t": lambda key: i18n.t(key, lang),
            "finding": lambda code: i18n.finding(code, lang),
            "kind_label": lambda k: i18n.kind(k, lang),
            "words": i18n.WORDS,
            "user": caller.user if caller else None,
            "csrf": caller.csrf if caller else "",
            "now": actions.now_text(svc),
            **ctx,
        },
        status_code=http_status,
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status, status=status, message=message)


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# --- signing in and out ---------------------------------------------------------------------


@router.get("/login", name="login_page")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", next=_safe_next(next), pre_csrf=token, error=None)
    response.set_cookie(
        PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request)
    )
    return response


@router.post("/login", name="login")
async def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    svc = request.app.state.service
    await check_csrf(request, request.cookies.get(PRE_CSRF_COOKIE, ""))
    s, addr = svc.settings.service, _address(request)
    by_user, by_address = svc.audit.failed_logins(username, addr, s.login_window_minutes)
    # one address may be a whole office behind NAT: it gets more tries than one user name
    if by_user >= s.login_attempts or by_address >= 4 * s.login_attempts:
        svc.audit.record(None, LOGIN_FAILED, username, {"why": "rate limited"}, addr)
        return _login_again(request, next, "too_many", 429)
    user = svc.users.authenticate(username, Secret(password))
    if user is None:
        svc.audit.record(None, LOGIN_FAILED, username, {}, addr)
        return _login_again(request, next, "bad_login", 401)
    cookie, _ = svc.credentials.open_session(user.username, s.session_hours)
    svc.audit.record(user.username, "login", user.username, {"via": "page"}, addr)
    response = RedirectResponse(_safe_next(next), 303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=s.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )
    response.delete_cookie(PRE_CSRF_COOKIE)
    return response


def _login_again(request: Request, next: str, error: str, status: int) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", status, next=_safe_next(next), pre_csrf=token, error=error
    )
    response.set_cookie(
        PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request)
    )
    return response


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    svc = request.app.state.service
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        svc.credentials.close_session(cookie)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- pages ----------------------------------------------------------------------------------


@router.get("/", name="dashboard")
def dashboard(request: Request) -> Response:
    user = request.state.caller.user
    if not user.can_run:
        return RedirectResponse("/downloads", 303)
    return render(request, "dashboard.html", d=actions.dashboard(request.app.state.service))


@router.get("/runs", name="runs_page")
def runs_page(request: Request, limit: int = 50) -> HTMLResponse:
    svc = request.app.state.service
    runs = [actions.run_dict(r) for r in svc.store.recent(min(max(limit, 1), 500))]
    return render(request, "runs.html", runs=runs)


@router.get("/runs/{run_id}", name="run_page")
def run_page(request: Request, run_id: str) -> HTMLResponse:
    state = actions.run_state(request.app.state.service, run_id)
    if state is None:
        raise HTTPException(404, f"no run {run_id}")
    return render(request, "run.html", run=state)


@router.get("/reconcile", name="reconcile_page")
def reconcile_page(request: Request) -> HTMLResponse:
    svc = request.app.state.service
    return render(request, "reconcile.html", holder=svc.store.holder())


@router.post("/reconcile", name="reconcile_start")
def reconcile_start(
    request: Request,
    customers: Annotated[str, Form()] = "",
    collectors: Annotated[str, Form()] = "",
    company_codes: Annotated[str, Form()] = "",
    as_of: Annotated[str, Form()] = "",
) -> Response:
    run_id = actions.start_run(
        request.app.state.service,
        request.state.caller.user,
        kind="reconcile",
        customers=actions.split(customers),
        collectors=actions.split(collectors),
        company_codes=actions.split(company_codes),
        as_of=actions.parse_date(as_of),
        address=_address(request),
    )
    return RedirectResponse(f"/runs/{run_id}", 303)


@router.post("/reconcile/files", name="files_start")
async def files_start(
    request: Request,
    files: Annotated[list[UploadFile], File()],
    worksheets: Annotated[bool, Form()] = False,
    as_of: Annotated[str, Form()] = "",
) -> Response:
    uploads = [actions.Upload(f.filename or "", await f.read()) for f in files if f.filename]
    run_id = actions.start_run(
        request.app.state.service,
        request.state.caller.user,
        kind="files",
        files=uploads,
        worksheets=worksheets,
        as_of=actions.parse_date(as_of),
        address=_address(request),
    )
    return RedirectResponse(f"/runs/{run_id}", 303)


@router.get("/downloads", name="downloads_page")
def downloads_page(request: Request) -> HTMLResponse:
    items = actions.downloads_for(request.app.state.service, request.state.caller.user)
    groups: dict[str, list] = {}
    for d in items:
        groups.setdefault(d.kind, []).append(d)
    return render(request, "downloads.html", groups=groups)


@router.get("/downloads/{path:path}", name="download")
def download(request: Request, path: str) -> FileResponse:
    svc = request.app.state.service
    file = actions.open_download(svc, request.state.caller.user, path, _address(request))
    if file is None:
        raise HTTPException(404, "no such file")
    return FileResponse(file, filename=file.name)


@router.get("/logins", name="logins_page")
def logins_page(request: Request) -> HTMLResponse:
    svc = request.app.state.service
    d = actions.dashboard(svc)
    return render(request, "logins.html", attention=d["portals"], logins=pl.recent_logins(svc))


@router.post("/logins", name="login_start")
def login_start(request: Request, account: Annotated[str, Form()]) -> Response:
    svc = request.app.state.service
    login_id = pl.start_login(svc, request.state.caller.user, account, _address(request))
    return RedirectResponse(f"/logins/{login_id}", 303)


@router.get("/logins/{login_id}", name="login_status_page")
def login_status_page(request: Request, login_id: str) -> HTMLResponse:
    state = pl.login_state(request.app.state.service, login_id)
    if state is None:
        raise HTTPException(404, "no such login")
    return render(request, "portal_login.html", login=state)


@router.get("/logins/{login_id}/image", name="login_image")
def login_image(request: Request, login_id: str) -> Response:
    image = pl.login_image(request.app.state.service, login_id)
    if image is None:
        raise HTTPException(404, "no captcha is waiting")
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/logins/{login_id}/answer", name="login_answer")
def login_answer(request: Request, login_id: str, answer: Annotated[str, Form()]) -> Response:
    svc = request.app.state.service
    # a login no longer waiting: the page shows its state, which says what happened
    with contextlib.suppress(DataError):
        pl.answer_login(svc, request.state.caller.user, login_id, answer, _address(request))
    return RedirectResponse(f"/logins/{login_id}", 303)


@router.get("/audit", name="audit_page")
def audit_page(request: Request, limit: int = 200) -> HTMLResponse:
    svc = request.app.state.service
    return render(request, "audit.html", entries=svc.audit.recent(min(max(limit, 1), 2000)))
