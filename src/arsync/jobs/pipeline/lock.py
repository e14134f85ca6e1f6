"""Whether the holder of the run lock is still the process running, from its lock row.

A lock row names its holder by host, PID and the process's start time.  On the same host the
holder is *gone* when no process has that PID, or the process that has it started at another
time (the PID was reused, e.g. after a reboot), or it is a zombie.  A holder on another host
cannot be asked: it is *gone* once its lock is older than ``runs.lock_stale_hours``; before that
only an operator can say so (``arsync unlock``).  Process start times come from psutil.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psutil

from arsync.common import clock

#: Start times of one process read twice differ by rounding only (psutil: clock ticks since boot).
SAME_PROCESS_S = 1.0


@dataclass(frozen=True)
class Holder:
    """The lock's holder and what is known of it: ``running``, ``gone`` or (another host, lock
    younger than the stale age) ``unknown``; ``why`` says how that was found, in words."""

    run_id: str
    host: str
    pid: int
    process_started: float | None
    acquired_at: datetime
    state: str
    why: str

    @property
    def gone(self) -> bool:
        return self.state == "gone"

    def describe(self) -> str:
        """``run R holds the lock since T (host H, pid P)``."""
        since = f"{self.acquired_at:%Y-%m-%d %H:%M:%S}"
        return f"run {self.run_id} holds the lock since {since} (host {self.host}, pid {self.pid})"


def this_process() -> dict[str, Any]:
    """Host, PID and start time of the calling process, as a lock row holds them."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "process_started": process_started(os.getpid()),
    }


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or ``None`` when there is none (or only
    its zombie)."""
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return None
        return p.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:  # someone else's process: it exists, its start time is hidden
        return float("nan")


def judge(row: Any, *, now: datetime, stale_after: timedelta) -> Holder:
    """The :class:`Holder` of a lock row (a mapping with the ``locks`` columns)."""
    base = {
        k: row[k] for k in ("run_id", "host", "pid", "process_started", "acquired_at") if k in row
    }
    base.setdefault("process_started", None)
    if row["host"] != socket.gethostname():
        age = now - row["acquired_at"]
        if age > stale_after:
            hours = stale_after.total_seconds() / 3600
            return Holder(
                **base,
                state="gone",
                why=f"another host's lock, older than runs.lock_stale_hours ({hours:g} h)",
            )
        return Holder(**base, state="unknown", why="another host: its process cannot be checked")
    started = process_started(row["pid"])
    if started is None:
        return Holder(**base, state="gone", why=f"no process {row['pid']} on this host")
    recorded = row["process_started"]
    if recorded is None or started != started:  # a lock from before start times were kept
        return Holder(**base, state="running", why=f"process {row['pid']} is running")
    if abs(started - recorded) > SAME_PROCESS_S:
        return Holder(
            **base,
            state="gone",
            why=f"pid {row['pid']} now belongs to another process (started "
            f"{clock.wall(started):%Y-%m-%d %H:%M:%S}): the holder is gone",
        )
    return Holder(**base, state="running", why=f"process {row['pid']} is running")
