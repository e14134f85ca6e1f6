"""Portal accounts as Celery tasks on a Redis broker (``portals.executor = "celery"``).

The run (:func:`fetch_celery`) sends one task per account — the job of :mod:`.account_job`:
bound declaration, numbers, day — and waits, up to ``celery.deadline_s``, for the accounts'
results to be committed in the run folder; an account without one by then is ``stale`` (its
items keep the last known status).  ``arsync worker`` (:func:`run_worker`) runs the tasks: one
browser per worker process, at most ``--concurrency`` accounts at once (Celery's thread pool;
the threads hand their fetches to the one event loop that owns the browser).

Delivery: tasks are acknowledged late (after the commit) with a prefetch of one.  A worker
that dies mid-task never acknowledges, so Redis hands the task to another worker once it has
been invisible for ``celery.visibility_timeout_s``; a live worker renews the visibility of the
tasks it runs every ``celery.heartbeat_s`` (kombu keeps the delivery time of every unacked
message in the ``unacked_index`` sorted set: renewing is re-scoring it), so a long fetch is
never handed out twice while its worker lives.  A second delivery that finds the account
committed returns without fetching; one that races a commit loses it (see account_job).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from loguru import logger

from arsync.common.errors import ConfigError

from . import account_job as aj
from .definitions import Account, Portal, accounts_of
from .runner import Outcome, PortalFetch

TASK = "arsync.portals.fetch_account"
POLL_S = 0.2


def make_app(settings):
    """The Celery app of ``settings.celery`` (broker, queue, late acknowledgement)."""
    try:
        from celery import Celery
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError("Celery is missing: pip install 'celery[redis]'") from None
    c = settings.celery
    app = Celery("arsync", broker=c.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=c.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": c.visibility_timeout_s,
            "unacked_restore_interval": c.restore_interval_s,
            "unacked_restore_throttle": 1,
        },
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
    )
    app.task(
        name=TASK,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        Request=_renewed_request(),
    )(_fetch_account)
    return app


def _renewed_request():
    """Celery's request of one task message, whose delivery our heartbeat renews from the
    moment the worker takes the message until it is acknowledged (or rejected)."""
    from celery.worker.request import Request

    class Renewed(Request):
        def __init__(self, message, *args, **kwargs) -> None:
            super().__init__(message, *args, **kwargs)
            if _WORKER is not None:
                _WORKER.beat.add(message.delivery_tag)

        def acknowledge(self) -> None:
            try:
                super().acknowledge()
            finally:
                self._done()

        def reject(self, requeue: bool = False) -> None:
            try:
                super().reject(requeue=requeue)
            finally:
                self._done()

        def _done(self) -> None:
            if _WORKER is not None:
                _WORKER.beat.discard(self._message.delivery_tag)

    return Renewed


# --- the run's side ---------------------------------------------------------------------------


def fetch_celery(
    settings,
    portals: Sequence[Portal],
    *,
    out_dir: str | Path,
    invoice_numbers=None,
    today: date | None = None,
    progress: Callable[[Outcome], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> PortalFetch:
    """Every account of ``portals`` fetched by the workers; one outcome each, records in
    declaration order.  Accounts this run committed before (a resumed stage) are not sent."""
    from . import records

    folder = Path(out_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    c = settings.celery
    pairs: list[tuple[Portal, Account]] = [(p, a) for p in portals for a in accounts_of(p)]
    results: dict[tuple[str, str], Outcome] = {}
    for p, a in pairs:
        done = aj.committed(folder, p.id, a.id)
        if done is not None:
            results[(p.id, a.id)] = done
    pending = {(p.id, a.id) for p, a in pairs} - set(results)
    deadline = clock() + c.deadline_s
    unsent = ""
    if pending:
        unsent = _send(
            settings,
            [(p, a) for p, a in pairs if (p.id, a.id) in pending],
            folder,
            invoice_numbers,
            today,
        )
    while pending and not unsent and clock() < deadline:
        for key in sorted(pending):
            o = aj.committed(folder, *key)
            if o is not None:
                results[key] = o
                pending.discard(key)
                if progress:
                    progress(o)
        if pending:
            sleep(POLL_S)
    for pid, aid in sorted(pending):
        why = (
            unsent
            or f"no worker finished it within {c.deadline_s:g} s (is `arsync worker` running?)"
        )
        o = Outcome(pid, aid, "stale", reason=why)
        results[(pid, aid)] = o
        if progress:
            progress(o)
    if not pending:
        import shutil

        shutil.rmtree(folder / aj.STAGING, ignore_errors=True)  # what killed workers left
    frames = [
        aj.committed_records(folder, p.id, a.id)
        for p, a in pairs
        if results[(p.id, a.id)].outcome == "ok"
    ]
    frames = [f for f in frames if len(f)]
    recs = pd.concat(frames, ignore_index=True) if frames else records.frame([])
    return PortalFetch(recs, [results[(p.id, a.id)] for p, a in pairs])


def _send(settings, pairs, folder: Path, invoice_numbers, today) -> str:
    """Publish one task per account; '' when sent, else why not (the accounts go stale)."""
    c = settings.celery
    app = make_app(settings)
    expires = datetime.now(UTC) + timedelta(seconds=c.deadline_s)
    try:
        with app.producer_or_acquire() as producer:
            for p, a in pairs:
                job = aj.make_job(settings, p, a, folder, invoice_numbers, today)
                app.send_task(
                    TASK,
                    args=[job.to_message()],
                    queue=c.queue,
                    expires=expires,
                    task_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{folder}/{p.id}/{a.id}")),
                    producer=producer,
                )
    except ConfigError:
        raise
    except Exception as exc:  # broker down, refused, unknown host
        logger.warning("celery broker: {}", exc)
        return f"the Celery broker cannot be reached ({type(exc).__name__}); no account was sent"
    finally:
        app.close()
    return ""


# --- the worker's side ------------------------------------------------------------------------


class _Worker:
    """What one worker process holds: its settings, one browser on one event loop, the
    heartbeat that renews its running tasks' visibility."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="browser", daemon=True)
        self._thread.start()
        self._browser: Any = None
        self._launch: Any = None
        self._lock: asyncio.Lock | None = None
        self.beat = _Heartbeat(settings)

    def run(self, job: aj.AccountJob, worker: str) -> Outcome:
        fut = asyncio.run_coroutine_threadsafe(self._run(job, worker), self.loop)
        return fut.result()

    async def _run(self, job: aj.AccountJob, worker: str) -> Outcome:
        browser = await self._ensure_browser()
        return await aj.run_job(self.settings, browser, job, worker=worker)

    async def _ensure_browser(self):
        from .browser import launch

        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                if self._launch is not None:
                    with contextlib.suppress(Exception):
                        await self._launch.__aexit__(None, None, None)
                self._launch = launch(self.settings)
                self._browser = await self._launch.__aenter__()
            return self._browser

    def close(self) -> None:
        self.beat.stop()
        if self._launch is not None:
            fut = asyncio.run_coroutine_threadsafe(
                self._launch.__aexit__(None, None, None), self.loop
            )
            with contextlib.suppress(Exception):
                fut.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)


