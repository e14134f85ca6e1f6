"""Portal payment status: declarations (config/portals) and the Playwright runner.

``fetch(settings, portals, ...)`` is the synchronous entry point for jobs; ``fetch_async`` the
async one.  The portals arrive bound (real URLs, accounts, customers): binding the ``sandbox``
declarations to the simulators is the pipeline's sources' business, not this connector's.
Playwright is imported only when a fetch runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from arsync.common import interrupt

from .definitions import SANDBOX, Account, Portal, load_definitions, select

if TYPE_CHECKING:
    from .runner import PortalFetch

__all__ = ["SANDBOX", "Account", "Portal", "fetch", "load_definitions", "select"]


def fetch(
    settings,
    portals: Sequence[Portal],
    *,
    out_dir: str | Path,
    invoice_numbers: Mapping[str, Sequence[str]] | None = None,
    concurrency: int | None = None,
    interactive: bool = False,
    today: date | None = None,
    progress=None,
    first_page_only: bool = False,
) -> PortalFetch:
    """Fetch every account of ``portals`` (bound declarations).  ``invoice_numbers`` maps an SAP
    customer to the invoice numbers a search-only portal looks up.  Never raises for one
    account's failure: see ``outcomes``.

    ``settings.portals.executor`` says who reads: ``local`` (this process's browser, at
    ``concurrency``) or ``celery`` (the ``arsync worker`` processes, each at its own
    concurrency; see :mod:`.distributed`).  A first-page check and an interactive login always
    run here."""
    unbound = [p.id for p in portals if SANDBOX in (p.base_url, p.accounts)]
    if unbound:
        raise ValueError(f"portal(s) {', '.join(unbound)} are not bound to a server yet")
    if settings.portals.executor == "celery" and not (first_page_only or interactive):
        from .distributed import fetch_celery

        return fetch_celery(
            settings,
            list(portals),
            out_dir=out_dir,
            invoice_numbers=invoice_numbers,
            today=today,
            progress=progress,
        )
    from .runner import fetch_async

    # Ctrl-C / SIGTERM cancel the fetch: browsers close, then KeyboardInterrupt
    return interrupt.run_async(
        fetch_async(
            settings,
            list(portals),
            out_dir=Path(out_dir),
            concurrency=concurrency,
            invoice_numbers=invoice_numbers,
            interactive=interactive,
            today=today,
            progress=progress,
            first_page_only=first_page_only,
        )
    )
