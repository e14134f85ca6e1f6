"""One retry policy for every connector: capped, exponential with jitter, logged (tenacity).

The same policy runs synchronous calls (SAP over RFC) and coroutines (the portal runner).  No
retry begins after an interrupt (:mod:`arsync.common.interrupt`): the failure is re-raised, and
a backoff wait ends at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import tenacity
from loguru import logger

from arsync.common import interrupt

T = TypeVar("T")


class RetryLimits(Protocol):
    """What a ``[<section>.retry]`` settings block holds (``arsync.config`` sits above common)."""

    @property
    def attempts(self) -> int: ...
    @property
    def initial(self) -> float: ...
    @property
    def maximum(self) -> float: ...
    @property
    def deadline(self) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try again.  ``attempts`` counts the first try; ``deadline`` caps total seconds."""

    attempts: int = 4
    initial: float = 0.5
    maximum: float = 8.0
    jitter: float = 0.5
    deadline: float = 60.0
    sleep: Callable[[float], None] = interrupt.sleep

    @classmethod
    def from_settings(
        cls, retry_settings: RetryLimits, *, sleep: Callable[[float], None] = interrupt.sleep
    ) -> RetryPolicy:
        """A ``[<section>.retry]`` settings block → a policy (``sleep`` for tests' clocks)."""
        return cls(
            attempts=retry_settings.attempts,
            initial=retry_settings.initial,
            maximum=retry_settings.maximum,
            deadline=retry_settings.deadline,
            sleep=sleep,
        )

    def call(
        self,
        fn: Callable[[], T],
        *,
        transient: Callable[[BaseException], bool],
        what: str,
    ) -> T:
        """Run ``fn``; retry only the failures ``transient`` accepts; re-raise the last one."""
        r = tenacity.Retrying(sleep=self.sleep, **self._rules(transient, what))
        return r(fn)

    async def acall(
        self,
        fn: Callable[[int], Awaitable[T]],
        *,
        transient: Callable[[BaseException], bool],
        what: str,
    ) -> T:
        """Await ``fn(attempt_number)`` under the same rules (asyncio sleeps between tries)."""
        retrying = tenacity.AsyncRetrying(sleep=asyncio.sleep, **self._rules(transient, what))
        async for attempt in retrying:
            with attempt:
                result = await fn(attempt.retry_state.attempt_number)
        return result

    def _rules(self, transient: Callable[[BaseException], bool], what: str) -> dict[str, Any]:
        def _log(rs: tenacity.RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            logger.bind(error_type=type(exc).__name__, attempt=rs.attempt_number).warning(
                "{}: attempt {} failed ({}); retrying in {:.2f}s",
                what,
                rs.attempt_number,
                _short(exc),
                rs.next_action.sleep if rs.next_action else 0.0,
            )

        def _not_after_interrupt(rs: tenacity.RetryCallState) -> None:
            if rs.attempt_number > 1 and interrupt.requested():
                raise KeyboardInterrupt(interrupt.signal_name() or "interrupted")

        def _worth_retrying(exc: BaseException) -> bool:
            return isinstance(exc, Exception) and not interrupt.requested() and transient(exc)

        return dict(
            stop=tenacity.stop_after_attempt(self.attempts)
            | tenacity.stop_after_delay(self.deadline),
            wait=tenacity.wait_exponential_jitter(
                multiplier=self.initial, max=self.maximum, jitter=self.jitter
            ),
            retry=tenacity.retry_if_exception(_worth_retrying),
            before=_not_after_interrupt,
            before_sleep=_log,
            reraise=True,
        )


def _short(exc: BaseException | None) -> str:
    text = str(exc) if exc is not None else ""
    return text if len(text) <= 200 else text[:197] + "..."
