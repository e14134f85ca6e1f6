"""The run store: runs and stages recorded, one lock, a dead holder's lock taken over."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

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