class _Heartbeat:
    """Re-scores this worker's unacknowledged deliveries in kombu's ``unacked_index`` so that
    the broker does not hand them to another worker while we are alive."""

    KEY = "unacked_index"

    def __init__(self, settings) -> None:
        self.url, self.every = settings.celery.broker_url, settings.celery.heartbeat_s
        self.tags: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: Any = None

    def add(self, tag: str | None) -> None:
        if not tag:
            return
        with self._lock:
            self.tags.add(tag)
            if self._thread is None:
                import redis

                self._client = redis.Redis.from_url(self.url)
                self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
                self._thread.start()

    def discard(self, tag: str | None) -> None:
        with self._lock:
            self.tags.discard(tag)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                tags = list(self.tags)
            if not tags:
                continue
            try:
                self._client.zadd(self.KEY, dict.fromkeys(tags, time.time()), xx=True)
            except Exception as exc:  # the broker is away for a moment: try next beat
                logger.warning("heartbeat: {}", exc)

    def stop(self) -> None:
        self._stop.set()


_WORKER: _Worker | None = None


def _fetch_account(task, message: dict) -> dict:
    """The Celery task: fetch one account in this worker's browser and commit it."""
    if _WORKER is None:
        raise RuntimeError("the portal task runs only inside `arsync worker`")
    job = aj.AccountJob.from_message(message)
    o = _WORKER.run(job, task.request.hostname or aj.worker_name())
    return {"portal": o.portal, "account": o.account, "outcome": o.outcome}


def run_worker(settings, *, concurrency: int | None = None, name: str | None = None) -> None:
    """Run a worker until it is stopped (SIGTERM/SIGINT: the running accounts finish first)."""
    global _WORKER
    from celery.signals import worker_shutdown

    app = make_app(settings)
    _WORKER = _Worker(settings)

    def closing(**_: Any) -> None:
        if _WORKER is not None:
            _WORKER.close()

    worker_shutdown.connect(closing, weak=False)
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency or settings.portals.concurrency}",
        f"--queues={settings.celery.queue}",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    if name:
        argv.append(f"--hostname={name}")
    app.worker_main(argv)
