"""The run store: runs and stages recorded, one lock, a dead holder's lock taken over (also when
its PID was reused or it is another host's stale lock), a killed run marked dead."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date, timedelta

import psutil
import pytest

from arsync.common import clock
from arsync.jobs.pipeline import runstore
from arsync.jobs.pipeline.runstore import RunLocked, RunStore


@pytest.fixture
def store(store_url):
    return RunStore(store_url)


def test_runs_and_stages_are_recorded_in_order(store, tmp_path):
    store.start_run(
        "r1", "nightly", date(2026, 11, 23), {"customers": ["0000100001"]}, str(tmp_path)
    )
    store.start_stage("r1", "sap", 0)
    store.finish_stage("r1", "sap", "ok", 1.5, {"open_items": 10})
    store.start_stage("r1", "portals", 1)
    store.finish_stage("r1", "portals", "failed", 0.2, error="boom")
    store.finish_run("r1", "failed", "stage portals: boom")
    info = store.get("r1")
    assert info.status == "failed" and info.scope == {"customers": ["0000100001"]}
    assert [s["stage"] for s in info.stages] == ["sap", "portals"]
    assert info.stages[0]["counts"] == {"open_items": 10}
    assert info.finished_stages() == ["sap"]
    assert store.last_unfinished("nightly").run_id == "r1"
    assert store.last_unfinished("reconcile") is None


def test_a_finished_run_leaves_nothing_to_resume(store, tmp_path):
    store.start_run("r1", "nightly", date(2026, 11, 23), {}, str(tmp_path))
    store.finish_run("r1", "failed")
    store.start_run("r2", "nightly", date(2026, 11, 24), {}, str(tmp_path))
    store.finish_run("r2", "partial")
    assert store.last_unfinished("nightly") is None


def test_second_run_is_refused_while_the_lock_is_held(store):
    store.acquire("r1")
    with pytest.raises(RunLocked, match="run r1 holds the lock"):
        store.acquire("r2")
    store.release("r1")
    store.acquire("r2")
    store.release("r2")


def test_a_lock_left_by_a_dead_process_is_taken_over(store, store_url):
    # A child process takes the lock and dies without releasing it (as a killed run would).
    code = f"from arsync.jobs.pipeline.runstore import RunStore; RunStore({store_url!r}).acquire('dead-run')"
    subprocess.run([sys.executable, "-c", code], check=True)
    with store.engine.connect() as c:
        held = c.exec_driver_sql("select run_id from locks").scalar()
    assert held == "dead-run"
    store.acquire("r2")  # not refused: the holder is gone
    with store.engine.connect() as c:
        assert c.exec_driver_sql("select run_id from locks").scalar() == "r2"


def test_a_portal_accounts_outcome_is_recorded_once_per_run(store, tmp_path):
    store.start_run("r1", "nightly", date(2026, 11, 23), {}, str(tmp_path))
    first = {
        "portal": "gov-gd",
        "account": "a1",
        "outcome": "ok",
        "reason": "",
        "records": 45,
        "attempts": 1,
        "logged_in": True,
        "worker": "w1@host",
        "seconds": 2.5,
        "evidence": "x",
    }
    assert store.record_accounts("r1", [first]) == 1
    again = {**first, "outcome": "stale", "worker": "w2@host"}  # a re-delivered task's result
    other = {**first, "account": "a2", "outcome": "failed", "reason": "LayoutDriftError: ..."}
    assert store.record_accounts("r1", [again, other]) == 1
    rows = store.accounts("r1")
    assert [(r["account"], r["outcome"], r["worker"]) for r in rows] == [
        ("a1", "ok", "w1@host"),
        ("a2", "failed", "w1@host"),
    ]


# --- the lock names its process; runs whose process is gone are dead (issue 10, faults 7, 12) --


def plant_lock(store, run_id: str, **row) -> None:
    """A lock row as some process (maybe long gone, maybe on another host) left it."""
    values = {
        "name": "pipeline",
        "run_id": run_id,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "acquired_at": clock.now(),
        "process_started": psutil.Process().create_time(),
    } | row
    with store.engine.begin() as c:
        c.execute(runstore.locks.insert().values(**values))


def status_of(store, run_id: str) -> str:
    return store.get(run_id).status


def test_a_lock_whose_pid_now_belongs_to_another_process_is_taken_over(store, tmp_path):
    # The holder ran before a reboot; its PID is now ours (a live process, but not that one).
    store.start_run("before-reboot", "nightly", date(2026, 11, 23), {}, str(tmp_path))
    started = psutil.Process().create_time()
    plant_lock(store, "before-reboot", process_started=started - 3600)
    assert store.holder() is None  # free to take, as the service sees it
    store.acquire("r2")
    held = store.lock()
    assert (held.run_id, held.pid, held.state) == ("r2", os.getpid(), "running")
    assert held.process_started == pytest.approx(started, abs=1)
    info = store.get("before-reboot")
    assert info.status == "dead" and "now belongs to another process" in info.error


def test_the_same_process_still_running_keeps_its_lock(store):
    plant_lock(store, "r1")  # this very process, its start time as recorded
    with pytest.raises(RunLocked, match=r"run r1 holds the lock since .* wait for it to finish"):
        store.acquire("r2")


def test_another_hosts_lock_is_kept_until_it_is_stale(store_url):
    young = RunStore(store_url, lock_stale_hours=6)
    plant_lock(young, "r1", host="far-away-host", acquired_at=clock.now() - timedelta(hours=5))
    with pytest.raises(RunLocked, match=r"host far-away-host.*`arsync unlock`"):
        young.acquire("r2")
    with young.engine.begin() as c:
        c.execute(runstore.locks.update().values(acquired_at=clock.now() - timedelta(hours=7)))
    young.acquire("r2")
    assert young.lock().run_id == "r2"


def test_a_killed_run_does_not_stay_running(store, store_url, tmp_path):
    # A child process starts a run, holds the lock and is killed (it never finishes the run).
    code = (
        "import os, signal; from datetime import date; "
        "from arsync.jobs.pipeline.runstore import RunStore; "
        f"s = RunStore({store_url!r}); s.acquire('killed'); "
        f"s.start_run('killed', 'nightly', date(2026, 11, 23), {{}}, {str(tmp_path)!r}); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    info = store.recent(1)[0]
    assert (info.run_id, info.status) == ("killed", "dead")
    assert "no process" in info.error
    assert store.last_unfinished("nightly").run_id == "killed"  # --resume continues it
    store.acquire("killed")  # what --resume does
    assert store.resume("killed") == 2 and status_of(store, "killed") == "running"


def test_a_running_run_that_holds_the_lock_stays_running(store, tmp_path):
    store.acquire("r1")
    store.start_run("r1", "nightly", date(2026, 11, 23), {}, str(tmp_path))
    assert status_of(store, "r1") == "running"
    store.release("r1")  # what a run killed between its last stage and its end leaves
    assert status_of(store, "r1") == "dead"


@pytest.fixture
def cli_out(tmp_path, monkeypatch):
    monkeypatch.delenv("ARSYNC_CONFIG", raising=False)
    monkeypatch.delenv("ARSYNC_RUNS__STORE_URL", raising=False)
    return tmp_path


def test_arsync_unlock_removes_another_hosts_lock_after_confirmation(cli_out):
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli

    store = RunStore(f"sqlite:///{cli_out / 'runs.sqlite'}")
    store.start_run("r1", "nightly", date(2026, 11, 23), {}, str(cli_out))
    plant_lock(store, "r1", host="far-away-host")
    runner = CliRunner()

    no = runner.invoke(cli, ["unlock", "--out", str(cli_out)], input="n\n")
    assert no.exit_code == 1 and "run r1 holds the lock" in no.output and "Aborted" in no.output
    assert store.lock().run_id == "r1"

    yes = runner.invoke(cli, ["unlock", "--out", str(cli_out)], input="y\n")
    assert yes.exit_code == 0, yes.output
    assert "lock removed; run r1 is marked dead" in yes.output
    assert store.lock() is None and status_of(store, "r1") == "dead"
    runs = runner.invoke(cli, ["runs", "--out", str(cli_out)])
    assert "dead" in runs.output and "arsync unlock" in runs.output
    assert runner.invoke(cli, ["unlock", "--out", str(cli_out)]).output.strip() == (
        "the run lock is free"
    )


def test_arsync_unlock_refuses_a_run_that_is_running_here(cli_out):
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli

    store = RunStore(f"sqlite:///{cli_out / 'runs.sqlite'}")
    plant_lock(store, "r1")  # this process: running
    res = CliRunner().invoke(cli, ["unlock", "--out", str(cli_out), "--yes"])
    assert res.exit_code == 1 and "stop it" in res.output
    assert store.lock().run_id == "r1"
