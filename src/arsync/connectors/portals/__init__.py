"""Portal payment status: declarations (config/portals), the Playwright runner, the sandbox binding.

``fetch(settings, ...)`` is the synchronous entry point for jobs; ``fetch_async`` the async one.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from .backend import open_sandbox
from .definitions import SANDBOX, Portal, load_definitions, select
from .runner import OUTCOMES, PORTAL_OUTCOMES, Outcome, PortalFetch, fetch_async

__all__ = [
    "OUTCOMES",
    "PORTAL_OUTCOMES",
    "Outcome",
    "Portal",
    "PortalFetch",
    "fetch",
    "fetch_async",
    "load_definitions",
    "open_sandbox",
    "select",
]


def fetch(
    settings,
    portals: list[str] | None = None,
    concurrency: int | None = None,
    out_dir: str | Path | None = None,
    invoice_numbers=None,
    *,
    definitions: dict[str, Portal] | None = None,
    world=None,
    faults=None,
    interactive: bool = False,
    today: date | None = None,
    progress=None,
    first_page_only: bool = False,
) -> PortalFetch:
    """Fetch portal records for the chosen portals (all by default); starts the simulators when
    a portal points at ``sandbox``.  Never raises for one portal's failure: see ``outcomes``."""
    defs = (
        definitions
        if definitions is not None
        else load_definitions(extra_dir=settings.portals.definitions_dir)
    )
    chosen = select(defs, portals)
    handle = None
    if any(SANDBOX in (p.base_url, p.accounts) for p in chosen):
        chosen, handle, sandbox_numbers = open_sandbox(chosen, settings, world=world, faults=faults)
        if invoice_numbers is None:
            invoice_numbers = sandbox_numbers
    try:
        return asyncio.run(
            fetch_async(
                settings,
                chosen,
                out_dir=Path(out_dir or settings.runs.out_dir),
                concurrency=concurrency,
                invoice_numbers=invoice_numbers,
                interactive=interactive,
                today=today,
                progress=progress,
                first_page_only=first_page_only,
            )
        )
    finally:
        if handle is not None:
            handle.close()
