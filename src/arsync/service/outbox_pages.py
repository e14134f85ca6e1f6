"""The outbox page: messages waiting, approving and rejecting reminders, sending.

Thin routes over :mod:`arsync.jobs.pipeline.outbox`; who may do what is the guard's
(:data:`arsync.service.auth.RULES`): everyone signed in sees the outbox (a collector only their
own customers' messages), a collector approves their own reminders of a level that asks only
for a collector's approval, a supervisor approves any (a final reminder only a supervisor),
ops and supervisors start a send (in a worker process).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from arsync.common import clock
from arsync.jobs.pipeline import outbox
from arsync.service.audit import Audit
from arsync.service.users import User

router = APIRouter(include_in_schema=False)
SHOWN = ("draft", "approved", "claimed", "sending", "unknown", "failed")


def visible(user: User, row: dict[str, Any]) -> bool:
    return user.role in ("ops", "supervisor") or row["collector"] == user.collector


def may_approve(user: User, row: dict[str, Any]) -> bool:
    if row["status"] != "draft":
        return False
    if user.role == "supervisor":
        return True
    if row["approval"] == "supervisor":
        return False
    return user.role == "ops" or (user.role == "collector" and row["collector"] == user.collector)


def message_of(request: Request) -> dict[str, Any] | None:
    try:
        return outbox.get(request.app.state.service.store, request.path_params.get("key", ""))
    except outbox.OutboxError:
        return None


@router.get("/outbox", name="outbox_page")
def outbox_page(request: Request, show: str = "open") -> HTMLResponse:
    from arsync.service.pages import render

    svc, user = request.app.state.service, request.state.caller.user
    status = None if show == "all" else list(SHOWN)
    rows = [r for r in outbox.rows(svc.store, status=status) if visible(user, r)]
    rows.sort(key=lambda r: (r["status"] != "draft", -r["seq"]))
    return render(
        request,
        "outbox.html",
        rows=rows[:500],
        show=show,
        may_approve=lambda r: may_approve(user, r),
        can_send=user.role in ("ops", "supervisor"),
        sending=_sending(svc),
    )


@router.get("/outbox/{key}", name="outbox_message")
def outbox_message(request: Request, key: str) -> HTMLResponse:
    from arsync.service.pages import render

    row = message_of(request)
    if row is None:
        raise HTTPException(404, "no such message")
    body = Path(row["folder"]) / "body.txt"
    return render(
        request,
        "outbox_message.html",
        m=row,
        body=body.read_text(encoding="utf-8") if body.is_file() else "",
        attempts=outbox.attempts(request.app.state.service.store, row["message_key"]),
        may_approve=may_approve(request.state.caller.user, row),
    )


@router.post("/outbox/{key}/approve", name="outbox_approve")
def outbox_approve(request: Request, key: str) -> Response:
    svc, user = request.app.state.service, request.state.caller.user
    row = outbox.approve(svc.store, key, by=user.username, supervisor=user.role == "supervisor")
    _audit(svc, user, "outbox.approve", row, request)
    return RedirectResponse("/outbox", 303)


@router.post("/outbox/{key}/reject", name="outbox_reject")
def outbox_reject(request: Request, key: str, note: Annotated[str, Form()] = "") -> Response:
    svc, user = request.app.state.service, request.state.caller.user
    row = outbox.reject(svc.store, key, by=user.username, note=note)
    _audit(svc, user, "outbox.reject", row, request)
    return RedirectResponse("/outbox", 303)


@router.post("/outbox/send", name="outbox_send")
def outbox_send(request: Request) -> Response:
    svc, user = request.app.state.service, request.state.caller.user
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    log = svc.out / "outbox" / "send" / f"{stamp}.log"
    spec = {"config_path": svc.config_path, "overrides": svc.overrides}
    svc.workers.start_send(f"send-{stamp}", spec, log)
    svc.audit.record(user.username, "outbox.send", str(log.name), address=_address(request))
    return RedirectResponse("/outbox", 303)


def _sending(svc: Any) -> str:
    folder = svc.out / "outbox" / "send"
    logs = sorted(folder.glob("*.log")) if folder.is_dir() else []
    if not logs:
        return ""
    return logs[-1].read_text(encoding="utf-8", errors="replace")[-2000:]


def _audit(svc: Any, user: User, action: str, row: dict[str, Any], request: Request) -> None:
    audit: Audit = svc.audit
    audit.record(
        user.username,
        action,
        row["message_key"][:12],
        detail={"level": row["level"], "customer": row["customer"]},
        address=_address(request),
    )


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None
