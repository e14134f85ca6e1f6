"""Evidence of what was read: JSON/HTML of every page, screenshots at the end and at failures.

Everything lands in ``<run>/evidence/<portal>/<account>/``; text is scrubbed of the account's
password before it is written, and file names are built from ids and counters only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from arsync.common.secrets import Secret, scrub

from .sessions import _safe

log = logging.getLogger("arsync.portals.evidence")


class Evidence:
    def __init__(self, root: Path, portal: str, account: str, *secrets: Secret | str | None) -> None:
        self.dir = Path(root) / "evidence" / _safe(portal) / _safe(account)
        self._secrets = secrets
        self._n = 0

    def write(self, stem: str, suffix: str, text: str) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._n += 1
        path = self.dir / f"{self._n:03d}-{stem}{suffix}"
        path.write_text(scrub(text, *self._secrets), encoding="utf-8")
        return path

    async def snapshot(self, page, stem: str) -> Path | None:
        """Screenshot + HTML of the page (and of its frames); never raises (evidence is best effort)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            html = await page.content()
            for fr in page.frames[1:]:
                try:
                    html += f"\n<!-- frame {fr.url} -->\n" + await fr.content()
                except Exception:  # a frame detached while we read it
                    pass
            path = self.write(stem, ".html", html)
            await page.screenshot(path=str(path.with_suffix(".png")), full_page=True)
            return path
        except Exception as exc:  # the page may be gone (browser closed, navigation)
            log.warning("evidence %s: snapshot failed (%s)", self.dir.name, type(exc).__name__)
            return None
