"""Stopping on Ctrl-C (SIGINT) and SIGTERM: one process-wide flag that retries and waits obey.

A signal is a fact about the whole process, so it is kept here, once, and not passed around:
the first SIGINT or SIGTERM sets the flag and raises :class:`KeyboardInterrupt` in the main
thread (SIGTERM behaves exactly as Ctrl-C); worker threads (SAP's parallel reads) and the retry
policy see the flag and start nothing new — no retry begins after an interrupt, and a backoff
wait ends at once.  The pipeline catches the interrupt, marks the run ``interrupted`` and
re-raises; the CLI turns it into one line and exit status 128 + the signal's number.

A second signal while the first is being handled is noted and ignored (the run store is being
written); a third one raises again, for an operator who really wants out.  While an event loop
runs (:func:`run_async`: the portal runner) the first signal cancels its task instead, so
browsers close before the KeyboardInterrupt.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

_stop = threading.Event()
_state: dict[str, object] = {"signal": None, "count": 0, "depth": 0, "on_signal": None}
_HANDLED = (signal.SIGINT, signal.SIGTERM)


def requested() -> bool:
    """Whether an interrupt arrived (since :func:`reset`)."""
    return _stop.is_set()


def signal_name() -> str | None:
    """``"SIGINT"`` or ``"SIGTERM"`` once one arrived, else ``None``."""
    name = _state["signal"]
    return name if isinstance(name, str) else None


def exit_status(name: str | None = None) -> int:
    """The shell's status for a process stopped by the signal ``name`` (default: the one that
    arrived): 128 + its number (130, 143)."""
    return 128 + (signal.SIGTERM if (name or signal_name()) == "SIGTERM" else signal.SIGINT)


def request(name: str = "SIGINT") -> None:
    """Note an interrupt (the signal handler does; so does the pipeline for a bare Ctrl-C)."""
    if not _stop.is_set():
        _state["signal"] = name
    _stop.set()


def reset() -> None:
    _stop.clear()
    _state.update(signal=None, count=0)


def _depth() -> int:
    depth = _state["depth"]
    return depth if isinstance(depth, int) else 0


def sleep(seconds: float) -> None:
    """``time.sleep`` that ends at once on an interrupt and then raises KeyboardInterrupt."""
    if _stop.wait(max(0.0, seconds)):
        raise KeyboardInterrupt(signal_name() or "interrupted")


def _handler(signum: int, frame: FrameType | None) -> None:
    request(signal.Signals(signum).name)
    count = int(str(_state["count"])) + 1
    _state["count"] = count
    on_signal = _state["on_signal"]
    if count == 1 and callable(on_signal):  # an event loop runs: cancel its task, gracefully
        on_signal()
        return
    if count != 2:  # the second one arrives while the first is being handled: let it finish
        raise KeyboardInterrupt(signal.Signals(signum).name)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, stopped gracefully by Ctrl-C or SIGTERM: the task is cancelled, so
    its ``finally`` blocks run in a live loop (browsers and Playwright's driver close), and
    KeyboardInterrupt is raised once it has ended.  Without :func:`handlers` (not the main
    thread, or no handlers installed) it is plain ``asyncio.run``."""
    import asyncio  # here: `arsync --help` imports this module and needs no event loop

    if threading.current_thread() is not threading.main_thread() or _depth() == 0:
        return asyncio.run(coro)
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        task = loop.create_task(coro)  # in a copy of this context: the log's run and stage
        _state["on_signal"] = lambda: loop.call_soon_threadsafe(task.cancel)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if requested():
                raise KeyboardInterrupt(signal_name() or "SIGINT") from None
            raise
        finally:
            _state["on_signal"] = None


@contextmanager
def handlers() -> Iterator[None]:
    """Install the SIGINT / SIGTERM handlers for the duration (main thread only; elsewhere a
    no-op); the previous handlers come back after.  The outermost use starts and ends with no
    interrupt noted (the CLI around a run, or a run called from Python): one interrupt stops
    one command, not the next one a long-lived process runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outermost = _depth() == 0
    if outermost:
        reset()
    _state["depth"] = _depth() + 1
    previous: dict[signal.Signals, Callable[[int, FrameType | None], object] | int | None] = {}
    for sig in _HANDLED:
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_DFL if old is None else old)
        _state["depth"] = _depth() - 1
        if outermost:
            reset()
