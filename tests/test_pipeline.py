"""The nightly pipeline end to end on the sandbox: SAP over RFC, the portals in a real headless
Chromium, reconciliation, worksheets and the run store — including a killed run resumed, a
portal that cannot be read, a week later, and an on-demand run narrowed to one customer."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psutil
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from arsync.common.errors import InputError
from arsync.common.frames import WORKLIST
from arsync.config import load_settings
from arsync.connectors.portals import load_definitions
from arsync.jobs.cli.main import cli
from arsync.jobs.pipeline.run import Scope, StageFailed, run
from arsync.jobs.pipeline.runstore import RunStore
from arsync.sandbox.world import World

pytestmark = pytest.mark.browser

AS_OF = date(2026, 11, 23)


def settings_for(out, store_url="", **over):
    base = {
        "sandbox.size": "tiny",
        "runs.out_dir": str(out),
        "runs.store_url": store_url,
        "portals.retry.attempts": 2,
        "portals.retry.initial": 0.0,
        "portals.retry.maximum": 0.0,
    }
    return load_settings(environ={}, overrides={**base, **over})


def closed_port() -> int:
    """A loopback port nobody listens on (taken, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worklist_of(result) -> pd.DataFrame:
    return WORKLIST.coerce(pd.read_parquet(result.folder / "reconcile" / "worklist.parquet"))


def open_rows(path) -> list[list]:
    wb = CalamineWorkbook.from_path(str(path))
    name = next(n for n in wb.sheet_names if "Open" in n or "未清" in n)
    return wb.get_sheet_by_name(name).to_python()


@pytest.fixture(scope="module")
def nightly(tmp_path_factory, module_store_url):
    out = tmp_path_factory.mktemp("nightly")
    lines: list[str] = []
    res = run(settings_for(out, module_store_url), as_of=AS_OF, echo=lines.append)
    return out, res, lines, module_store_url


def test_nightly_run_records_every_stage_and_agrees_with_the_world(nightly):
    _out, res, _lines, url = nightly
    assert res.status == "ok"
    info = RunStore(url).get(res.run_id)
    assert [s["stage"] for s in info.stages] == [
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
    assert all(s["status"] == "ok" for s in info.stages)
    assert info.stages[0]["counts"]["open_items"] > 100

    wl = worklist_of(res)
    truth = World.tiny(as_of=AS_OF).truth
    key = ["company_code", "fiscal_year", "document_no", "line_item"]
    both = wl.merge(truth, on=key, suffixes=("", "_true"))
    assert len(both) == len(truth)  # every item the collector chases is there
    for finding in ("NOT_SUBMITTED", "REJECTED", "NO_PORTAL", "PAID_NOT_APPLIED"):
        found, true = both["finding"] == finding, both["finding_true"] == finding
        assert (found & true).sum() >= 0.97 * true.sum(), finding  # recall
        assert (found & true).sum() >= 0.97 * found.sum(), finding  # precision
    assert any("open items" in line for line in res.summary["lines"])


def test_every_collector_gets_a_workbook_with_exactly_their_items(nightly):
    out, res, *_ = nightly
    wl = worklist_of(res)
    for collector, items in wl.groupby("collector"):
        rows = open_rows(out / "worksheets" / f"{collector}.xlsx")
        keyed = [r for r in rows[1:] if any(str(c).strip() for c in r)]
        assert len(keyed) == len(items), collector


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(nightly, tmp_path, store_url):
    _, reference, *_ = nightly
    s = settings_for(tmp_path, store_url)
    with pytest.raises(StageFailed, match="simulated crash after stage portals"):
        run(s, as_of=AS_OF, echo=lambda _: None, fail_after="portals")
    store = RunStore(store_url)
    crashed = store.last_unfinished("nightly")
    # killed while running: its process is gone, so it does not stay 'running' for ever
    assert crashed.status == "dead" and crashed.finished_stages() == ["sap", "portals"]

    lines: list[str] = []
    res = run(s, resume=True, echo=lines.append)
    assert res.run_id == crashed.run_id and res.status == "ok"
    assert "[sap] done earlier; outputs reloaded" in lines
    assert "[portals] done earlier; outputs reloaded" in lines
    pd.testing.assert_frame_equal(
        worklist_of(res).drop(columns=["status_age_days"]),
        worklist_of(reference).drop(columns=["status_age_days"]),
    )
    assert len(store.recent(10)) == 1  # resumed, not a second run
    assert store.get(res.run_id).attempt == 2
    with pytest.raises(InputError, match="nothing to resume"):
        run(s, resume=True, echo=lambda _: None)


def test_a_portal_that_cannot_be_read_makes_the_run_partial_with_exit_3_and_says_why(
    nightly, tmp_path
):
    """Through the CLI: a portal down for maintenance stops nothing; the run ends partial (exit
    3) naming the portal and why, `arsync runs` says the same, its items show STALE with their
    last known status — and an item last seen rejected keeps the portal's reason."""
    out, first, _, url = nightly
    before = worklist_of(first)
    pid = before.loc[before["finding"] == "REJECTED", "portal"].value_counts().index[0]
    family = load_definitions()[pid].family
    broken = tmp_path / "defs"  # the same output folder: the first run's records are there
    broken.mkdir()
    (broken / f"{pid}.yaml").write_text(
        f"kind: portal\nid: {pid}\nfamily: {family}\nname: down for maintenance\n"
        f"base_url: http://127.0.0.1:{closed_port()}/\naccounts: sandbox\ncustomers: sandbox\nbuyers: sandbox\n"
    )
    env = {
        "ARSYNC_SANDBOX__SIZE": "tiny",
        "ARSYNC_RUNS__OUT_DIR": str(out),
        "ARSYNC_RUNS__STORE_URL": url,
        "ARSYNC_PORTALS__DEFINITIONS_DIR": str(broken),
        "ARSYNC_PORTALS__RETRY__ATTEMPTS": "2",
        "ARSYNC_PORTALS__RETRY__INITIAL": "0",
        "ARSYNC_PORTALS__RETRY__MAXIMUM": "0",
    }
    r = CliRunner(env=env).invoke(cli, ["nightly", "--as-of", str(AS_OF)])
    assert r.exit_code == 3, r.output
    info = RunStore(url).recent(1)[0]
    assert info.status == "partial" and info.error.startswith(f"portal {pid}/")
    assert "not reachable" in info.error
    assert (
        r.stderr.strip().splitlines()[-1] == f"arsync: run {info.run_id} is partial: {info.error}"
    )
    assert f"WARNING   portal {pid}/" in r.stderr  # said as it happened, too
    listed = CliRunner(env=env).invoke(cli, ["runs", "--limit", "1"])
    assert "partial" in listed.output and f"why: {info.error}" in listed.output

    wl = WORKLIST.coerce(pd.read_parquet(Path(info.folder) / "reconcile" / "worklist.parquet"))
    stale = wl[wl["finding"] == "STALE"]
    assert len(stale) > 0 and set(stale["portal"]) == {pid}
    # Stale items keep the last known status; the other portals' items are as fresh as before.
    key = list(WORKLIST.key)
    was = before.set_index(key).loc[stale.set_index(key).index]
    assert list(stale["status"]) == list(was["status"])
    rejected = stale["status"].eq("REJECTED").to_numpy()
    assert rejected.any()
    for now, then in zip(stale["reason"][rejected], was["reason"][rejected]):
        assert now.endswith(f"; last known: rejected — {then}")
    others = wl[wl["portal"].ne(pid) & wl["portal"].ne("")]
    assert (others["finding"] != "STALE").all()


def test_a_week_later_the_world_has_moved_and_worksheets_follow(tmp_path, store_url):
    s = settings_for(tmp_path, store_url)
    first = run(s, as_of=AS_OF, echo=lambda _: None)
    later = run(s, as_of=AS_OF + timedelta(days=7), echo=lambda _: None)
    a, b = worklist_of(first), worklist_of(later)
    key = list(WORKLIST.key)
    gone = a.merge(b[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")
    assert len(gone) > 0  # some items were cleared in SAP
    moved = a.merge(b, on=key, suffixes=("", "_b"))
    assert (moved["status"] != moved["status_b"]).any()  # some moved along their portal process
    closed_total = 0
    for p in (tmp_path / "worksheets").glob("*.xlsx"):
        wb = CalamineWorkbook.from_path(str(p))
        name = next(n for n in wb.sheet_names if "Closed" in n or "已关闭" in n or "已结" in n)
        closed_total += sum(1 for r in wb.get_sheet_by_name(name).to_python()[1:] if any(r))
    assert closed_total >= len(gone)


def test_on_demand_run_for_one_customer_refreshes_only_that_workbook(tmp_path, store_url):
    s = settings_for(tmp_path, store_url)
    full = run(s, as_of=AS_OF, echo=lambda _: None)
    wl = worklist_of(full)
    target = wl.loc[wl["finding"] == "NOT_SUBMITTED", "customer"].iloc[0]
    mine = wl.loc[wl["customer"] == target, "collector"].iloc[0]
    books = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "worksheets").glob("*.xlsx")}
    before_rows = len(open_rows(tmp_path / "worksheets" / f"{mine}.xlsx"))

    res = run(
        s, kind="reconcile", as_of=AS_OF, scope=Scope(customers=(target,)), echo=lambda _: None
    )
    narrowed = worklist_of(res)
    assert set(narrowed["customer"]) == {target}
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "worksheets").glob("*.xlsx")}
    assert after[f"{mine}.xlsx"] != books[f"{mine}.xlsx"]
    assert all(after[n] == t for n, t in books.items() if n != f"{mine}.xlsx")
    # The collector's other customers stay on the Open items sheet.
    assert len(open_rows(tmp_path / "worksheets" / f"{mine}.xlsx")) == before_rows
    # Only that customer was read from SAP.
    store = RunStore(store_url)
    calls = {r.kind: r.stages[0]["counts"]["rfc_calls"] for r in store.recent(2)}
    assert calls["reconcile"] < calls["nightly"]


