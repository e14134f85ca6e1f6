"""Portal accounts as Celery tasks: two real `arsync worker` processes on a Redis broker fetch
every account once, with the same records as the local executor; a worker killed mid-task has
its account fetched by the other, which uses the session the first one saved (no new login);
an account nobody fetches by the deadline is STALE.

Redis: ARSYNC_TEST_REDIS_URL when set (.ci/run sets it), else a redis-server of the test's
own; skipped only when no redis-server exists.  Each test has a queue of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from cryptography.fernet import Fernet

from arsync.config import load_settings
from arsync.connectors import portals as P
from arsync.connectors.portals import account_job
from arsync.connectors.portals.sessions import SessionStore
from arsync.jobs.pipeline.sources import sandbox_portals, sandbox_search_numbers
from arsync.sandbox.portals import Faults
from arsync.sandbox.tiny_portals import tiny_world

pytestmark = pytest.mark.browser

TODAY = date(2026, 11, 23)
WAIT_S = 240  # upper bound for any wait below (a loaded 2-core machine is slow, never stuck)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    given = os.environ.get("ARSYNC_TEST_REDIS_URL")
    if given:
        yield given
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("Celery executor: no redis-server (apt-get install redis-server)")
    port, d = _free_port(), tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(d)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        until = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > until:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Workers:
    """`arsync worker` processes of one test, each in its own process group (with its browser)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, name: str, concurrency: int = 2) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "arsync",
                "worker",
                f"--concurrency={concurrency}",
                f"--name={name}@test",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, *names: str) -> None:
        until = time.monotonic() + WAIT_S
        for n in names:
            while b" ready." not in (self.logs / f"{n}.log").read_bytes():
                assert self.procs[n].poll() is None, (self.logs / f"{n}.log").read_text()
                assert time.monotonic() < until, f"worker {n} not ready"
                time.sleep(0.1)

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(30)

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)


@pytest.fixture
def celery_env(redis_url, tmp_path):
    """Settings of the run and the environment of its workers: one broker, one queue of the
    test's own, one shared session folder and key; short visibility timeout for the kill."""
    conf = {
        "celery.broker_url": redis_url,
        "celery.queue": f"arsync-test-{uuid.uuid4().hex[:8]}",
        "celery.visibility_timeout_s": 8,
        "celery.heartbeat_s": 1,
        "celery.restore_interval_s": 1,
        "portals.session_dir": str(tmp_path / "sessions"),
        "portals.retry.attempts": 2,
        "portals.retry.initial": 0.0,
        "portals.retry.maximum": 0.0,
    }
    key = Fernet.generate_key().decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSYNC_")}
    env |= {"ARSYNC_" + k.upper().replace(".", "__"): str(v) for k, v in conf.items()}
    env["ARSYNC_SESSION_KEY"] = key
    os.environ["ARSYNC_SESSION_KEY"] = key  # the run seals sandbox passwords with it
    workers = Workers(env, tmp_path)
    try:
        yield conf, workers
    finally:
        workers.stop_all()
        os.environ.pop("ARSYNC_SESSION_KEY", None)


def run_settings(conf, **over):
    return load_settings(environ={}, overrides={**conf, "portals.executor": "celery", **over})


def journal(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / account_job.JOURNAL).read_text().splitlines()]


def comparable(records: pd.DataFrame, folder: Path) -> pd.DataFrame:
    df = records.drop(columns=["fetched_at"]).copy()
    df["evidence"] = [str(Path(e).relative_to(folder)) for e in df["evidence"]]
    return df.sort_values(["portal", "account", "record_id"]).reset_index(drop=True)


def test_two_workers_fetch_every_account_once_with_the_local_executors_records(
    celery_env, tmp_path
):
    conf, workers = celery_env
    world = tiny_world(accounts=2)
    workers.start("a")
    workers.start("b")
    with sandbox_portals(list(P.load_definitions().values()), world) as (defs, _):
        numbers = sandbox_search_numbers(world)
        local = P.fetch(
            load_settings(
                environ={}, overrides={**conf, "portals.session_dir": str(tmp_path / "own")}
            ),
            defs,
            out_dir=tmp_path / "local",
            invoice_numbers=numbers,
            today=TODAY,
        )
        workers.wait_ready("a", "b")
        seen = []
        res = P.fetch(
            run_settings(conf),
            defs,
            out_dir=tmp_path / "celery",
            invoice_numbers=numbers,
            today=TODAY,
            progress=seen.append,
        )
    n = len(world.portal_accounts)
    assert [o.outcome for o in res.outcomes] == ["ok"] * n
    assert len(seen) == n
    events = journal(tmp_path / "celery")
    starts = Counter((e["portal"], e["account"]) for e in events if e["event"] == "start")
    commits = Counter((e["portal"], e["account"]) for e in events if e["event"] == "commit")
    assert set(starts.values()) == {1} and set(commits.values()) == {1} and len(commits) == n
    assert {o.worker.split("@")[0] for o in res.outcomes} == {"a", "b"}  # both worked
    pd.testing.assert_frame_equal(
        comparable(res.records, tmp_path / "celery"), comparable(local.records, tmp_path / "local")
    )
    # every record's evidence file is where it says, in the run folder
    assert all(Path(e).is_file() for e in res.records["evidence"])
    assert not (tmp_path / "celery" / account_job.STAGING).exists()


