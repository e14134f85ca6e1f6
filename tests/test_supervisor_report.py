"""The supervisor report: two runs of the sandbox world a week apart give a report whose
collected amount is the items cleared between them; figures per collector add up to the
team's; the workbook has native charts, the page its PNGs, in the configured language; the
trend comes from the run store's snapshots; portal moves from its stage history."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from arsync.config import load_settings
from arsync.jobs.engine.reconcile import reconcile
from arsync.jobs.pipeline import supervision as sv
from arsync.jobs.pipeline import supervision_store as ss
from arsync.jobs.pipeline.runstore import RunInfo, RunStore
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

D1 = date(2026, 11, 16)
D2 = D1 + timedelta(days=7)
KEY = ss.KEY


def settings(**over):
    return load_settings(
        environ={}, overrides={"sandbox.size": "tiny", "sap.cleared_days": 400, **over}
    )


def world_run(store: RunStore, as_of: date, tmp_path, s) -> sv.RunFrames:
    """What a nightly on ``as_of`` reads and finds, recorded in the run store as finished."""
    fr = world_frames(World.tiny(as_of=as_of))
    since = pd.Timestamp(sv.complete_from(s, as_of))
    cleared = fr["cleared_items"]
    cleared = cleared[cleared["clearing_date"] >= since].reset_index(drop=True)
    wl = reconcile(
        fr["open_items"],
        cleared,
        fr["customers"],
        fr["portal_records"],
        as_of=as_of,
        settings=s.reconcile,
    )
    run_id = f"r-{as_of}"
    store.start_run(run_id, "nightly", as_of, {}, str(tmp_path / run_id))
    info = RunInfo(
        run_id,
        "nightly",
        as_of,
        {},
        "ok",
        datetime(2026, 1, 1),
        None,
        str(tmp_path / run_id),
        None,
        (),
    )
    frames = sv.RunFrames(
        info, fr["open_items"], cleared, fr["customers"], wl, fr["portal_records"]
    )
    sv.snapshot(s, store, frames)
    return frames


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("two_runs")
    s = settings()
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    first = world_run(store, D1, tmp_path, s)
    second = world_run(store, D2, tmp_path, s)
    return s, store, first, second


def _fig(data, measure, scope="", which="current", currency="CNY"):
    f = data.figures
    sel = f[(f["scope"] == scope) & (f["currency"] == currency) & (f["measure"] == measure)]
    assert len(sel) == 1, (measure, scope)
    return sel[which].iloc[0]


def test_collected_in_the_week_is_what_cleared_between_the_two_runs(two_runs):
    s, store, first, second = two_runs
    data = sv.supervisor_data(s, store, second, "week", "en")
    # the items open at the first run and gone at the second, plus those posted and cleared
    # within the week, are the debit items cleared in (D1, D2]
    c = second.cleared_items
    c = c[(c["special_gl"] == "") & (c["local_amount"] > 0)]
    week = c[c["clearing_date"].between(pd.Timestamp(D1), pd.Timestamp(D2), inclusive="right")]
    o1 = first.open_items
    o1 = o1[(o1["special_gl"] == "") & (o1["local_amount"] > 0)]
    gone = o1.merge(second.open_items[KEY], on=KEY, how="left", indicator=True)
    gone = gone[gone["_merge"] == "left_only"]
    assert set(map(tuple, gone[KEY].values)) <= set(map(tuple, week[KEY].values))
    new_and_cleared = week[week["posting_date"] > pd.Timestamp(D1)]
    assert int(gone["local_amount"].sum()) + int(new_and_cleared["local_amount"].sum()) == int(
        week["local_amount"].sum()
    )
    assert len(week) > 0
    assert _fig(data, "collected") == week["local_amount"].sum()
    assert _fig(data, "collected_items") == len(week)


def test_collectors_add_up_to_the_team(two_runs):
    s, store, _first, second = two_runs
    data = sv.supervisor_data(s, store, second, "week", "en")
    assert len(data.collectors) >= 2
    for m in ("collected", "ar", "overdue", "sales"):
        team = _fig(data, m)
        assert sum(_fig(data, m, scope=c) for c in data.collectors) == team


def test_the_previous_week_and_the_trend_come_from_the_run_store(two_runs):
    s, store, _first, second = two_runs
    data = sv.supervisor_data(s, store, second, "week", "en")
    # the previous position (on D1) is the first run's AR
    snap = ss.read_snapshots(store, D1, limit=1)
    ar1 = snap[(snap["scope"] == "") & (snap["measure"] == "ar")]["value"].iloc[0]
    assert _fig(data, "ar", which="previous") == ar1
    assert list(data.trend["as_of"].drop_duplicates()) == [pd.Timestamp(D1), pd.Timestamp(D2)]


def test_a_run_written_again_replaces_its_snapshot_and_keeps_first_stage_dates(two_runs):
    s, store, _first, second = two_runs
    before = ss.read_stages(store)
    sv.snapshot(s, store, second)
    after = ss.read_stages(store)
    pd.testing.assert_frame_equal(before, after)
    snaps = ss.read_snapshots(store, D2)
    assert snaps.duplicated(["run_id", "scope", "currency", "measure"]).sum() == 0


def test_portal_moves_count_stage_entries_and_paid_not_applied_found_and_applied(two_runs):
    _s, store, _first, second = two_runs
    st = ss.read_stages(store)
    assert len(st) > 0
    cur, _prev = sv.portal_moves(store, second, D1, D2, D1 - timedelta(days=7))
    team = cur[(cur["scope"] == "") & (cur["currency"] == "CNY")].set_index("measure")["value"]
    items = sv.items_of(second).drop_duplicates(KEY)
    st = st.merge(items[[*KEY, "clearing_date", "local_amount", "local_currency"]], on=KEY)
    st = st[st["local_currency"] == "CNY"]
    week = st["entered"].between(pd.Timestamp(D1), pd.Timestamp(D2), inclusive="right")
    assert team["moved_items"] == (week & (st["status"] != "PAID")).sum()
    # paid on the portal, seen so by the second run while still open in SAP: found this week
    found = (
        (st["status"] == "PAID")
        & (st["first_run"] == f"r-{D2}")
        & (st["clearing_date"].isna() | (st["clearing_date"] > pd.Timestamp(D2)))
    )
    assert found.sum() > 0
    assert team["pna_found_items"] == found.sum()
    assert team["pna_found"] == st.loc[found, "local_amount"].sum()
    # seen open and paid by the first run, cleared in the week: applied
    applied = (
        (st["status"] == "PAID")
        & (st["first_run"] == f"r-{D1}")
        & st["clearing_date"].between(pd.Timestamp(D1), pd.Timestamp(D2), inclusive="right")
    )
    assert team["pna_applied"] == st.loc[applied, "local_amount"].sum()


@pytest.mark.parametrize("language", ["zh", "en", "both"])
def test_the_report_files_in_each_language(two_runs, tmp_path, language):
    s, store, _first, second = two_runs
    out = tmp_path / f"out-{language}"
    paths = sv.supervisor_report(
        s, store, period="week", out_dir=out, language=language, frames=second
    )
    xlsx, html = paths["supervisor.xlsx"], paths["supervisor.html"]
    wb = CalamineWorkbook.from_path(str(xlsx))
    assert len(wb.sheet_names) == 6
    head = {
        "zh": "信控主管报告",
        "en": "Supervisor report",
        "both": "信控主管报告 Supervisor report",
    }
    assert wb.get_sheet_by_name(wb.sheet_names[0]).to_python()[0][0] == head[language]
    with zipfile.ZipFile(xlsx) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 4  # collected, aging, trend, top: native Excel charts
    page = html.read_text(encoding="utf-8")
    for name in ("collected", "aging", "trend", "top"):
        png = out / "supervisor_charts" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"supervisor_charts/{name}.png" in page
    assert head[language] in page


def test_collected_in_the_workbook_reconciles_to_the_frames(two_runs, tmp_path):
    s, store, _first, second = two_runs
    data = sv.supervisor_data(s, store, second, "week", "en")
    paths = sv.supervisor_report(
        s, store, period="week", out_dir=tmp_path, language="en", frames=second
    )
    rows = (
        CalamineWorkbook.from_path(str(paths["supervisor.xlsx"]))
        .get_sheet_by_name("Summary")
        .to_python()
    )
    got = {r[1]: r[2] for r in rows[4:] if len(r) > 2 and r[0] == "CNY"}
    assert got["Collected"] == pytest.approx(_fig(data, "collected") / 100, abs=1e-6)
    assert got["DSO (countback)"] == pytest.approx(_fig(data, "dso"), abs=1e-9)


def test_no_run_names_the_date_and_what_to_do(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    with pytest.raises(Exception, match=r"on or before 2026-11-01.*arsync nightly"):
        sv.last_run(store, date(2026, 11, 1))
    with pytest.raises(Exception, match="period 'year'"):
        sv.period_start(D2, "year")