def test_an_on_demand_run_for_an_unknown_customer_is_an_input_error_not_a_run_to_resume(
    tmp_path, store_url
):
    s = settings_for(tmp_path, store_url)
    with pytest.raises(InputError, match="customer\\(s\\) 4711 not found in SAP") as e:
        run(s, kind="reconcile", as_of=AS_OF, scope=Scope(customers=("4711",)))
    assert "--resume" not in str(e.value)
    info = RunStore(store_url).recent(1)[0]
    assert info.status == "bad_input" and "4711 not found" in info.error
    assert info.stages[0]["status"] == "failed"
    with pytest.raises(InputError, match="nothing to resume"):
        run(s, kind="reconcile", resume=True)


def test_a_resumed_run_keeps_its_evidence_apart_from_the_killed_attempts(
    tmp_path, store_url, monkeypatch
):
    from arsync.jobs.pipeline import stages

    world = World.tiny(as_of=AS_OF)
    pc = world.portal_customers
    target = str(pc.loc[pc["portal"] == "gov-zj", "customer"].iloc[0])
    s = settings_for(tmp_path, store_url)
    real = stages.stage_portals

    def killed_after_reading(ctx):
        real(ctx)
        raise OSError(28, "No space left on device")  # the portal stage dies after its reads

    monkeypatch.setattr(stages, "stage_portals", killed_after_reading)
    with pytest.raises(StageFailed, match="No space left"):
        run(s, kind="reconcile", as_of=AS_OF, scope=Scope(customers=(target,)), echo=lambda _: None)
    (folder,) = (tmp_path / "runs").iterdir()
    first = {p: p.read_bytes() for p in (folder / "evidence").rglob("*") if p.is_file()}
    assert first

    monkeypatch.setattr(stages, "stage_portals", real)
    lines: list[str] = []
    res = run(s, kind="reconcile", resume=True, echo=lines.append)

    assert res.status == "ok" and any("attempt 2" in line for line in lines)
    assert {p: p.read_bytes() for p in first} == first  # the killed attempt's, untouched
    again = [p for p in (folder / "attempt-2" / "evidence").rglob("*") if p.is_file()]
    assert again
    records = pd.read_parquet(folder / "portals" / "portal_records.parquet")
    assert len(records) and records["evidence"].str.startswith(str(folder / "attempt-2")).all()


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the browser arsync started), from /proc."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parent.items() if pp == p}
        found |= kids
        todo += list(kids)
    return found


