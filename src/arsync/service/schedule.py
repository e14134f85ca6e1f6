"""The nightly on a schedule: APScheduler 3's cron trigger in the configured time zone.

``service.nightly`` is a 5-field cron expression read in ``service.timezone``.  At its time the
scheduler starts the nightly in a worker process (:func:`arsync.service.actions.start_run`);
the worker waits up to ``service.grace_minutes`` for a run in progress (the run store's lock,
which CLI runs take too), so two runs never overlap and the nightly is not lost to an on-demand
run.  A nightly missed while the service was down runs once at start-up when its time is at
most ``grace_minutes`` ago and no nightly started since (the run store is asked, so a nightly
run by hand from the CLI counts).  APScheduler's own misfire handling would need its pickled
job store; the run store already knows which nightlies ran.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from loguru import logger


class Nightly:
    """The schedule of one service.  ``launch()`` starts a nightly and returns its run id;
    ``started_since(t)`` tells whether a nightly started at or after the aware time ``t``."""

    def __init__(
        self,
        cron: str,
        timezone: str,
        grace_minutes: int,
        launch: Callable[[], str],
        started_since: Callable[[datetime], bool],
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self.trigger = CronTrigger.from_crontab(cron, timezone=self.tz)
        self.grace = timedelta(minutes=grace_minutes)
        self.launch, self.started_since = launch, started_since
        self.scheduler = BackgroundScheduler(timezone=self.tz)
        self.job = self.scheduler.add_job(
            self.fire,
            self.trigger,
            id="nightly",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(self.grace.total_seconds())),
        )
        self.fired: list[str] = []

    def start(self) -> None:
        """Run a missed nightly (once), then follow the schedule."""
        missed = self.missed()
        if missed is not None:
            logger.warning("the nightly of {} was missed; running it now", missed)
            self.fire()
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def fire(self) -> None:
        try:
            self.fired.append(self.launch())
        except Exception:  # the scheduler thread must survive a failed launch; it is logged
            logger.exception("the scheduled nightly could not be started")

    def next_fire(self) -> datetime | None:
        """When the nightly runs next (aware, in the configured zone)."""
        if self.scheduler.running:
            return self.scheduler.get_job("nightly").next_run_time
        return self.trigger.get_next_fire_time(None, datetime.now(self.tz))

    def missed(self, now: datetime | None = None) -> datetime | None:
        """The latest scheduled time in the grace period before ``now`` with no nightly started
        since, or ``None``."""
        now = now or datetime.now(self.tz)
        t = self.trigger.get_next_fire_time(None, now - self.grace)
        latest = None
        while t is not None and t <= now:
            latest = t
            t = self.trigger.get_next_fire_time(t, t + timedelta(seconds=1))
        if latest is None or self.started_since(latest):
            return None
        return latest

    def wakeup(self) -> None:
        """Look at the clock again now (tests move the clock, then call this)."""
        self.scheduler.wakeup()
