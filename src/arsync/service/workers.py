"""Runs and portal logins in worker processes, never in the web process.

A process per run: the web process starts ``python -m arsync.service.worker`` with the run's
parameters and returns at once; the run store is the state both sides read (runs, stages,
the lock, portal logins), and the worker's output goes to ``progress.log`` in the run folder.
Why not a queue (Celery, RQ): the run lock allows one run at a time anyway, so a broker would
add a moving part (Redis) and buy nothing; a fresh interpreter per run also gives its memory
back when it ends.  A run survives a restart of the web process only as far as the run store
goes: a worker killed with the service leaves its run ``running`` with a dead lock holder, and
``--resume`` (or the next start) takes over.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LOG = "progress.log"


@dataclass(frozen=True)
class RunSpec:
    """What a worker needs to start one pipeline run (JSON on its command line; no secret)."""

    run_id: str
    kind: str  # nightly | reconcile | files
    out_dir: str
    as_of: str | None = None
    scope: dict[str, list[str]] = field(default_factory=dict)
    files: str | None = None
    worksheets: bool = False
    wait_lock_s: float = 0.0  # the scheduled nightly waits this long for a run in progress
    lock_poll_s: float = 30.0  # and asks for the lock again this often
    config_path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The run folder the pipeline uses (``<out_dir>/runs/<run_id>``)."""
        return Path(self.out_dir).resolve() / "runs" / self.run_id


@dataclass(frozen=True)
class LoginSpec:
    login_id: str
    account: str  # portal/account
    config_path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    wait_s: float = 600.0


class Workers:
    """Starts worker processes and remembers them (to reap them and to tell a run that never
    started from one still starting)."""

    def __init__(self, python: str = sys.executable, env: dict[str, str] | None = None) -> None:
        self.python = python
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}

    def start_run(self, spec: RunSpec) -> Path:
        """Start the run's worker; returns its log file."""
        spec.folder.mkdir(parents=True, exist_ok=True)
        log = spec.folder / LOG
        self._spawn(spec.run_id, ["run", json.dumps(asdict(spec))], log)
        return log

    def start_send(self, key: str, spec: dict[str, Any], log: Path) -> None:
        """Send the outbox's approved messages in a worker (the rate limits may make it wait)."""
        log.parent.mkdir(parents=True, exist_ok=True)
        self._spawn(key, ["send", json.dumps(spec)], log)

    def start_login(self, spec: LoginSpec, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self._spawn(spec.login_id, ["login", json.dumps(asdict(spec))], log)

    def _spawn(self, key: str, args: list[str], log: Path) -> None:
        self.reap()
        with open(log, "ab") as fh:
            self.procs[key] = subprocess.Popen(
                [self.python, "-m", "arsync.service.worker", *args],
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=self.env if self.env is not None else {**os.environ, "PYTHONUNBUFFERED": "1"},
                close_fds=True,
            )

    def exit_code(self, key: str) -> int | None:
        """The worker's exit code once it ended; ``None`` while it runs or when unknown."""
        p = self.procs.get(key)
        return None if p is None else p.poll()

    def known(self, key: str) -> bool:
        return key in self.procs

    def reap(self) -> None:
        for p in self.procs.values():
            p.poll()

    def wait_all(self, timeout: float | None = None) -> None:
        """Wait for every worker (tests and shutdown)."""
        for p in self.procs.values():
            p.wait(timeout)
