"""The ASGI application: FastAPI with server-rendered pages (Jinja2, autoescaped) under ``/``
and the JSON API under ``/api/`` (its OpenAPI document at ``/api/openapi.json``).

Every route runs :func:`arsync.service.auth.guard` (the app's one dependency: deny by default).
The scheduler starts and stops with the app; runs and portal logins go to worker processes.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from arsync.common.errors import ArsyncError
from arsync.service import actions
from arsync.service.auth import guard
from arsync.service.context import Service

HERE = Path(__file__).parent


def create_app(svc: Service, *, schedule: bool = True) -> FastAPI:
    """The app over ``svc``; ``schedule`` starts the nightly scheduler with the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if svc.settings.service.nightly:
            svc.scheduler = make_scheduler(svc)
            if schedule:
                svc.scheduler.start()
        try:
            yield
        finally:
            if svc.scheduler is not None:
                svc.scheduler.shutdown()

    app = FastAPI(
        title="arsync",
        summary="AR reconciliation runs, downloads and portal logins",
        version="1",
        dependencies=[Depends(guard)],
        openapi_url=None,  # served below, behind sign-in
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = svc
    from arsync.service import api, outbox_pages, pages

    app.include_router(outbox_pages.router)  # before pages: /outbox/send is not a message key
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/api/openapi.json", name="api_openapi", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/healthz", name="health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", 303)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(ArsyncError)
    async def arsync_error(request: Request, exc: ArsyncError):
        code = 409 if isinstance(exc, actions.Busy) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, code)
        return pages.error_page(request, code, str(exc))

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response

    return app


def make_scheduler(svc: Service):
    from arsync.service.schedule import Nightly

    s = svc.settings.service

    def launch() -> str:
        return actions.start_run(
            svc, None, kind="nightly", wait_lock_s=s.grace_minutes * 60.0, address="scheduler"
        )

    zone = svc.settings.runs.timezone

    def started_since(t: datetime) -> bool:
        from arsync.common import clock

        wall = clock.wall(t, zone)  # the run store keeps naive wall times in runs.timezone
        return any(r.started_at >= wall for r in svc.store.recent(50, kind="nightly"))

    return Nightly(s.nightly, zone, s.grace_minutes, launch, started_since)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
