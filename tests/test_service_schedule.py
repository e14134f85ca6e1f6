"""The nightly runs on its schedule, in its time zone, with a clock the test moves (time-machine;
no sleeping): at its time, once; a nightly missed while the service was down runs once at
start-up within the grace period, and not when a nightly already ran since or the grace is
over."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import time_machine

from arsync.common.secrets import Secret
from arsync.service.app import create_app
from arsync.service.context import open_service
from arsync.service.schedule import Nightly
from arsync.service.server import BackgroundServer
from arsync.service.workers import Workers

SH = ZoneInfo("Asia/Shanghai")


class Launches:
    """A launch that counts, and lets the test wait for the scheduler's thread."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.event = threading.Event()

    def __call__(self) -> str:
        self.times.append(datetime.now(SH))
        self.event.set()
        return f"nightly-{len(self.times)}"


def test_the_nightly_fires_at_its_time_in_its_time_zone():
    launches = Launches()
    with time_machine.travel(datetime(2026, 11, 24, 1, 29, 50, tzinfo=SH), tick=False) as clock:
        nightly = Nightly("30 1 * * *", "Asia/Shanghai", 180, launches, lambda t: False)
        nightly.start()
        try:
            assert nightly.next_fire() == datetime(2026, 11, 24, 1, 30, tzinfo=SH)
            nightly.wakeup()
            assert not launches.event.wait(0.2) and launches.times == []  # 01:29:50: not yet
            clock.move_to(datetime(2026, 11, 24, 1, 30, 0, tzinfo=SH))
            nightly.wakeup()
            assert launches.event.wait(30), "the nightly did not fire at 01:30"
            assert launches.times == [datetime(2026, 11, 24, 1, 30, tzinfo=SH)]
            assert nightly.fired == ["nightly-1"]
            assert nightly.next_fire() == datetime(2026, 11, 25, 1, 30, tzinfo=SH)
        finally:
            nightly.shutdown()


def test_a_missed_nightly_runs_once_at_start_up_within_the_grace_period():
    ran_since: list[datetime] = []  # when a nightly started, as the run store would say
    launches = Launches()

    def started_since(t: datetime) -> bool:
        return any(s >= t for s in ran_since)

    def nightly() -> Nightly:
        return Nightly("30 1 * * *", "Asia/Shanghai", 180, launches, started_since)

    # down at 01:30, up at 03:00 (90 minutes later, grace 180): it runs now, once
    with time_machine.travel(datetime(2026, 11, 24, 3, 0, tzinfo=SH), tick=False):
        assert nightly().missed() == datetime(2026, 11, 24, 1, 30, tzinfo=SH)
        n = nightly()
        n.start()
        n.shutdown()
    assert len(launches.times) == 1
    ran_since.append(datetime(2026, 11, 24, 3, 0, tzinfo=SH))
    # up again at 03:30: the nightly of 01:30 has run since
    with time_machine.travel(datetime(2026, 11, 24, 3, 30, tzinfo=SH), tick=False):
        assert nightly().missed() is None
    # down at 01:30 the next day, up at 05:00 (210 minutes later): too late for that one
    with time_machine.travel(datetime(2026, 11, 25, 5, 0, tzinfo=SH), tick=False):
        assert nightly().missed() is None


class RecordingWorkers(Workers):
    """Workers that record what they were asked to start (the scheduler's side of the test)."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: list = []

    def start_run(self, spec):
        self.specs.append(spec)
        spec.folder.mkdir(parents=True, exist_ok=True)
        return spec.folder / "progress.log"


def test_the_service_starts_the_missed_nightly_in_a_worker_that_waits_for_the_lock(tmp_path):
    workers = RecordingWorkers()
    svc = open_service(
        overrides={
            "runs.out_dir": str(tmp_path),
            "service.nightly": "30 1 * * *",
            "runs.timezone": "Asia/Shanghai",
            "service.grace_minutes": 120,
        },
        workers=workers,
    )
    svc.users.add("sam", "supervisor", Secret("correct horse battery"))
    token = svc.credentials.issue_token("sam", "t")
    at_0215 = time_machine.travel(datetime(2026, 11, 24, 2, 15, tzinfo=SH), tick=False)
    with at_0215, BackgroundServer(create_app(svc)) as url:
        status = httpx.get(f"{url}/api/status", headers={"Authorization": f"Bearer {token}"})
    assert [s.kind for s in workers.specs] == ["nightly"]
    assert workers.specs[0].wait_lock_s == 120 * 60
    assert status.json()["next_nightly"] == "2026-11-25T01:30:00+08:00"
    started = svc.audit.recent(5, "run.start")
    assert started[0].target == workers.specs[0].run_id and started[0].username is None
