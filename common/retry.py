"""One retry policy for every connector: capped, exponential with jitter, logged (tenacity)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import tenacity

T = TypeVar("T")
log = logging.getLogger("arsync.retry")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try again.  ``attempts`` counts the first try; ``deadline`` caps total seconds."""

    attempts: int = 4
    initial: float = 0.5
    maximum: float = 8.0
    jitter: float = 0.5
    deadline: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, fn: Callable[[], T], *, transient: Callable[[BaseException], bool], what: str) -> T:
        """Run ``fn``; retry only the failures ``transient`` accepts; re-raise the last one."""

        def _log(rs: tenacity.RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            log.warning(
                "%s: attempt %d failed (%s: %s); retrying in %.2fs",
                what, rs.attempt_number, type(exc).__name__, _short(exc),
                rs.next_action.sleep if rs.next_action else 0.0,
            )

        r = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts) | tenacity.stop_after_delay(self.deadline),
            wait=tenacity.wait_exponential_jitter(multiplier=self.initial, max=self.maximum, jitter=self.jitter),
            retry=tenacity.retry_if_exception(transient),
            before_sleep=_log,
            sleep=self.sleep,
            reraise=True,
        )
        return r(fn)


def _short(exc: BaseException | None) -> str:
    text = str(exc) if exc is not None else ""
    return text if len(text) <= 200 else text[:197] + "..."
