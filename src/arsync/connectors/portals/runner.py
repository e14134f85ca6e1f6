"""Run portal declarations with Playwright: one browser, one context per account, bounded concurrency.

Per account: reuse the saved session if the portal still accepts it, else log in (when the
account can log in unattended) or report NEEDS_LOGIN; read every row; keep evidence; retry
timeouts, 5xx, 429 and ended sessions with the shared policy.  One account's failure never
stops the others; each ends with one outcome.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from loguru import logger

from arsync.common import clock, interrupt
from arsync.common.errors import (
    ArsyncError,
    AuthorizationError,
    ConfigError,
    DataError,
    LayoutDriftError,
    LogonError,
    TransientError,
)
from arsync.common.schema import Column, Schema
from arsync.common.secrets import Secret, scrub

from . import _retry, records, trust
from .browser import launch
from .deadline import account_deadline, portal_deadline
from .definitions import Account, Portal, accounts_of, family_of
from .evidence import Evidence
from .pages import LoginPage, NeedsLogin
from .search import READERS
from .sessions import NO_KEY, SessionStore
from .solvers import Solver, make_solver

OUTCOMES = ("ok", "failed", "needs_login", "stale")
PORTAL_OUTCOMES = Schema(
    "portal_outcomes",
    (
        Column("portal", "str"),
        Column("account", "str"),
        Column(
            "outcome",
            "str",
            "ok / failed / needs_login / stale (could not be read: last known status applies)",
        ),
        Column("reason", "str"),
        Column("records", "int"),
        Column("attempts", "int"),
        Column("logged_in", "bool", "a fresh login was needed"),
        Column("evidence", "str"),
        Column("seconds", "float"),
    ),
    key=("portal", "account"),
)


@dataclass
class Outcome:
    portal: str
    account: str
    outcome: str
    reason: str = ""
    records: int = 0
    attempts: int = 0
    logged_in: bool = False
    evidence: str = ""
    seconds: float = 0.0
    worker: str = ""  # who fetched it (the celery executor); empty: this process


@dataclass
class PortalFetch:
    records: pd.DataFrame
    outcomes: list[Outcome] = field(default_factory=list)

    def outcomes_frame(self) -> pd.DataFrame:
        df = pd.DataFrame([o.__dict__ for o in self.outcomes], columns=PORTAL_OUTCOMES.names)
        return PORTAL_OUTCOMES.validate(PORTAL_OUTCOMES.coerce(df), "portal runner")


def _hook(family: str):
    try:
        return importlib.import_module(f"arsync.connectors.portals.hooks.{family}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(f"hooks.{family}"):
            return None
        raise


def numbers_for(portal: Portal, invoice_numbers) -> list[str]:
    """The invoice numbers a search portal must look up: all given, or those of its customers."""
    if invoice_numbers is None:
        return []
    if isinstance(invoice_numbers, dict):
        custs = portal.customers if isinstance(portal.customers, list) else []
        keys = custs or list(invoice_numbers)
        nums = [n for c in keys for n in invoice_numbers.get(c, [])]
    else:
        nums = list(invoice_numbers)
    hook = _hook(portal.family)
    return hook.search_terms(nums) if hook and hasattr(hook, "search_terms") else nums


class Runner:
    def __init__(
        self,
        settings,
        browser,
        out_dir: Path,
        *,
        invoice_numbers=None,
        interactive: bool = False,
        solver: Solver | None = None,
        today: date | None = None,
        progress: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.s, self.browser, self.out_dir = settings.portals, browser, Path(out_dir)
        self.group = settings.runs.group
        self.zone = settings.runs.timezone  # fetched_at, the browser's clock, the default day
        self.policy = _retry.policy_from(self.s.retry)
        self.sessions = SessionStore(self.s.session_dir, key_file=self.s.session_key_file)
        self._warned_no_key = False
        self.invoice_numbers, self.interactive, self.solver = invoice_numbers, interactive, solver
        self.today, self.progress = today or clock.today(self.zone), progress
        self.rows: list[dict] = []
        self._terms: dict[str, list[str]] = {}

    async def run(
        self, portals: list[Portal], concurrency: int | None = None, first_page_only: bool = False
    ) -> PortalFetch:
        sem = asyncio.Semaphore(concurrency or self.s.concurrency)
        got: dict[int, list[dict]] = {}
        portal_at: dict[str, float | None] = {}  # each portal's deadline, from its first start

        async def one(i: int, p: Portal, a: Account) -> Outcome:
            async with sem:
                if p.id not in portal_at:
                    portal_at[p.id] = portal_deadline(self.s)
                o = await self.account(
                    p,
                    a,
                    first_page_only=first_page_only,
                    into=got.setdefault(i, []),
                    portal_at=portal_at[p.id],
                )
            if self.progress:
                self.progress(o)
            return o

        pairs = [(p, a) for p in portals for a in accounts_of(p)]
        # longest first (a search account sends one request per number): the slow accounts must
        # not be left for the end, when the other slots have nothing more to do
        order = sorted(range(len(pairs)), key=lambda i: -self._cost(pairs[i][0], first_page_only))
        tasks = {i: asyncio.ensure_future(one(i, *pairs[i])) for i in order}  # semaphore is FIFO
        try:
            outcomes = [await tasks[i] for i in range(len(pairs))]
        except asyncio.CancelledError:  # stopped: every account stops, then the browser closes
            for t in tasks.values():
                t.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            raise
        self.rows = [r for i in range(len(pairs)) for r in got.get(i, [])]  # declaration order
        return PortalFetch(records.frame(self.rows), outcomes)

    def _cost(self, portal: Portal, first_page_only: bool) -> int:
        """Requests one account is expected to need: a login, then pages or one per number."""
        if family_of(portal).list.source != "search" or first_page_only:
            return 8
        return 5 + len(self._numbers(portal))

    def _numbers(self, portal: Portal) -> list[str]:
        if portal.id not in self._terms:
            self._terms[portal.id] = numbers_for(portal, self.invoice_numbers)
        return self._terms[portal.id]

    async def account(
        self,
        portal: Portal,
        acc: Account,
        *,
        first_page_only: bool = False,
        into: list[dict] | None = None,
        portal_at: float | None = None,
    ) -> Outcome:
        """Fetch one account; its typed rows go to ``into`` (default: ``self.rows``).  Every log
        line of the account carries its portal and account.

        Within ``portals.account_deadline_s`` of its start and before ``portal_at`` (its portal's
        deadline, epoch seconds; :mod:`.deadline`), or the account is given up: outcome
        ``stale``, nothing of it kept, the reason naming the limit."""
        with logger.contextualize(portal=portal.id, account=acc.id):
            return await self._account(
                portal, acc, first_page_only=first_page_only, into=into, portal_at=portal_at
            )

    async def _account(
        self,
        portal: Portal,
        acc: Account,
        *,
        first_page_only: bool = False,
        into: list[dict] | None = None,
        portal_at: float | None = None,
    ) -> Outcome:
        t0, where = time.perf_counter(), f"{portal.id}/{acc.id}"
        out = Outcome(portal.id, acc.id, "failed")
        deadline = account_deadline(self.s, portal_at)
        if deadline.passed():
            out.outcome, out.reason = "stale", f"{where}: not started: {deadline.reason}"
            logger.warning("{}: {} — {}", where, out.outcome, out.reason)
            return self._done(out, t0)
        secret: Secret | None = None
        secret_error = ""
        try:
            secret = trust.account_password(portal.id, portal.source, acc.id, acc.password)
        except ConfigError as exc:
            secret_error = str(exc)
        ev = Evidence(self.out_dir, portal.id, acc.id, secret, group=self.group)
        numbers = self._numbers(portal) if family_of(portal).list.source == "search" else []
        if family_of(portal).list.source == "search" and not numbers:
            out.reason = "no invoice numbers to search (pass invoice_numbers from the open items)"
            return self._done(out, t0)
        state = self.sessions.load(portal.id, acc.id)
        context: Any = None

        async def attempt(n: int) -> list:
            out.attempts = n
            page = await context.new_page()
            try:
                await page.goto(portal.url(family_of(portal).list.url))
                login = LoginPage(page, portal)
                if await login.shown():
                    solver = self._solver(acc)
                    interactive = getattr(solver, "interactive", False)
                    if acc.login == "manual" or (interactive and not self.interactive):
                        raise NeedsLogin(
                            f"{where}: the saved session has ended; run `arsync portals login {where}`"
                        )
                    if secret is None:
                        raise ConfigError(
                            secret_error
                            or f"{portal.source}: account {acc.id} has no password reference"
                        )
                    await login.login(acc.id, acc.username, secret, solver)
                    out.logged_in = True
                    # saved at once: a worker that picks this account up after us (we were
                    # killed mid-read) or the next run need not log in again
                    self._keep_session(portal.id, acc.id, await context.storage_state())
                    if not page.url.split("?")[0].endswith("/" + family_of(portal).list.url):
                        await page.goto(portal.url(family_of(portal).list.url))
                reader = READERS[family_of(portal).list.source](
                    page, portal, ev, self.policy, where, timeout_ms=self.s.timeout_ms
                )
                kw: dict[str, Any] = {"numbers": numbers} if numbers else {}
                got = await reader.read(first_page_only=first_page_only, today=self.today, **kw)
                snap = await ev.snapshot(page, "final")
                out.evidence = str(snap or ev.dir)
                self._keep_session(portal.id, acc.id, await context.storage_state())
                return got
            except KeyboardInterrupt:
                raise  # stopped by the operator: no evidence to take, nothing to classify
            except BaseException as exc:
                if isinstance(exc, asyncio.CancelledError) and interrupt.requested():
                    raise  # the operator's Ctrl-C / SIGTERM, not the account's deadline
                # past the deadline the evidence may take only a moment more
                stopped = isinstance(exc, asyncio.CancelledError)
                stem = f"deadline-{n}" if stopped else f"failure-{n}-{type(exc).__name__}"
                snap = await _bounded(
                    ev.snapshot(page, stem, failure=True),
                    min(5.0, self.s.timeout_ms / 1000) if stopped else None,
                )
                out.evidence = str(snap or ev.dir)
                raise _classify(exc, where, secret) from None
            finally:
                await _closed(page.close(), f"{where}: page", self.s.timeout_ms)

        limit = asyncio.timeout(deadline.remaining())
        try:
            async with limit:
                context = await self.browser.new_context(
                    storage_state=state, locale="zh-CN", timezone_id=self.zone
                )
                context.set_default_timeout(self.s.timeout_ms)
                got = await _retry.run(
                    self.policy,
                    attempt,
                    transient=lambda e: isinstance(e, TransientError),
                    what=where,
                )
            now = clock.now(self.zone)
            typed: dict[str, dict[str, Any]] = {}
            for raw, path in got:
                rec = records.to_record(
                    portal, acc.id, raw, evidence=path, fetched_at=now, where=where
                )
                typed.setdefault(rec["record_id"], rec)  # a search can find one record twice
            (self.rows if into is None else into).extend(typed.values())
            out.outcome, out.records = "ok", len(typed)
        except TimeoutError:
            if not limit.expired():
                raise
            out.outcome, out.reason = "stale", f"{where}: {deadline.reason}"
        except NeedsLogin as exc:
            out.outcome, out.reason = "needs_login", str(exc)
        except TransientError as exc:
            out.outcome, out.reason = "stale", _reason(exc)
        except ArsyncError as exc:
            out.outcome, out.reason = "failed", _reason(exc)
        except Exception as exc:  # a plug-in's or a page's surprise fails this account, not the run
            text = scrub(str(exc).splitlines()[0] if str(exc) else "", secret)
            out.outcome, out.reason = "failed", f"unexpected error ({type(exc).__name__}: {text})"
        finally:
            if context is not None:
                await _closed(context.close(), f"{where}: browser context", self.s.timeout_ms)
        if out.outcome != "ok":
            # the caller reports the outcome (the pipeline as a warning, `portals fetch` as a line)
            logger.debug("{}: {} — {} (evidence: {})", where, out.outcome, out.reason, out.evidence)
        return self._done(out, t0)

    def _keep_session(self, portal: str, account: str, state: dict) -> None:
        """Save the session when there is a key; without one, say so once and log in next time."""
        if not self.sessions.has_key():
            if not self._warned_no_key:
                logger.warning("portal sessions are not kept: {}", NO_KEY)
                self._warned_no_key = True
            return
        self.sessions.save(portal, account, state)

    def _solver(self, acc: Account) -> Solver:
        # a captcha picture for a person goes into the run's folder, beside the evidence
        return self.solver or make_solver(acc.solver, image_dir=self.out_dir)

    @staticmethod
    def _done(out: Outcome, t0: float) -> Outcome:
        out.seconds = round(time.perf_counter() - t0, 3)
        return out


async def _bounded(work, seconds: float | None):
    """``await work``, given up (``None``) after ``seconds`` when a bound is given."""
    if seconds is None:
        return await work
    try:
        return await asyncio.wait_for(work, timeout=seconds)
    except TimeoutError:
        return None


async def _closed(closing, what: str, timeout_ms: int) -> None:
    """Close a page or context without waiting for ever: Chromium sometimes never answers a
    close after a failed navigation (seen under the session-expiry fault), and a hung close
    would hold the account's slot and the whole run."""
    try:
        await asyncio.wait_for(closing, timeout=timeout_ms / 1000)
    except TimeoutError:
        logger.warning("{} did not close within {} ms; left to the browser", what, timeout_ms)
    except Exception as exc:  # already closed with the browser
        logger.debug("{} close: {}", what, exc)


