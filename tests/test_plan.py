"""Collection plans: the period and its columns, every expected amount with its source and
confidence, promises from the collector's day, targets and the items to work first, plan
against actual kept in the run store, and the plan's dates beating the due date on the
sandbox world (two runs a week apart)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from arsync.config import load_settings
from arsync.jobs.engine.reconcile import reconcile
from arsync.jobs.pipeline import plan as pl
from arsync.jobs.pipeline import supervision as sv
from arsync.jobs.pipeline import supervision_store as ss
from arsync.jobs.pipeline.runstore import RunInfo, RunStore
from arsync.reports.plan_book import write_plan
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

D1 = date(2026, 11, 16)
D2 = D1 + timedelta(days=7)
KEY = pl.KEY


def settings(**over):
    return load_settings(
        environ={}, overrides={"sandbox.size": "tiny", "sap.cleared_days": 400, **over}
    )


def world_run(store, as_of, tmp_path, s):
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


def test_periods_and_their_columns():
    assert pl.period(D1, "week") == (date(2026, 11, 17), date(2026, 11, 23))
    assert pl.period(date(2026, 1, 31), "month") == (date(2026, 2, 1), date(2026, 2, 28))
    assert len(pl.buckets(*pl.period(D1, "week"), "week")) == 7
    # a month plan ends on the last day of the next calendar month
    assert pl.period(date(2026, 11, 30), "month") == (date(2026, 12, 1), date(2026, 12, 31))
    assert pl.period(date(2026, 12, 31), "month") == (date(2027, 1, 1), date(2027, 1, 31))
    assert pl.period(date(2027, 1, 15), "month") == (date(2027, 1, 16), date(2027, 2, 28))
    cols = pl.buckets(*pl.period(D1, "month"), "month")
    assert [(a.isoformat(), b.isoformat()) for a, b in cols][-1] == ("2026-12-29", "2026-12-31")
    assert len(cols) == 7
    with pytest.raises(Exception, match="plan 'day'"):
        pl.period(D1, "day")


def test_plan_against_actual_by_hand():
    items = pd.DataFrame(
        {
            "company_code": ["1000"] * 3,
            "fiscal_year": ["2026"] * 3,
            "document_no": ["A", "B", "C"],
            "line_item": ["001"] * 3,
            "customer": ["K1", "K1", "K2"],
            "collector": ["C1", "C1", "C2"],
            "currency": ["CNY"] * 3,
            "amount": [1000, 500, 300],
            "probability": [0.5, 1.0, 0.1],
        }
    )
    cleared = pd.DataFrame(
        {
            "company_code": ["1000"] * 2,
            "fiscal_year": ["2026"] * 2,
            "document_no": ["A", "Z"],
            "line_item": ["001"] * 2,
            "customer": ["K1", "K2"],
            "collector": ["C1", "C2"],
            "currency": ["CNY"] * 2,
            "local_amount": [1000, 700],
        }
    )
    got = pl.actuals(items, cleared).set_index("customer")
    assert got.loc["K1", ["planned", "expected", "collected", "collected_planned"]].tolist() == [
        1500,
        1000,
        1000,
        1000,
    ]
    assert got.loc["K2", ["planned", "expected", "collected", "collected_planned"]].tolist() == [
        300,
        30,
        700,
        0,
    ]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("planned")
    s = settings(**{"plans.targets": {"week": {"C1": 5_000_000}}})
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    first = world_run(store, D1, tmp_path, s)
    data = pl.make_plan(s, store, first, "week")
    return s, store, first, data


def test_every_expected_amount_says_where_it_comes_from_and_how_sure(planned):
    _s, _store, first, data = planned
    debit = first.worklist[
        (first.worklist["local_amount"] > 0) & (first.worklist["special_gl"] == "")
    ]
    assert len(data.items) == len(debit)
    assert set(data.items["source"]) <= {"portal", "promise", "history", "due_date"}
    assert data.items["confidence"].between(0, 1).all()
    assert data.items["basis"].str.len().gt(0).all()
    p = data.planned
    assert len(p) > 0
    assert p["expected_date"].between(pd.Timestamp(data.first), pd.Timestamp(data.last)).all()


def test_the_plan_is_kept_and_measured_against_what_cleared(planned, tmp_path):
    s, store, _first, data = planned
    kept = ss.plan_rows(store, data.plan_id)
    assert len(kept) == len(data.planned)
    second = world_run(store, D2, tmp_path, s)
    assert pl.measure_actuals(store, second) == [data.plan_id]
    a = ss.read_actuals(store, data.plan_id)
    c = second.cleared_items
    c = c[(c["local_amount"] > 0) & (c["special_gl"] == "")]
    week = c[c["clearing_date"].between(pd.Timestamp(data.first), pd.Timestamp(data.last))]
    assert a["collected"].sum() == week["local_amount"].sum()
    assert a["planned"].sum() == data.planned["amount"].sum()
    mine = week.merge(kept[KEY], on=KEY)
    assert a["collected_planned"].sum() == mine["local_amount"].sum()
    # the next plan shows the last one against actual
    nxt = pl.make_plan(s, store, second, "week")
    assert nxt.actual is not None and nxt.actual["plan_id"].iloc[0] == data.plan_id


def test_items_to_work_close_the_gap_highest_expected_value_first(planned):
    _s, _store, _first, data = planned
    assert data.targets == {"C1": 500_000_000}
    w = data.work
    assert set(w["collector"]) <= {"C1"}
    assert w["value"].is_monotonic_decreasing
    one = w.iloc[0]
    assert one["value"] == pytest.approx(
        one["amount"] * (1 - one["probability"]) * pl.REACH[one["source"]]
    )


def test_the_plan_workbook_reconciles_to_the_plan(planned, tmp_path):
    _s, _store, _first, data = planned
    data.language = "en"
    path = write_plan(data, tmp_path)
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names[:4] == ["Plan", "By customer", "Items", "To work"]
    rows = wb.get_sheet_by_name("Plan").to_python()
    team = next(r for r in rows if r and r[0] == "Team")
    total = data.planned[data.planned["currency"] == "CNY"]["amount"].sum() / 100
    assert team[8] == pytest.approx(total)  # 7 days, then the total
    assert len(wb.get_sheet_by_name("Items").to_python()) == len(data.planned) + 1


def test_the_expected_dates_beat_the_due_date_on_the_world(planned):
    """Done when: the plan made on the first run, scored on when the world's items really
    cleared (its ground truth half a year on)."""
    _s, _store, _first, data = planned
    later = World.tiny(as_of=D1 + timedelta(days=180)).ledger.rename(
        columns={
            "BUKRS": "company_code",
            "GJAHR": "fiscal_year",
            "BELNR": "document_no",
            "BUZEI": "line_item",
        }
    )[[*KEY, "AUGDT"]]
    df = data.items.merge(later, on=KEY)
    df = df[df["AUGDT"].notna()]
    assert len(df) > 20
    err = (df["expected_date"] - df["AUGDT"]).dt.days.abs().mean()
    err_due = (df["due_date"] - df["AUGDT"]).dt.days.abs().mean()
    assert err < err_due


def test_week_and_month_are_exclusive_on_the_command_line(tmp_path):
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli

    r = CliRunner().invoke(cli, ["plan", "--week", "--month", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "--week and --month are exclusive" in r.output
    assert not list(tmp_path.iterdir())
