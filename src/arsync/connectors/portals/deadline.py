"""The overall deadlines of a portal fetch: per account and per portal.

The retry policy bounds each call; these bound the whole: an account whose portal hangs every
third request would otherwise retry its way through hours.  Past its deadline an account is
given up and reported ``stale`` (its items keep their last known status) and the run goes on.

- ``portals.account_deadline_s``: one account, from the moment it starts (login, every page or
  search, the retries in between).
- ``portals.portal_deadline_s``: every account of one portal, from the moment its first account
  starts; an account that has not started by then is not started at all.

``0`` turns a deadline off.  Times are wall-clock seconds since the epoch (``time.time()``), so
that a portal's deadline can travel to another process (a Celery worker) with the account.
Every executor runs an account through :meth:`Runner.account
<arsync.connectors.portals.runner.Runner.account>`, which applies both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """When one account's fetch must be over (``at``, epoch seconds; ``None``: no deadline) and
    which limit that is, in words for the outcome's reason."""

    at: float | None
    limit: str = ""

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds left (never negative); ``None`` without a deadline."""
        if self.at is None:
            return None
        return max(0.0, self.at - (time.time() if now is None else now))

    def passed(self, now: float | None = None) -> bool:
        left = self.remaining(now)
        return left is not None and left <= 0

    @property
    def reason(self) -> str:
        return f"deadline: not read within {self.limit}; last known status applies"


def portal_deadline(settings, started: float | None = None) -> float | None:
    """The epoch second by which every account of a portal whose first account starts at
    ``started`` (default now) must be over; ``None`` when ``portals.portal_deadline_s`` is 0."""
    limit = settings.portal_deadline_s
    return None if not limit else (time.time() if started is None else started) + limit


def account_deadline(
    settings, portal_at: float | None = None, started: float | None = None
) -> Deadline:
    """The deadline of one account starting at ``started`` (default now): its own
    (``portals.account_deadline_s``) or its portal's ``portal_at``, whichever comes first.
    ``settings`` is the ``[portals]`` section."""
    now = time.time() if started is None else started
    own = now + settings.account_deadline_s if settings.account_deadline_s else None
    if portal_at is not None and (own is None or portal_at < own):
        return Deadline(
            portal_at, f"the portal's {settings.portal_deadline_s:g} s (portals.portal_deadline_s)"
        )
    if own is None:
        return Deadline(None)
    return Deadline(
        own, f"the account's {settings.account_deadline_s:g} s (portals.account_deadline_s)"
    )