#: An outcome's reason starts with what kind of failure it was, in words (not a class name).
_KINDS: tuple[tuple[type[ArsyncError], str], ...] = (
    (LayoutDriftError, "layout changed"),
    (LogonError, "login refused"),
    (AuthorizationError, "not authorized"),
    (ConfigError, "configuration"),
    (TransientError, "not reachable"),
    (DataError, "unexpected data"),
)


def _reason(exc: ArsyncError) -> str:
    kind = next((words for cls, words in _KINDS if isinstance(exc, cls)), "failed")
    return f"{kind}: {exc}"


def _classify(exc: BaseException, where: str, secret: Secret | None) -> BaseException:
    """Playwright's own errors → arsync's classes, once, here (messages scrubbed)."""
    if isinstance(exc, ArsyncError):
        return exc
    name = type(exc).__name__
    text = scrub(str(exc).splitlines()[0] if str(exc) else name, secret)
    if name == "TimeoutError" or "Timeout" in text:
        return TransientError(f"{where}: timed out: {text}")
    if type(exc).__module__.startswith("playwright"):
        if "net::" in text or "Target page, context or browser has been closed" in text:
            return TransientError(f"{where}: browser/network: {text}")
        return LayoutDriftError(f"{where}: the page did not behave as declared: {text}")
    if isinstance(exc, (KeyError, ValueError)):
        return LayoutDriftError(f"{where}: unexpected page content: {name}: {text}")
    return exc


async def fetch_async(
    settings,
    portals: list[Portal],
    *,
    out_dir: Path | str,
    concurrency: int | None = None,
    invoice_numbers=None,
    browser=None,
    interactive: bool = False,
    solver: Solver | None = None,
    today: date | None = None,
    progress=None,
    first_page_only: bool = False,
) -> PortalFetch:
    """Fetch every account of ``portals``; uses ``browser`` when given, else launches one."""
    out = Path(out_dir)
    if browser is not None:
        r = Runner(
            settings,
            browser,
            out,
            invoice_numbers=invoice_numbers,
            interactive=interactive,
            solver=solver,
            today=today,
            progress=progress,
        )
        return await r.run(portals, concurrency, first_page_only)
    async with launch(settings) as b:
        return await fetch_async(
            settings,
            portals,
            out_dir=out,
            concurrency=concurrency,
            invoice_numbers=invoice_numbers,
            browser=b,
            interactive=interactive,
            solver=solver,
            today=today,
            progress=progress,
            first_page_only=first_page_only,
        )
