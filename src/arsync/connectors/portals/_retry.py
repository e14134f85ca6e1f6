"""The shared RetryPolicy for the portal runner (async)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from arsync.common.retry import RetryLimits, RetryPolicy

T = TypeVar("T")


def policy_from(retry_settings: RetryLimits) -> RetryPolicy:
    """``settings.portals.retry`` → RetryPolicy (jitter kept at the policy's default)."""
    return RetryPolicy.from_settings(retry_settings)


async def run(
    policy: RetryPolicy,
    fn: Callable[[int], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool],
    what: str,
) -> T:
    """Await ``fn(attempt_number)``; retry the failures ``transient`` accepts; re-raise the last."""
    return await policy.acall(fn, transient=transient, what=what)
