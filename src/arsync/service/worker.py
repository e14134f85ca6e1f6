"""The worker process: ``python -m arsync.service.worker run|login|send SPEC_JSON``.

Started by :class:`arsync.service.workers.Workers`; prints its progress (the pipeline's lines)
to stdout, which the launcher sends to ``progress.log``.  Exit code 0 done, 1 failed, 75 (the
sysexits "try again later") when the run lock stayed taken, 130 / 143 when SIGINT / SIGTERM
stopped the run (marked ``interrupted``; ``--resume`` continues it).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

EXIT_LOCKED = 75


def main(argv: list[str]) -> int:
    from arsync.common import logs

    # the pipeline's lines come through ``echo``; the log adds warnings, secrets masked
    logs.console(quiet=True)
    what, raw = argv[0], argv[1]
    # Runs yield the CPU to the web process (and its browsers inherit this): pages stay quick.
    with contextlib.suppress(OSError):
        os.nice(10)
    if what == "run":
        return _run(json.loads(raw))
    if what == "login":
        return _login(json.loads(raw))
    if what == "send":
        return _send(json.loads(raw))
    print(f"unknown worker task {what!r}", file=sys.stderr)
    return 2


def _run(spec: dict) -> int:
    from arsync.common.errors import ArsyncError
    from arsync.config import load_settings
    from arsync.jobs.pipeline.run import run
    from arsync.jobs.pipeline.runstore import RunLocked
    from arsync.jobs.pipeline.sources import FileSource, Scope

    settings = load_settings(spec["config_path"], overrides=spec["overrides"])
    deadline = time.monotonic() + float(spec.get("wait_lock_s") or 0)
    while True:
        try:
            res = run(
                settings,
                kind=spec["kind"],
                as_of=date.fromisoformat(spec["as_of"]) if spec["as_of"] else None,
                scope=Scope.from_dict(spec["scope"]),
                files=FileSource(Path(spec["files"])) if spec["files"] else None,
                worksheets=spec["worksheets"],
                out_dir=spec["out_dir"],
                run_id=spec["run_id"],
                echo=lambda line: print(line, flush=True),
            )
        except RunLocked as exc:
            if time.monotonic() >= deadline:
                print(f"not started: {exc}", flush=True)
                return EXIT_LOCKED
            print(f"waiting: {exc}", flush=True)
            # another run is in progress: the scheduled nightly waits its turn
            time.sleep(float(spec.get("lock_poll_s") or 30))
            continue
        except ArsyncError as exc:
            print(f"failed: {exc}", flush=True)
            return 1
        except KeyboardInterrupt as exc:  # SIGTERM / SIGINT: the run is marked interrupted
            from arsync.common import interrupt

            sig = getattr(exc, "signal", None) or "SIGINT"
            print(f"interrupted: {exc}", flush=True)
            return interrupt.exit_status(sig)
        print(f"run {res.run_id}: {res.status}", flush=True)
        return 0


def _send(spec: dict) -> int:
    """Send the approved messages of the outbox (``arsync outbox send`` from a page)."""
    from arsync.common.errors import ArsyncError
    from arsync.config import load_settings
    from arsync.jobs.pipeline.runstore import RunStore
    from arsync.jobs.pipeline.sending import send_approved

    settings = load_settings(spec["config_path"], overrides=spec["overrides"])
    try:
        report = send_approved(
            RunStore.for_settings(settings), settings, echo=lambda line: print(line, flush=True)
        )
    except ArsyncError as exc:
        print(f"failed: {exc}", flush=True)
        return 1
    for line in report.lines():
        print(line, flush=True)
    return 0


def _login(spec: dict) -> int:
    from arsync.service.portal_login import run_login

    return run_login(spec)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
