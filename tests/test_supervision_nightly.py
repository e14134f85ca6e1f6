"""Done when (issue 12): on the sandbox, two nightlies a week apart give a supervisor report
whose collected amount equals the items cleared between them, and a plan whose expected dates
beat the due date; the nightly refreshes ``reports/supervisor.xlsx`` and the week's plan, and
plan against actual is kept in the run store.  The commands read the same runs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from arsync.common.frames import CLEARED_ITEMS, OPEN_ITEMS
from arsync.config import load_settings
from arsync.jobs.cli.main import cli
from arsync.jobs.pipeline import supervision as sv
from arsync.jobs.pipeline import supervision_store as ss
from arsync.jobs.pipeline.run import run
from arsync.jobs.pipeline.runstore import RunStore
from arsync.sandbox.world import World

pytestmark = pytest.mark.browser

D1 = date(2026, 11, 16)
D2 = D1 + timedelta(days=7)
KEY = ss.KEY


def settings_for(out):
    return load_settings(
        environ={},
        overrides={
            "sandbox.size": "tiny",
            "runs.out_dir": str(out),
            "sap.cleared_days": 400,
            "reports.language": "en",
            "portals.retry.attempts": 2,
            "portals.retry.initial": 0.0,
            "portals.retry.maximum": 0.0,
        },
    )


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    out = tmp_path_factory.mktemp("week")
    s = settings_for(out)
    first = run(s, as_of=D1, echo=lambda _: None)
    plan_file = out / "reports" / "plan-week.xlsx"
    first_plan = plan_file.read_bytes()
    second = run(s, as_of=D2, echo=lambda _: None)
    return s, out, first, second, first_plan


def _frame(res, stage, name, schema):
    return schema.coerce(pd.read_parquet(res.folder / stage / f"{name}.parquet"))


def _debit(df):
    return df[(df["special_gl"] == "") & (df["local_amount"] > 0)]


def test_the_nightly_refreshes_the_supervisors_workbook_and_the_weeks_plan(week):
    s, out, first, second, first_plan = week
    store = RunStore.for_settings(s)
    for res in (first, second):
        stages = {x["stage"]: x["status"] for x in store.get(res.run_id).stages}
        assert stages["reports"] == "ok"
    assert (out / "reports" / "supervisor.xlsx").exists()
    assert (out / "reports" / "supervisor.html").exists()
    assert (out / "reports" / "plan-week.xlsx").read_bytes() != first_plan  # made again


def test_collected_equals_the_items_cleared_between_the_two_runs(week):
    s, _out, first, second, _ = week
    store = RunStore.for_settings(s)
    frames = sv.load_run(sv.last_run(store, D2))
    assert frames.run.run_id == second.run_id
    data = sv.supervisor_data(s, store, frames, "week", "en")
    collected = data.value("collected", currency="CNY")
    cleared = _debit(_frame(second, "sap", "cleared_items", CLEARED_ITEMS))
    between = cleared[
        cleared["clearing_date"].between(pd.Timestamp(D1), pd.Timestamp(D2), inclusive="right")
        & (cleared["local_currency"] == "CNY")
    ]
    assert len(between) > 0
    assert collected == between["local_amount"].sum()
    # the same from the other side: open at the first run and gone at the second, plus what
    # was invoiced and paid within the week
    open1 = _debit(_frame(first, "sap", "open_items", OPEN_ITEMS))
    open2 = _frame(second, "sap", "open_items", OPEN_ITEMS)
    gone = open1.merge(open2[KEY], on=KEY, how="left", indicator=True)
    gone = gone[(gone["_merge"] == "left_only") & (gone["local_currency"] == "CNY")]
    quick = between[between["posting_date"] > pd.Timestamp(D1)]
    assert gone["local_amount"].sum() + quick["local_amount"].sum() == collected


def test_the_first_runs_plan_is_measured_by_the_second_and_beats_the_due_date(week):
    s, _out, first, second, _ = week
    store = RunStore.for_settings(s)
    plan_id = f"week-{D1}"
    actual = ss.read_actuals(store, plan_id)
    cleared = _debit(_frame(second, "sap", "cleared_items", CLEARED_ITEMS))
    in_week = cleared["clearing_date"].between(
        pd.Timestamp(D1 + timedelta(days=1)), pd.Timestamp(D2)
    )
    assert actual["collected"].sum() == cleared.loc[in_week, "local_amount"].sum()
    assert set(actual["measured_on"]) == {D2}
    items = ss.plan_rows(store, plan_id)
    assert len(items) > 0 and set(items["source"]) <= {"portal", "promise", "history", "due_date"}
    # every expected date of the first run's plan, scored on the world's ground truth
    from arsync.jobs.pipeline.plan import make_plan

    data = make_plan(s, store, sv.load_run(store.get(first.run_id)), "week", keep=False)
    truth = World.tiny(as_of=D1 + timedelta(days=180)).ledger.rename(
        columns={
            "BUKRS": "company_code",
            "GJAHR": "fiscal_year",
            "BELNR": "document_no",
            "BUZEI": "line_item",
        }
    )[[*KEY, "AUGDT"]]
    df = data.items.merge(truth, on=KEY)
    df = df[df["AUGDT"].notna()]
    mae = (df["expected_date"] - df["AUGDT"]).dt.days.abs().mean()
    mae_due = (df["due_date"] - df["AUGDT"]).dt.days.abs().mean()
    assert mae < mae_due


def test_the_commands_write_the_report_and_a_month_plan_from_the_runs(week, tmp_path):
    _s, out, _first, _second, _ = week
    r = CliRunner().invoke(
        cli,
        [
            "report",
            "supervisor",
            "--period",
            "month",
            "--runs",
            str(out),
            "--out",
            str(tmp_path),
            "--language",
            "zh",
            "--as-of",
            str(D2),
        ],
    )
    assert r.exit_code == 0, r.output
    wb = CalamineWorkbook.from_path(str(tmp_path / "supervisor.xlsx"))
    assert wb.get_sheet_by_name(wb.sheet_names[0]).to_python()[0][0] == "信控主管报告"
    r = CliRunner().invoke(
        cli, ["plan", "--month", "--runs", str(out), "--out", str(tmp_path), "--as-of", str(D2)]
    )
    assert r.exit_code == 0, r.output
    assert "plan month-2026-11-23: 2026-11-24 – 2026-12-31" in r.output  # to the next month's end
    # the expected amount as the workbooks show it: grouped, two decimals, the currency
    [expected] = re.findall(r"item\(s\), (\S+) CNY expected", r.output)
    assert re.fullmatch(r"\d{1,3}(,\d{3})+\.\d{2}", expected), r.output
    assert (tmp_path / "plan-month.xlsx").exists()
    r = CliRunner().invoke(
        cli, ["plan", "--runs", str(out), "--out", str(tmp_path), "--as-of", "2026-01-01"]
    )
    assert r.exit_code == 2 and "no finished nightly run on or before 2026-01-01" in r.output
    assert f"its first is as of {D1}: give --as-of that date or later" in r.output
