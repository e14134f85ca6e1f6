"""Sliding-window rate limits that say how long to wait instead of sleeping.

A sender keeps one :class:`SlidingWindow` per limited thing (a WeCom robot: 20 messages a
minute; a WeCom recipient: 30; an SMTP server) and asks :meth:`SlidingWindow.wait` before
each message: 0 means go, anything else is the seconds until a slot frees — time the sender
spends on messages for other robots and recipients, sleeping only when none can go.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds of ``clock``."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]):
        if limit < 1 or window <= 0:
            raise ValueError("limit ≥ 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._events and self._events[0] <= now - self.window:
            self._events.popleft()

    def wait(self) -> float:
        """Seconds until one more event is allowed (0: now)."""
        now = self._clock()
        self._trim(now)
        if len(self._events) < self.limit:
            return 0.0
        return self._events[0] + self.window - now

    def record(self) -> None:
        now = self._clock()
        self._trim(now)
        self._events.append(now)

    def block(self, seconds: float) -> None:
        """The other side said to stop (WeCom 45009, HTTP 429): treat the window as full for
        ``seconds``."""
        now = self._clock()
        self._events.clear()
        self._events.extend([now + seconds - self.window] * self.limit)
