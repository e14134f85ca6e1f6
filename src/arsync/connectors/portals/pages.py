"""Page objects: the login screen and two of the three ways a portal hands out its rows (search.py has the third).

Each builds its locators from the family declaration and offers domain verbs that return
plain values (raw rows with the evidence file they were read from), never locators.
Waits are on locators and responses, never sleeps.  Every list reader checks what the portal
says it holds against what was read: a short read is drift, never a partial result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.async_api import expect

from arsync.common import clock
from arsync.common.errors import LayoutDriftError, LogonError, TransientError
from arsync.common.parse import normalize_text
from arsync.common.retry import RetryPolicy
from arsync.common.secrets import Secret, scrub

from . import _retry, trust
from .definitions import Challenge as ChallengeDef
from .definitions import Portal, Target, family_of, required
from .evidence import Evidence
from .records import check_keys
from .solvers import Challenge, Solver

Row = tuple[dict[str, Any], str]  # (raw row: key → text, evidence file)


class PortalHttpError(TransientError):
    """The portal answered 5xx or 429: try the same step again."""


class SessionEnded(TransientError):
    """The portal sent us back to its login page: log in again and start over."""


class NeedsLogin(LogonError):
    """A person must log in (`arsync portals login`); not retried."""


def locate(scope, t: Target):
    if t.role:
        return (
            scope.get_by_role(t.role, name=t.name, exact=True)
            if t.name
            else scope.get_by_role(t.role)
        )
    if t.label:
        return scope.get_by_label(t.label, exact=True)
    return scope.locator(t.css)


class LoginPage:
    def __init__(self, page, portal: Portal) -> None:
        self.page, self.portal, self.d = page, portal, family_of(portal).login

    async def shown(self) -> bool:
        return await self.page.locator(self.d.form).count() > 0

    async def login(self, account: str, username: str, password: Secret, solver: Solver) -> None:
        """Fill, solve the challenge, submit; solve again when the portal says the answer was wrong."""
        d, page = self.d, self.page
        err = ""
        for _ in range(d.attempts):
            if not await self.shown():
                await page.goto(self.portal.url(d.url))
            # a redirect to another host must not receive the password
            trust.check_same_origin(page.url, self.portal.base_url, f"{self.portal.id}/{account}")
            await locate(page, d.username).fill(username)
            await locate(page, d.password).fill(password.reveal())
            if d.challenge is not None:
                await locate(page, d.challenge.input).fill(
                    await self._solve(d.challenge, account, username, solver)
                )
            async with page.expect_navigation():
                await locate(page, d.submit).click()
            if not await self.shown():
                return
            err = scrub(normalize_text(await page.locator(d.error).first.inner_text()), password)
            if not any(w in err for w in d.retry_on):
                raise LogonError(
                    f"{self.portal.id}/{account}: the portal refused the login: {err or '(no message)'}"
                )
        raise LogonError(
            f"{self.portal.id}/{account}: login challenge failed {d.attempts} times: {err}"
        )

    async def _solve(self, ch: ChallengeDef, account: str, username: str, solver: Solver) -> str:
        page, family = self.page, family_of(self.portal)
        portal, base_url = self.portal.id, self.portal.url("")
        if ch.kind == "image":
            img = page.locator(required(ch.image, "login.challenge.image", family)).first
            ref = (await img.get_attribute(ch.ref_attr) or "") if ch.ref_attr else ""
            # the picture costs an element screenshot (~0.15 s of browser CPU): only for solvers that read it
            shot = await img.screenshot() if getattr(solver, "needs_image", True) else b""
            return await solver.image_captcha(
                Challenge(portal, account, username, base_url, image=shot, ref=ref)
            )
        await locate(page, required(ch.send, "login.challenge.send", family)).click()
        if ch.sent:
            await page.locator(ch.sent).filter(has_text=re.compile(r"\S")).wait_for()
        return await solver.sms_code(Challenge(portal, account, username, base_url))


class _Reader:
    """What the list readers share: the retried step and the response checks."""

    def __init__(
        self,
        page,
        portal: Portal,
        ev: Evidence,
        policy: RetryPolicy,
        where: str,
        timeout_ms: int = 15000,
    ) -> None:
        self.page, self.portal, self.spec, self.ev, self.policy, self.where = (
            page,
            portal,
            family_of(portal),
            ev,
            policy,
            where,
        )
        self.L = self.spec.list
        self.timeout_ms = timeout_ms

    def _check(self, status: int, what: str, url: str | None = None) -> None:
        """``url``: where the answer came from (a fetched search); the page's own URL by default."""
        url = self.page.url if url is None else url
        if status in (401, 403) or (
            status < 400 and url.split("?")[0].endswith("/" + self.spec.login.url)
        ):
            raise SessionEnded(f"{self.where}: session ended ({what})")
        if status == 429 or status >= 500:
            raise PortalHttpError(f"{self.where}: HTTP {status} on {what}")
        if status >= 400:
            raise LayoutDriftError(f"{self.where}: HTTP {status} on {what} (page moved?)")

    async def _step(self, first: Callable[[], Awaitable], again: Callable[[], Awaitable], n: int):
        """Run one paging action and wait for page ``n``'s data response, retrying 5xx/429 in place."""
        P = required(self.L.paging, "list.paging", self.spec)
        response = required(self.L.response, "list.response", self.spec)

        def wanted(r) -> bool:
            if response not in r.url:
                return False
            q = parse_qs(urlparse(r.url).query)
            if q.get(P.param, ["1"])[0] != str(n):
                return False
            return (
                not (P.size_param and P.size_value) or q.get(P.size_param, [""])[0] == P.size_value
            )

        async def once(attempt: int):
            async with self.page.expect_response(wanted) as info:
                await (first() if attempt == 1 else again())
            resp = await info.value
            self._check(resp.status, f"page {n}")
            return resp

        return await _retry.run(
            self.policy,
            once,
            transient=lambda e: isinstance(e, PortalHttpError),
            what=f"{self.where} page {n}",
        )

    def _complete(self, read: int, total: int) -> None:
        if read != total:
            raise LayoutDriftError(f"{self.where}: read {read} rows but the portal reports {total}")


