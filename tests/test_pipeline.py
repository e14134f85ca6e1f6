"""The nightly pipeline end to end on the sandbox: SAP over RFC, the portals in a real headless
Chromium, reconciliation, worksheets and the run store — including a killed run resumed, a
portal that cannot be read, a week later, and an on-demand run narrowed to one customer."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from arsync.common.frames import WORKLIST
from arsync.config import load_settings
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
    with pytest.raises(StageFailed, match="nothing to resume"):
        run(s, resume=True, echo=lambda _: None)


def test_a_portal_that_cannot_be_read_goes_stale_and_stops_nothing(nightly, tmp_path):
    out, first, _, url = nightly
    # The same output folder: the last known records of the first run are there.
    broken = tmp_path / "defs"
    broken.mkdir()
    (broken / "hosp-sh.yaml").write_text(
        "kind: portal\nid: hosp-sh\nfamily: hospital\nname: down for maintenance\n"
        f"base_url: http://127.0.0.1:{closed_port()}/\naccounts: sandbox\ncustomers: sandbox\nbuyers: sandbox\n"
    )
    lines: list[str] = []
    res = run(
        settings_for(out, url, **{"portals.definitions_dir": str(broken)}),
        as_of=AS_OF,
        echo=lines.append,
    )
    assert res.status == "partial"
    assert any("hosp-sh" in line and ("FAILED" in line or "STALE" in line) for line in lines)
    wl, before = worklist_of(res), worklist_of(first)
    stale = wl[wl["finding"] == "STALE"]
    assert len(stale) > 0 and set(stale["portal"]) == {"hosp-sh"}
    # Stale items keep the last known status; the other portals' items are as fresh as before.
    was = before.set_index(list(WORKLIST.key)).loc[stale.set_index(list(WORKLIST.key)).index]
    assert list(stale["status"]) == list(was["status"])
    others = wl[wl["portal"].ne("hosp-sh") & wl["portal"].ne("")]
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


def test_an_on_demand_run_for_an_unknown_customer_says_so(tmp_path, store_url):
    with pytest.raises(StageFailed, match="customer\\(s\\) 4711 not found in SAP") as e:
        run(
            settings_for(tmp_path, store_url),
            kind="reconcile",
            as_of=AS_OF,
            scope=Scope(customers=("4711",)),
            echo=lambda _: None,
        )
    assert "--resume" not in str(e.value)
    info = RunStore(store_url).recent(1)[0]
    assert info.status == "failed" and info.stages[0]["status"] == "failed"


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
