"""Evidence of what was read: JSON/HTML of every page, a screenshot at the end and at failures.

At the end of a good read the screenshot is of the viewport only, as a low-quality JPEG (the
HTML/JSON beside it holds every row); a failure gets a full-page PNG, where detail matters.
A full-page PNG of a 100-row list costs ~5x the browser CPU of the viewport JPEG.  Files are
written from a worker thread, off the event loop.  Everything lands in
``<run>/evidence/<portal>/<account>/``, folders 0700 and files 0600 (or readable by ``runs.group``);
text is scrubbed of the account's password before it is written, and file names are built from
ids and counters only.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from loguru import logger

from arsync.common.private import create_private, private_dir
from arsync.common.secrets import Secret, scrub

from .sessions import _safe


class Evidence:
    def __init__(
        self, root: Path, portal: str, account: str, *secrets: Secret | str | None, group: str = ""
    ) -> None:
        self.dir = Path(root) / "evidence" / _safe(portal) / _safe(account)
        self._secrets = secrets
        self.group = group  # runs.group: owner-only files, or readable by that group too
        self._n = 0

    def write(self, stem: str, suffix: str, text: str) -> Path:
        self._n += 1
        return self._write_n(self._n, stem, suffix, text)

    async def awrite(self, stem: str, suffix: str, text: str) -> Path:
        """``write`` from a worker thread (the counter is taken here, so the order stays)."""
        self._n += 1
        n = self._n
        return await asyncio.to_thread(self._write_n, n, stem, suffix, text)

    def _write_n(self, n: int, stem: str, suffix: str, text: str) -> Path:
        for d in (self.dir.parent.parent, self.dir.parent, self.dir):
            private_dir(d, self.group)
        path = self.dir / f"{n:03d}-{stem}{suffix}"
        create_private(path, scrub(text, *self._secrets).encode("utf-8"), self.group)
        return path

    async def snapshot(self, page, stem: str, *, failure: bool = False) -> Path | None:
        """HTML of the page (and of its frames) + a screenshot: full-page PNG on ``failure``, else a
        viewport JPEG; never raises (evidence is best effort)."""
        try:
            html = await page.content()
            for fr in page.frames[1:]:
                with contextlib.suppress(Exception):  # a frame detached while we read it
                    html += f"\n<!-- frame {fr.url} -->\n" + await fr.content()
            path = await self.awrite(stem, ".html", html)
            if failure:
                shot, suffix = await page.screenshot(full_page=True), ".png"
            else:
                shot, suffix = await page.screenshot(type="jpeg", quality=40), ".jpg"
            await asyncio.to_thread(create_private, path.with_suffix(suffix), shot, self.group)
            return path
        except Exception as exc:  # the page may be gone (browser closed, navigation)
            logger.warning("evidence {}: snapshot failed ({})", self.dir.name, type(exc).__name__)
            return None