def _dig(data: Any, path: str, where: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            raise LayoutDriftError(f"{where}: the data response has no {path!r} (missing {part!r})")
        data = data[part]
    return data


class JsonList(_Reader):
    """A single-page app's list: rows are taken from the JSON responses the page fetches."""

    async def read(self, *, first_page_only: bool = False, today: date | None = None) -> list[Row]:
        L, spec, page = self.L, self.spec, self.page
        P = required(L.paging, "list.paging", spec)
        rows_at, total_at = (
            required(L.rows, "list.rows", spec),
            required(L.total, "list.total", spec),
        )
        await _check_headers(page.locator("thead"), L.headers, self.where)
        if L.date_from is not None:
            start = (today or clock.today()) - timedelta(days=L.lookback_days)
            await locate(page, L.date_from).fill(start.isoformat())
        retry = lambda: locate(page, required(L.retry, "list.retry", spec)).click()  # noqa: E731
        size_box = P.size
        first = (
            (lambda: locate(page, size_box).select_option(P.size_value))
            if size_box is not None
            else (lambda: locate(page, required(L.refresh, "list.refresh", spec)).click())
        )
        rows: list[Row] = []
        n = 1
        while True:
            resp = await self._step(first, retry, n)
            text = await resp.text()
            # numbers stay text: 19-digit ids and amounts never pass through a float
            data = json.loads(text, parse_float=str, parse_int=str)
            chunk, total = _dig(data, rows_at, self.where), int(_dig(data, total_at, self.where))
            path = str(await self.ev.awrite(f"page-{n}", ".json", text))
            for raw in chunk:
                check_keys(self.spec, set(raw), f"{self.where} page {n}")
                rows.append((raw, path))
            if first_page_only or not chunk or len(rows) >= total:
                break
            n += 1
            first = lambda: locate(page, P.next).click()  # noqa: E731
        if not first_page_only:
            self._complete(len(rows), total)
        return rows


class TableList(_Reader):
    """A DOM table (inside an iframe, rows by XHR): read the cells the page rendered."""

    async def read(self, *, first_page_only: bool = False, today: date | None = None) -> list[Row]:
        L, spec = self.L, self.spec
        P = required(L.paging, "list.paging", spec)
        scope = self.page.frame_locator(L.frame) if L.frame else self.page
        table = scope.locator(required(L.table, "list.table", spec))
        headers = await _check_headers(table.locator("thead"), L.headers, self.where)
        check_keys(self.spec, headers, self.where)
        rows: list[Row] = []
        retry = lambda: locate(scope, required(L.retry, "list.retry", spec)).click()  # noqa: E731
        size_box = P.size
        if size_box is not None:
            # rows arrive by XHR after render: let the page's own first load settle (or fail)
            # before asking for another page size, or its late answer would overwrite ours
            settled = (
                scope.locator(required(P.total, "list.paging.total", spec))
                .filter(has_text=re.compile(r"\d"))
                .or_(locate(scope, required(L.retry, "list.retry", spec)))
            )
            await settled.first.wait_for()
            first = lambda: locate(scope, size_box).select_option(P.size_value)  # noqa: E731
        else:
            first = lambda: locate(  # noqa: E731
                scope, required(L.refresh, "list.refresh", spec)
            ).click()
        n = 1
        while True:
            await self._step(first, retry, n)
            if P.indicator:
                await scope.locator(P.indicator, has_text=P.indicator_text.format(n=n)).wait_for()
            if P.size_value and P.total:
                # the same page number may still show the old page size: wait for the row count
                total = _number(await scope.locator(P.total).inner_text(), self.where)
                size = int(P.size_value)
                await expect(table.locator("tbody tr")).to_have_count(
                    max(0, min(size, total - (n - 1) * size))
                )
            cells = await table.locator("tbody tr").evaluate_all(
                "rs => rs.map(r => Array.from(r.cells, c => c.innerText))"
            )
            path = str(
                await self.ev.awrite(f"page-{n}", ".html", await table.evaluate("t => t.outerHTML"))
            )
            for c in cells:
                if len(c) != len(headers):
                    raise LayoutDriftError(
                        f"{self.where} page {n}: a row has {len(c)} cells for {len(headers)} headers"
                    )
                rows.append((dict(zip(headers, c)), path))
            total = (
                _number(await scope.locator(P.total).inner_text(), self.where)
                if P.total
                else len(rows)
            )
            if first_page_only or not cells or len(rows) >= total:
                break
            n += 1
            first = lambda: locate(scope, P.next).click()  # noqa: E731
        if not first_page_only:
            self._complete(len(rows), total)
        return rows


def _number(text: str, where: str) -> int:
    m = re.search(r"(\d+)", normalize_text(text))
    if not m:
        raise LayoutDriftError(f"{where}: no total in {text!r}")
    return int(m.group(1))


async def _check_headers(thead, expected: list[str], where: str) -> list[str]:
    await thead.locator("th").first.wait_for()
    headers = [normalize_text(h) for h in await thead.locator("th").all_inner_texts()]
    missing = [h for h in expected if h not in headers]
    if missing:
        raise LayoutDriftError(
            f"{where}: expected header(s) missing: {', '.join(missing)}; "
            f"found: {', '.join(headers)}"
        )
    return headers
