"""The JSON API under ``/api/``: the same actions as the pages, for other schedulers and
systems (``Authorization: Bearer ars_...``; a browser session works too, with its CSRF token
in ``X-CSRF-Token`` for changes).  The OpenAPI document is ``/api/openapi.json``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from arsync.service import actions
from arsync.service import portal_login as pl

router = APIRouter(prefix="/api")


class RunRequest(BaseModel):
    """A run to start: ``reconcile`` narrowed to customers, collectors or company codes (at
    least one), or the whole ``nightly``."""

    kind: Literal["reconcile", "nightly"] = "reconcile"
    customers: list[str] = Field(default_factory=list, examples=[["4711"]])
    collectors: list[str] = Field(default_factory=list)
    company_codes: list[str] = Field(default_factory=list)
    as_of: date | None = None


class Started(BaseModel):
    run_id: str
    url: str


class LoginRequest(BaseModel):
    account: str = Field(examples=["gov-gd/acc1"], description="portal/account")


class Answer(BaseModel):
    answer: str


def _addr(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/me", name="api_me")
def me(request: Request) -> dict[str, Any]:
    """Who is asking: user name, role, collector."""
    u = request.state.caller.user
    return {"username": u.username, "role": u.role, "collector": u.collector}


@router.get("/status", name="api_status")
def status(request: Request) -> dict[str, Any]:
    """The dashboard's figures: last runs, items by finding and amount (minor units) of the last
    finished run, portal accounts not read, who holds the run lock, the next nightly."""
    d = actions.dashboard(request.app.state.service)
    holder = d["holder"]
    return {
        **d,
        "holder": {**holder, "acquired_at": actions.iso(holder["acquired_at"])} if holder else None,
        "next_nightly": d["next_nightly"].isoformat() if d["next_nightly"] else None,
    }


@router.get("/runs", name="api_runs")
def runs(request: Request, limit: int = 20) -> list[dict[str, Any]]:
    """Recent runs, newest first, with their stages, counts, timings and errors."""
    svc = request.app.state.service
    return [actions.run_dict(r) for r in svc.store.recent(min(max(limit, 1), 500))]


@router.get("/runs/{run_id}", name="api_run")
def run(request: Request, run_id: str) -> dict[str, Any]:
    """One run: its stages, the worker's last lines, whether it is done and its downloads."""
    state = actions.run_state(request.app.state.service, run_id)
    if state is None:
        raise HTTPException(404, f"no run {run_id}")
    return state


@router.post("/runs", name="api_start_run", status_code=202)
def start_run(request: Request, body: RunRequest) -> Started:
    """Start a run in a worker process; 409 while another run holds the lock."""
    run_id = actions.start_run(
        request.app.state.service,
        request.state.caller.user,
        kind=body.kind,
        customers=tuple(body.customers),
        collectors=tuple(body.collectors),
        company_codes=tuple(body.company_codes),
        as_of=body.as_of,
        address=_addr(request),
    )
    return Started(run_id=run_id, url=f"/api/runs/{run_id}")


@router.post("/runs/files", name="api_start_files", status_code=202)
async def start_files(
    request: Request,
    files: Annotated[
        list[UploadFile],
        File(
            description="open_items, customers, portal_records, cleared_items (CSV/XLSX) or an FBL5N export"
        ),
    ],
    worksheets: Annotated[bool, Form()] = False,
    as_of: Annotated[date | None, Form()] = None,
) -> Started:
    """Start a file run over uploaded export files."""
    uploads = [actions.Upload(f.filename or "", await f.read()) for f in files if f.filename]
    run_id = actions.start_run(
        request.app.state.service,
        request.state.caller.user,
        kind="files",
        files=uploads,
        worksheets=worksheets,
        as_of=as_of,
        address=_addr(request),
    )
    return Started(run_id=run_id, url=f"/api/runs/{run_id}")


@router.get("/downloads", name="api_downloads")
def downloads(request: Request) -> list[dict[str, Any]]:
    """The files the caller may download, by kind (worksheet, statement, aging, supervisor, ...)."""
    items = actions.downloads_for(request.app.state.service, request.state.caller.user)
    return [
        {
            "path": d.path,
            "kind": d.kind,
            "name": d.name,
            "size": d.size,
            "modified": actions.iso(d.modified),
            "run_id": d.run_id,
            "collector": d.collector,
            "customer": d.customer,
            "url": f"/api/downloads/{d.path}",
        }
        for d in items
    ]


@router.get("/downloads/{path:path}", name="api_download")
def download(request: Request, path: str) -> FileResponse:
    """One file (403 when it is another collector's)."""
    svc = request.app.state.service
    file = actions.open_download(svc, request.state.caller.user, path, _addr(request))
    if file is None:
        raise HTTPException(404, "no such file")
    return FileResponse(file, filename=file.name)


@router.get("/logins", name="api_logins")
def logins(request: Request) -> list[dict[str, Any]]:
    """Recent person-assisted portal logins and their state."""
    return pl.recent_logins(request.app.state.service)


@router.post("/logins", name="api_login_start", status_code=202)
def login_start(request: Request, body: LoginRequest) -> dict[str, str]:
    """Start a person-assisted login of ``portal/account`` in a worker."""
    svc = request.app.state.service
    login_id = pl.start_login(svc, request.state.caller.user, body.account, _addr(request))
    return {"login_id": login_id, "url": f"/api/logins/{login_id}"}


@router.get("/logins/{login_id}", name="api_login")
def login(request: Request, login_id: str) -> dict[str, Any]:
    """A login's state: starting, captcha (see .../image), sms, answered, checking, ok, failed."""
    state = pl.login_state(request.app.state.service, login_id)
    if state is None:
        raise HTTPException(404, "no such login")
    return state


@router.get("/logins/{login_id}/image", name="api_login_image")
def login_image(request: Request, login_id: str) -> Response:
    """The captcha picture the portal shows (PNG), while the login waits for it."""
    image = pl.login_image(request.app.state.service, login_id)
    if image is None:
        raise HTTPException(404, "no captcha is waiting")
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/logins/{login_id}/answer", name="api_login_answer", status_code=202)
def login_answer(request: Request, login_id: str, body: Answer) -> dict[str, str]:
    """Pass the captcha characters or the SMS code to the waiting browser session."""
    pl.answer_login(
        request.app.state.service, request.state.caller.user, login_id, body.answer, _addr(request)
    )
    return {"status": "answered"}


@router.get("/audit", name="api_audit")
def audit(request: Request, limit: int = 100) -> list[dict[str, Any]]:
    """The audit log, newest first."""
    svc = request.app.state.service
    return [
        {
            "at": actions.iso(e.at),
            "username": e.username,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
            "address": e.address,
        }
        for e in svc.audit.recent(min(max(limit, 1), 2000))
    ]