def test_a_worker_killed_mid_task_has_its_account_fetched_by_the_other_without_a_new_login(
    celery_env, tmp_path
):
    conf, workers = celery_env
    world = tiny_world(accounts=1)
    # hosp-sh's list requests are held unanswered: whoever takes its account is stuck there,
    # logged in (the session saved), until we kill that worker
    faults = {"hosp-sh": Faults(stall_every=1)}
    workers.start("a")
    workers.start("b")
    workers.wait_ready("a", "b")
    folder = tmp_path / "run"
    settings = run_settings(conf, **{"portals.timeout_ms": 120_000})
    with sandbox_portals(list(P.load_definitions().values()), world, faults=faults) as (defs, h):
        numbers = sandbox_search_numbers(world)
        got: list = []
        t = threading.Thread(
            target=lambda: got.append(
                P.fetch(settings, defs, out_dir=folder, invoice_numbers=numbers, today=TODAY)
            )
        )
        t.start()
        sessions = SessionStore(conf["portals.session_dir"])
        until = time.monotonic() + WAIT_S
        holder = None
        while holder is None:
            assert time.monotonic() < until, "nobody started hosp-sh"
            if (folder / account_job.JOURNAL).exists():
                started = [e for e in journal(folder) if e["event"] == "start"]
                mine = [e for e in started if e["portal"] == "hosp-sh"]
                if mine and sessions.path("hosp-sh", mine[0]["account"]).exists():
                    holder = mine[0]
            time.sleep(0.05)
        killed = holder["worker"].split("@")[0]
        workers.kill(killed)
        h.sims["hosp-sh"].faults = Faults()  # the portal answers again
        t.join(WAIT_S)
        assert not t.is_alive()
    (res,) = got
    assert [o.outcome for o in res.outcomes] == ["ok"] * len(world.portal_accounts)
    by = {(o.portal, o.account): o for o in res.outcomes}
    again = by[("hosp-sh", holder["account"])]
    assert again.worker.split("@")[0] != killed  # the other worker fetched it
    assert not again.logged_in  # with the session the killed worker had saved
    commits = Counter(
        (e["portal"], e["account"]) for e in journal(folder) if e["event"] == "commit"
    )
    assert set(commits.values()) == {1} and len(commits) == len(world.portal_accounts)
    assert len(res.records[res.records["portal"] == "hosp-sh"]) == len(
        world.portal_records[world.portal_records["portal"] == "hosp-sh"]
    )


def test_accounts_no_worker_fetches_by_the_deadline_are_stale(celery_env, tmp_path):
    conf, _ = celery_env  # no worker started
    world = tiny_world(accounts=1)
    with sandbox_portals(list(P.load_definitions().values()), world) as (defs, _):
        from arsync.connectors.portals.distributed import fetch_celery

        now = [0.0]

        res = fetch_celery(
            run_settings(conf, **{"celery.deadline_s": 1.0}),
            defs,
            out_dir=tmp_path / "run",
            invoice_numbers=sandbox_search_numbers(world),
            today=TODAY,
            # a clock of our own: the deadline passes without waiting for it
            sleep=lambda s: now.__setitem__(0, now[0] + s),
            clock=lambda: now[0],
        )
    assert {o.outcome for o in res.outcomes} == {"stale"}
    assert "no worker finished it within 1 s" in res.outcomes[0].reason
    assert res.records.empty


def test_a_nightly_on_celery_workers_equals_the_local_nightly_and_records_each_account_once(
    celery_env, tmp_path, store_url
):
    from arsync.jobs.pipeline.run import run
    from arsync.jobs.pipeline.runstore import RunStore

    conf, workers = celery_env
    workers.start("a")
    workers.start("b")
    base = {"sandbox.size": "tiny", "runs.store_url": store_url}

    def worklist(res):
        df = pd.read_parquet(res.folder / "reconcile" / "worklist.parquet")
        return df.drop(columns=["status_age_days"]).reset_index(drop=True)

    local = run(
        load_settings(environ={}, overrides={**conf, **base, "runs.out_dir": str(tmp_path / "l")}),
        as_of=TODAY,
        echo=lambda _: None,
    )
    workers.wait_ready("a", "b")
    s = run_settings(conf, **base, **{"runs.out_dir": str(tmp_path / "c")})
    res = run(s, as_of=TODAY, echo=lambda _: None)
    assert res.status == "ok" and local.status == "ok"
    pd.testing.assert_frame_equal(worklist(res), worklist(local))
    rows = RunStore(store_url).accounts(res.run_id)
    outcomes = pd.read_parquet(res.folder / "portals" / "portal_outcomes.parquet")
    assert len(rows) == len(outcomes) and {r["outcome"] for r in rows} == {"ok"}
    assert {r["worker"].split("@")[0] for r in rows} <= {"a", "b"}
    assert RunStore(store_url).record_accounts(res.run_id, rows) == 0  # once per account
