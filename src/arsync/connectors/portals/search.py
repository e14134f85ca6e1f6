"""The third way a portal hands out rows: no list, one search per invoice number (or per
batch of numbers, ``list.search_batch``, where the portal takes several in one query).

The answer is a detail block per hit, or 无记录.  Two ways to search (``list.search_by``):
``click`` types and presses 查询 like a person and waits for the answer page; ``form`` sends
the form's own request from inside the page and swaps the answer in, with no navigation —
a navigation costs ~20x the browser CPU of the fetch, and a portfolio has hundreds of numbers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from arsync.common.errors import LayoutDriftError
from arsync.common.parse import normalize_text

from . import _retry
from .definitions import required
from .pages import JsonList, PortalHttpError, Row, TableList, _Reader, locate
from .records import check_keys

# One search, sent the way the search form itself would send it (method, action, every field,
# the submit button), from inside the page.  The answer is read in the parsed document, where
# nothing is laid out: a cell's text is its textContent with white space collapsed as a page
# shows it, <br> a line break, [hidden] parts left out (what innerText gives for the plain cells
# a detail table has; text hidden by a style sheet would be read, which the click mode does
# not).  Only the last answer (``a.show``) replaces the result area of the live page, for the
# final evidence: laying out every answer cost the browser more than reading it.
FORM_SEARCH = r"""async (box, a) => {
  const form = box.form;
  if (!form) return {error: 'the search input is not inside a form'};
  box.value = a.number;
  const body = new URLSearchParams(new FormData(form, a.submit && a.submit.form === form ? a.submit : null));
  const method = (a.submit && a.submit.getAttribute('formmethod')) || form.method || 'get';
  const url = new URL((a.submit && a.submit.getAttribute('formaction')) || form.action, location.href);
  // A fetch from page script has no Playwright timeout: abort it ourselves, or a stalled answer
  // would hang the account (and the run) for ever.
  const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), a.timeoutMs);
  const init = {credentials: 'same-origin', signal: ctl.signal};
  if (method.toLowerCase() === 'post') { init.method = 'POST'; init.body = body; } else { url.search = body; }
  let r, text;
  try {
    r = await fetch(url, init);
    text = await r.text();
  } catch (e) {
    return {error: 'network: ' + (e.name === 'AbortError' ? 'no answer within ' + a.timeoutMs + ' ms' : e.message)};
  } finally { clearTimeout(timer); }
  const out = {status: r.status, url: r.url};
  if (!r.ok || new URL(r.url).pathname.endsWith('/' + a.login)) return out;
  const got = new DOMParser().parseFromString(text, 'text/html').querySelector(a.result);
  if (!got) return {...out, missing: true};
  const html = got.outerHTML, shown = a.show ? document.importNode(got, true) : null;
  got.querySelectorAll('[hidden], script, style, template').forEach(n => n.remove());
  got.querySelectorAll('br').forEach(n => n.replaceWith('\u2063'));
  const cell = c => c.textContent.replace(/[ \t\n\r\f]+/g, ' ').trim().replace(/ ?\u2063 ?/g, '\n');
  const found = {...out, html, none: got.querySelector(a.noRecord) !== null,
                 blocks: Array.from(got.querySelectorAll(a.detail),
                                    t => Array.from(t.rows, r => Array.from(r.cells, cell)))};
  if (shown) {
    const live = document.querySelector(a.result);
    if (live) live.replaceWith(shown); else form.after(shown);
  }
  return found;
}"""


class SearchList(_Reader):
    """No list: one search per invoice number; a detail block per hit, or 无记录."""

    async def read(
        self, numbers: list[str], *, first_page_only: bool = False, today=None
    ) -> list[Row]:
        L = self.L
        search: Callable[[str, int, bool], Awaitable[Any]] = (
            self._by_form if L.search_by == "form" else self._by_click
        )
        rows: list[Row] = []
        size = L.search_batch
        queries = [
            L.search_separator.join(numbers[k : k + size]) for k in range(0, len(numbers), size)
        ]
        todo = queries[:1] if first_page_only else queries
        for i, number in enumerate(todo, 1):

            async def attempt(_: int, n: str = number, k: int = i) -> Any:
                return await search(n, k, k == len(todo))

            found = await _retry.run(
                self.policy,
                attempt,
                transient=lambda e: isinstance(e, PortalHttpError),
                what=f"{self.where} search {i}",
            )
            if found is None:
                raise LayoutDriftError(
                    f"{self.where}: search {i}: no result area {L.result!r} on the page"
                )
            html, none, blocks = found
            path = str(await self.ev.awrite(f"search-{i}", ".html", html))
            if none:
                continue
            if not blocks:
                raise LayoutDriftError(
                    f"{self.where}: search {i}: neither a result ({L.detail}) nor {L.no_record}"
                )
            for b in blocks:
                raw = {normalize_text(c[0]): (c[1] if len(c) > 1 else "") for c in b if c}
                missing = [h for h in L.headers if h not in raw]
                if missing:
                    raise LayoutDriftError(
                        f"{self.where}: expected label(s) missing: {', '.join(missing)}"
                    )
                check_keys(self.spec, set(raw), self.where)
                rows.append((raw, path))
        return rows

    async def _by_click(self, number: str, i: int, last: bool = True):
        """Type, press 查询, wait for the answer page: (result html, 无记录?, detail blocks) or None."""
        L, page = self.L, self.page
        search_input = required(L.search_input, "list.search_input", self.spec)
        box = locate(page, search_input)
        if await box.count() == 0:  # after an error page: back to the search form
            await page.goto(self.portal.url(L.url))
            self._check(200, "search form")
            box = locate(page, search_input)
        await box.fill(number)
        async with page.expect_navigation() as nav:
            await locate(page, required(L.search_submit, "list.search_submit", self.spec)).click()
        resp = await nav.value
        self._check(resp.status if resp else 200, f"search {i}")
        return await page.evaluate(
            _READ_RESULT, {"result": L.result, "noRecord": L.no_record, "detail": L.detail}
        )

    async def _by_form(self, number: str, i: int, last: bool = True):
        """The form's own request, sent from the page: one round trip, no navigation; the
        ``last`` answer is shown in the live page."""
        L = self.L
        if getattr(self, "_box", None) is None:
            search_input = required(L.search_input, "list.search_input", self.spec)
            search_submit = required(L.search_submit, "list.search_submit", self.spec)
            self._box = await locate(self.page, search_input).element_handle()
            self._submit = await locate(self.page, search_submit).element_handle()
        timeout_ms = self.timeout_ms
        try:
            got = await asyncio.wait_for(
                self._box.evaluate(
                    FORM_SEARCH,
                    {
                        "number": number,
                        "submit": self._submit,
                        "login": self.spec.login.url,
                        "result": L.result,
                        "noRecord": L.no_record,
                        "detail": L.detail,
                        "timeoutMs": timeout_ms,
                        "show": last,
                    },
                ),
                timeout=timeout_ms / 1000 + 5,
            )
        except TimeoutError:
            raise PortalHttpError(
                f"{self.where}: search {i}: the page did not answer within {timeout_ms} ms"
            ) from None
        if "error" in got:
            raise (PortalHttpError if got["error"].startswith("network") else LayoutDriftError)(
                f"{self.where}: search {i}: {got['error']}"
            )
        self._check(got["status"], f"search {i}", got["url"])
        return None if got.get("missing") else (got["html"], got["none"], got["blocks"])


_READ_RESULT = """(a) => {
  const node = document.querySelector(a.result);
  if (!node) return null;
  return [node.outerHTML, node.querySelector(a.noRecord) !== null,
          Array.from(node.querySelectorAll(a.detail), t => Array.from(t.rows, r => Array.from(r.cells, c => c.innerText)))];
}"""


READERS: dict[str, type[JsonList] | type[TableList] | type[SearchList]] = {
    "json": JsonList,
    "table": TableList,
    "search": SearchList,
}