def _still_running(pids: set[int], within_s: float) -> set[int]:
    """The processes among ``pids`` still running (zombies count as ended) after waiting up to
    ``within_s`` seconds for them to end."""
    procs = []
    for p in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(p))
    _, alive = psutil.wait_procs(procs, timeout=within_s)
    running = set()
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.status() != psutil.STATUS_ZOMBIE:
                running.add(proc.pid)
    return running


def test_sigterm_during_the_portal_stage_stops_cleanly_and_resume_finishes(
    nightly, tmp_path, store_url
):
    """The service manager stops the nightly while browsers read the portals: exit 143, one
    line and no traceback, no browser left behind, the run `interrupted`; --resume ends it
    with the worklist an uninterrupted run makes."""
    _, reference, _, _ = nightly
    out = tmp_path / "out"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "ARSYNC_SANDBOX__SIZE": "tiny",
        "ARSYNC_RUNS__STORE_URL": store_url,
        "ARSYNC_PORTALS__SESSION_DIR": str(tmp_path / "sessions"),
        "ARSYNC_PORTALS__RETRY__ATTEMPTS": "2",
        "ARSYNC_PORTALS__RETRY__INITIAL": "0",
        "ARSYNC_PORTALS__RETRY__MAXIMUM": "0",
    }
    argv = [sys.executable, "-m", "arsync", "nightly", "--as-of", str(AS_OF), "--out", str(out)]
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:  # blocks until the first account is read: the browser is up
        seen.append(line)
        if any("[portals] started" in x for x in seen) and "  portal " in line:
            break
    browser = _descendants(proc.pid)
    assert browser, "".join(seen)
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=300) == 143, "".join(seen) + rest
    info = RunStore(store_url).recent(1)[0]
    assert rest.strip().splitlines()[-1] == (
        f"arsync: run {info.run_id} interrupted by SIGTERM during stage portals; "
        "`arsync nightly --resume` continues it"
    )
    assert "Traceback" not in rest and "Error" not in rest
    assert info.status == "interrupted"
    assert [(s["stage"], s["status"]) for s in info.stages] == [
        ("sap", "ok"),
        ("portals", "interrupted"),
    ]
    # Chromium's helpers (zygote, renderers) end a moment after the browser they served: wait
    # for them to end (a bounded wait on the processes, not a sleep) — any still there is left
    left = {p: _name(p) for p in _still_running(browser, within_s=30)}
    assert not left, f"browser processes left: {left}"

    env.pop("PYTHONUNBUFFERED")
    r = CliRunner(env=env).invoke(cli, ["nightly", "--resume", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert RunStore(store_url).recent(1)[0].run_id == info.run_id
    resumed = WORKLIST.coerce(pd.read_parquet(Path(info.folder) / "reconcile" / "worklist.parquet"))
    pd.testing.assert_frame_equal(
        resumed.drop(columns=["status_age_days"]),
        worklist_of(reference).drop(columns=["status_age_days"]),
    )
