"""Runs started through `arsync serve` happen in worker processes: the service answers while a
run goes on, the run shows its stages and ends with its files to download; a run in progress
(also one started from the CLI) keeps a second one from starting; uploaded export files make
a file run."""

from __future__ import annotations

import contextlib
import os
import subprocess
from datetime import date

import httpx
import pytest
from python_calamine import CalamineWorkbook

from arsync.common.secrets import Secret
from arsync.jobs.pipeline.runstore import RunStore
from arsync.reports.export import write_frames
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames
from arsync.service import actions
from arsync.service.app import create_app
from arsync.service.context import open_service
from arsync.service.server import BackgroundServer

AS_OF = date(2026, 11, 23)
# 0000100001 (collector C1) pays through no portal: a narrowed run needs no browser.
CUSTOMER = "100001"


@pytest.fixture(scope="module")
def service(tmp_path_factory, module_store_url):
    out = tmp_path_factory.mktemp("svc-runs")
    svc = open_service(
        overrides={
            "runs.out_dir": str(out),
            "sandbox.size": "tiny",
            "runs.store_url": module_store_url,
        }
    )
    svc.users.add("olga", "ops", Secret("correct horse battery"))
    token = svc.credentials.issue_token("olga", "test")
    with BackgroundServer(create_app(svc, schedule=False)) as url:
        yield (
            svc,
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30),
        )


def test_a_narrowed_run_goes_to_a_worker_and_the_service_answers_meanwhile(service):
    svc, api = service
    r = api.post("/api/runs", json={"customers": [CUSTOMER], "as_of": AS_OF.isoformat()})
    assert r.status_code == 202
    run_id = r.json()["run_id"]
    worker = svc.workers.procs[run_id]
    assert worker.pid != os.getpid()
    # while the worker runs, the pages and the API answer: the run does not hold the web
    # process (how fast they answer meanwhile is measured by bench/bench_service.py)
    during = []
    while worker.poll() is None:
        state = api.get(f"/api/runs/{run_id}").json()
        assert api.get("/", follow_redirects=False).status_code == 200
        during.append(state["status"])
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(0.5)  # wait on the worker, then ask again
    assert {"starting", "running"} & set(during), during
    assert worker.returncode == 0
    state = api.get(f"/api/runs/{run_id}").json()
    assert state["status"] == "ok" and state["done"]
    assert state["scope"] == {"customers": [CUSTOMER]}
    assert [s["stage"] for s in state["stages"]] == [
        "sap",
        "portals",
        "reconcile",
        "history",
        "statements",
        "worksheets",
        "reports",
        "notify",
        "summary",
    ]
    assert all(s["status"] == "ok" for s in state["stages"])
    assert any("run " + run_id in line for line in state["lines"])
    listed = {d["path"]: d for d in api.get("/api/downloads").json()}
    assert listed["worksheets/C1.xlsx"]["kind"] == "worksheet"
    assert f"runs/{run_id}/summary.txt" in listed
    book = api.get("/api/downloads/worksheets/C1.xlsx")
    path = svc.out / "check-C1.xlsx"
    path.write_bytes(book.content)
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(
        next(n for n in wb.sheet_names if "Open" in n or "未清" in n)
    ).to_python()
    assert any("0000100001" in [str(c) for c in row] for row in rows[1:])
    started = [e for e in svc.audit.recent(20, "run.start") if e.target == run_id]
    assert (
        started
        and started[0].username == "olga"
        and started[0].detail["scope"] == {"customers": [CUSTOMER]}
    )


def test_a_run_in_progress_elsewhere_keeps_a_second_one_from_starting(service):
    svc, api = service
    cli_store = RunStore(svc.store.url)  # e.g. `arsync nightly` from a terminal, this process
    cli_store.acquire("cli-nightly")
    try:
        r = api.post("/api/runs", json={"customers": [CUSTOMER]})
        assert r.status_code == 409 and "cli-nightly" in r.json()["detail"]
        assert api.get("/api/status").json()["holder"]["run_id"] == "cli-nightly"
    finally:
        cli_store.release("cli-nightly")


def test_a_narrowed_run_without_a_scope_is_refused(service):
    _, api = service
    r = api.post("/api/runs", json={"kind": "reconcile"})
    assert r.status_code == 400


def test_uploaded_export_files_make_a_file_run(service, tmp_path):
    svc, api = service
    frames = world_frames(World.tiny(as_of=AS_OF))
    write_frames(
        {k: frames[k] for k in ("open_items", "customers", "portal_records")}, tmp_path, "csv"
    )
    files = [
        ("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(tmp_path.glob("*.csv"))
    ]
    r = api.post("/api/runs/files", files=files, data={"as_of": AS_OF.isoformat()})
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    svc.workers.procs[run_id].wait(600)
    state = api.get(f"/api/runs/{run_id}").json()
    assert state["status"] == "ok", state
    assert state["kind"] == "files"
    assert f"files/{run_id}/worklist.csv" in state["downloads"]
    text = api.get(f"/api/downloads/files/{run_id}/worklist.csv").text
    assert text.count("\n") - 1 == len(frames["open_items"])


def test_an_upload_that_is_not_an_export_file_is_refused(service):
    _, api = service
    r = api.post("/api/runs/files", files=[("files", ("evil.sh", b"rm -rf /", "text/plain"))])
    assert r.status_code == 400 and "CSV or XLSX" in r.json()["detail"]


def test_the_scheduled_nightly_waits_for_a_run_in_progress_then_runs(service):
    svc, api = service
    cli_store = RunStore(svc.store.url)
    cli_store.acquire("cli-reconcile")  # a person's run from the terminal
    try:
        run_id = actions.start_run(
            svc,
            None,
            kind="reconcile",
            customers=(CUSTOMER,),
            as_of=AS_OF,
            wait_lock_s=600,
            lock_poll_s=0.5,
        )
        worker = svc.workers.procs[run_id]
        log = actions.run_state(svc, run_id)
        while not any("waiting" in line for line in log["lines"]):
            assert worker.poll() is None, log  # it must wait, not give up or run
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(0.5)
            log = actions.run_state(svc, run_id)
        assert log["status"] == "starting" and svc.store.get(run_id) is None
    finally:
        cli_store.release("cli-reconcile")
    assert worker.wait(600) == 0
    assert api.get(f"/api/runs/{run_id}").json()["status"] == "ok"


def test_the_dashboard_lists_portal_accounts_that_were_not_read(service, tmp_path):
    import pandas as pd

    svc, api = service
    folder = svc.out / "runs" / "fake-nightly"
    (folder / "portals").mkdir(parents=True)
    pd.DataFrame(
        [
            {
                "portal": "gov-gd",
                "account": "acct-01",
                "outcome": "ok",
                "reason": "",
                "records": 9,
                "evidence": "",
            },
            {
                "portal": "hosp-sh",
                "account": "acct-01",
                "outcome": "needs_login",
                "reason": "SMS code needed",
                "records": 0,
                "evidence": "",
            },
        ]
    ).to_parquet(folder / "portals" / "portal_outcomes.parquet")
    svc.store.start_run("fake-nightly", "nightly", AS_OF, {}, str(folder))
    svc.store.finish_run("fake-nightly", "partial")
    portals = api.get("/api/status").json()["portals"]
    assert [(p["portal"], p["account"], p["outcome"]) for p in portals] == [
        ("hosp-sh", "acct-01", "needs_login")
    ]
