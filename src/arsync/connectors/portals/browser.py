"""Find and launch Chromium (the only place that starts Playwright)."""

from __future__ import annotations

import contextlib
import os
import shutil

from arsync.common.errors import ConfigError

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def executable(settings, pw_chromium=None) -> str | None:
    """``portals.browser_executable``, else Playwright's own Chromium, else one on PATH."""
    configured = settings.portals.browser_executable
    if configured:
        path = os.path.expanduser(configured)
        if not os.path.exists(path):
            raise ConfigError(f"portals.browser_executable: {path} does not exist")
        return path
    if pw_chromium is not None:
        try:
            own = pw_chromium.executable_path
            if own and os.path.exists(own):
                return None  # Playwright finds its own
        except Exception:  # no bundled browser installed
            pass
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigError(
        "no Chromium found: set portals.browser_executable, or run `playwright install chromium`"
    )


@contextlib.asynccontextmanager
async def launch(settings, *, headless: bool | None = None):
    """One browser for a whole fetch; closed (with Playwright) on exit."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError("Playwright is missing: pip install playwright") from None
    async with async_playwright() as pw:
        exe = executable(settings, pw.chromium)
        browser = await pw.chromium.launch(
            executable_path=exe,
            args=ARGS,
            headless=settings.portals.headless if headless is None else headless,
        )
        try:
            yield browser
        finally:
            await browser.close()
