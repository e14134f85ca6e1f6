"""The shared RetryPolicy, run asynchronously (tenacity's AsyncRetrying): capped, jittered, logged."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, TypeVar

import tenacity

from arsync.common.retry import RetryPolicy, _short

T = TypeVar("T")
log = logging.getLogger("arsync.portals.retry")


def policy_from(retry_settings) -> RetryPolicy:
    """``settings.portals.retry`` → RetryPolicy (jitter kept at the policy's default)."""
    return RetryPolicy(attempts=retry_settings.attempts, initial=retry_settings.initial,
                       maximum=retry_settings.maximum, deadline=retry_settings.deadline)


async def run(policy: RetryPolicy, fn: Callable[[int], Awaitable[T]], *,
              transient: Callable[[BaseException], bool], what: str) -> T:
    """Await ``fn(attempt_number)``; retry the failures ``transient`` accepts; re-raise the last."""

    def _log(rs: tenacity.RetryCallState) -> None:
        exc = rs.outcome.exception() if rs.outcome else None
        log.warning("%s: attempt %d failed (%s: %s); retrying in %.2fs", what, rs.attempt_number,
                    type(exc).__name__, _short(exc), rs.next_action.sleep if rs.next_action else 0.0)

    retrying = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.deadline),
        wait=tenacity.wait_exponential_jitter(multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter),
        retry=tenacity.retry_if_exception(transient),
        before_sleep=_log,
        sleep=asyncio.sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            result = await fn(attempt.retry_state.attempt_number)
    return result
