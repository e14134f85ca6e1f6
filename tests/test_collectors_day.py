"""The collector's day end to end on the sandbox: the nightly runs, collectors type promises,
disputes and follow-ups into their workbooks, the nightly runs again a week later — and the
promises are judged, the disputes are on their sheet, the history knows who typed what when."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from arsync.common.frames import WORKLIST
from arsync.jobs.pipeline.dispute_book import register
from arsync.jobs.pipeline.history import contact_log
from arsync.jobs.pipeline.promise_book import live_promises
from arsync.jobs.pipeline.run import run
from arsync.jobs.pipeline.runstore import RunStore
from arsync.jobs.pipeline.statement_book import statements_of
from arsync.reports.labels import field_of, role_of_sheet
from arsync.sandbox.world import World
from test_pipeline import settings_for
from test_worksheets_build import edit

pytestmark = pytest.mark.browser

AS_OF = date(2026, 11, 23)
LATER = AS_OF + timedelta(days=7)
KEY = ["company_code", "fiscal_year", "document_no", "line_item"]


def keys_of(df: pd.DataFrame) -> pd.Series:
    return df[KEY].astype(str).agg("|".join, axis=1)


def frame(res, stage: str, name: str, schema) -> pd.DataFrame:
    return schema.coerce(pd.read_parquet(res.folder / stage / f"{name}.parquet"))


def sheet_rows(path, role: str) -> list[dict]:
    wb = CalamineWorkbook.from_path(str(path))
    name = next(n for n in wb.sheet_names if role_of_sheet(n) == role)
    data = wb.get_sheet_by_name(name).to_python()
    head = [field_of(h) or str(h) for h in data[0]]
    return [dict(zip(head, r)) for r in data[1:] if any(str(c).strip() for c in r)]


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    out = tmp_path_factory.mktemp("day")
    s = settings_for(out)
    first = run(s, as_of=AS_OF, echo=lambda _: None)
    wl = frame(first, "reconcile", "worklist", WORKLIST)
    wl = wl[wl["amount"] > 0].assign(key=keys_of)
    truth = World.tiny(as_of=LATER).truth.assign(key=keys_of)
    still = wl[wl["key"].isin(truth["key"])].merge(
        truth[["key", "finding"]], on="key", suffixes=("", "_later")
    )
    gone = wl[~wl["key"].isin(truth["key"])]
    quiet = still[still["finding"].eq("NO_PORTAL") & still["finding_later"].eq("NO_PORTAL")]
    quiet = quiet.sort_values("key")
    # paid on the portal during the week, not yet applied in SAP a week later
    pna = still[
        still["finding"].ne("PAID_NOT_APPLIED") & still["finding_later"].eq("PAID_NOT_APPLIED")
    ].sort_values("key")
    by_customer = quiet.groupby("customer")["key"].apply(list)
    pair = next(ks[:2] for ks in by_customer if len(ks) >= 2)
    singles = [k for k in quiet["key"] if k not in pair]
    chosen = {
        "kept": gone.sort_values("key")["key"].iloc[0],
        "broken": singles[0],
        "open": singles[1],
        "dispute_price": singles[2],
        "dispute_other": singles[3],
        "follow_up": singles[4],
        "pending": pna["key"].iloc[0] if len(pna) else None,
        "pair": pair,
    }
    typed: dict[str, dict[str, dict]] = {}

    def type_in(key, **fields):
        collector = wl.loc[wl["key"] == key, "collector"].iloc[0]
        typed.setdefault(collector, {})[key] = fields

    type_in(chosen["kept"], promise_date=LATER, contact_method="电话 phone", contact_date=AS_OF)
    type_in(chosen["broken"], promise_date=AS_OF + timedelta(days=1), promise_amount=1000)
    type_in(chosen["open"], promise_date=AS_OF + timedelta(days=10))
    type_in(
        chosen["dispute_price"],
        dispute="是 yes",
        dispute_reason="价格不符，合同价九折",
        contact_date=AS_OF + timedelta(days=2),
    )
    type_in(chosen["dispute_other"], dispute_reason="发票抬头写错了")
    type_in(chosen["follow_up"], next_follow_up=LATER, notes="下周一再打电话")
    if chosen["pending"]:
        type_in(chosen["pending"], promise_date=LATER)
    for k in pair:
        type_in(k, promise_date=AS_OF + timedelta(days=2))
    for collector, changes in typed.items():
        edit(out / "worksheets" / f"{collector}.xlsx", changes)

    lines: list[str] = []
    second = run(s, as_of=LATER, echo=lines.append)
    store = RunStore(f"sqlite:///{out / 'runs.sqlite'}")
    return out, first, second, store, chosen, wl, lines


def test_promises_are_judged_a_week_later(week):
    _, _, second, store, chosen, wl, _ = week
    p = live_promises(store).set_index("item_key")
    assert p.loc[chosen["kept"], "state"] == "kept"
    assert p.loc[chosen["broken"], "state"] == "broken"
    assert p.loc[chosen["broken"], "promised_amount"] == 100_000  # 1000 CNY typed
    assert p.loc[chosen["broken"], "short_amount"] == 100_000
    assert p.loc[chosen["open"], "state"] == "open"
    if chosen["pending"]:
        assert p.loc[chosen["pending"], "state"] == "kept_pending"
    a, b = chosen["pair"]
    assert p.loc[a, "group_key"] == p.loc[b, "group_key"]
    assert p.loc[a, "group_state"] == "broken"
    amount = wl.set_index("key").loc[a, "amount"]
    assert p.loc[a, "promised_amount"] == amount and not p.loc[a, "amount_typed"]

    # a broken promise moves its item up in priority
    before = frame(second, "reconcile", "worklist", WORKLIST).assign(key=keys_of).set_index("key")
    after = frame(second, "history", "worklist", WORKLIST).assign(key=keys_of).set_index("key")
    k = chosen["broken"]
    assert after.loc[k, "priority"] == max(1, before.loc[k, "priority"] - 1)


def test_the_worksheet_shows_promise_status_alerts_and_disputes(week):
    out, _, _, _, chosen, wl, _ = week
    collector = wl.loc[wl["key"] == chosen["broken"], "collector"].iloc[0]
    rows = {r["_key"]: r for r in sheet_rows(out / "worksheets" / f"{collector}.xlsx", "open")}
    assert rows[chosen["broken"]]["promise_status"] == "未兑现 broken"
    assert (
        rows[chosen["open"]]["promise_status"] == "待兑现 open" if chosen["open"] in rows else True
    )
    everything = {}
    for p in (out / "worksheets").glob("*.xlsx"):
        everything |= {r["_key"]: r for r in sheet_rows(p, "open")}
    assert everything[chosen["open"]]["promise_status"] == "待兑现 open"
    assert everything[chosen["follow_up"]]["due"] == "今日跟进 follow up today"
    assert everything[chosen["follow_up"]]["notes"] == "下周一再打电话"  # still carried over

    disputes = []
    for p in (out / "worksheets").glob("*.xlsx"):
        disputes += sheet_rows(p, "disputes")
    by_ref = {d["reference"]: d for d in disputes}
    ref = wl.set_index("key")["reference"]
    price = by_ref[ref[chosen["dispute_price"]]]
    assert price["争议类别 Reason"] == "价格不符 Price" and price["争议天数 Age (days)"] == 5
    other = by_ref[ref[chosen["dispute_other"]]]
    assert (
        other["争议类别 Reason"] == "其他 Other" and other["争议说明 As typed"] == "发票抬头写错了"
    )


def test_disputes_register_and_history(week):
    _, _, second, store, chosen, wl, _ = week
    reg = register(store).set_index("item_key")
    assert reg.loc[chosen["dispute_price"], "reason_code"] == "price"
    # opened when the customer raised it (the contact date typed on the row) ...
    assert reg.loc[chosen["dispute_price"], "opened_on"] == AS_OF + timedelta(days=2)
    # ... else on the as-of date of the run that saw it first
    assert reg.loc[chosen["dispute_other"], "opened_on"] == LATER
    assert (
        reg.loc[chosen["dispute_price"], "owner"]
        == wl.set_index("key").loc[chosen["dispute_price"], "collector"]
    )

    log = contact_log(store, item_key=chosen["kept"])
    assert set(log["field"]) == {"promise_date", "contact_method", "contact_date"}
    assert set(log["run_id"]) == {second.run_id} and set(log["change"]) == {"new"}


def test_the_run_records_the_day_in_its_stage_counts(week):
    _, _, second, store, _, _, _ = week
    info = store.get(second.run_id)
    hist = next(s for s in info.stages if s["stage"] == "history")
    assert hist["counts"]["promises_broken"] >= 3  # one single, two in the pair
    assert hist["counts"]["disputes_opened"] == 2


def test_history_and_disputes_commands(week):
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli

    out, _, _, store, chosen, wl, _ = week
    runner = CliRunner()
    customer = wl.set_index("key").loc[chosen["broken"], "customer"]
    res = runner.invoke(cli, ["history", "--customer", customer.lstrip("0"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "promise_date" in res.output and "promise_amount" in res.output and "1000" in res.output

    res = runner.invoke(cli, ["disputes", "--as-of", str(LATER), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 and "price" in lines[0] and "(5 d)" in lines[0]
    # the other dispute (the price one is checked by the register test)
    first = int(next(line for line in lines if " other " in line).split()[0].lstrip("#"))

    res = runner.invoke(cli, ["disputes", "assign", str(first), "李娜", "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        cli,
        [
            "disputes",
            "resolve",
            str(first),
            "--resolution",
            "rebill",
            "--note",
            "重开发票",
            "--on",
            str(LATER),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    reg = register(store, include_resolved=True).set_index("dispute_id")
    assert reg.loc[first, ["owner", "resolution", "note"]].tolist() == [
        "李娜",
        "rebill",
        "重开发票",
    ]
    res = runner.invoke(
        cli, ["disputes", "resolve", str(first), "--resolution", "paid", "--out", str(out)]
    )
    assert res.exit_code == 1 and "was resolved on" in res.output


def test_the_nightly_makes_statements_by_rule_into_the_run_folder(week):
    out, first, second, store, _, wl, _ = week
    made = sorted((first.folder / "statements").glob("*.pdf"))
    late = set(wl.loc[wl["days_overdue"] >= 1, "customer"])
    recorded = statements_of(store)
    assert len(made) == len(recorded) > 0  # the first run of the month made them ...
    assert set(recorded["customer"]) == late  # ... for every customer with overdue items
    assert not list((second.folder / "statements").glob("*.pdf"))  # the second, same month: none
    # the worksheet's Summary shows each customer's last statement
    rows = []
    for p in (out / "worksheets").glob("*.xlsx"):
        rows += sheet_rows(p, "summary")
    shown = {r["customer"]: r for r in rows if r.get("customer")}
    last = recorded.drop_duplicates("customer").set_index("customer")["statement_no"]
    still_open = last[last.index.isin(list(shown))]  # some customers paid everything since
    assert len(still_open) > 0
    for customer, number in still_open.items():
        assert shown[customer]["最近对账单 Last statement"] == number
        assert shown[customer]["客户回函 Customer's answer"] == "待回函 awaiting reply"


def test_statements_confirm_and_aging_commands(week, tmp_path):
    from click.testing import CliRunner

    from arsync.jobs.cli.main import cli

    out, _, second, store, chosen, wl, _ = week
    runner = CliRunner()
    customer = wl.set_index("key").loc[chosen["open"], "customer"]
    res = runner.invoke(
        cli,
        [
            "statements",
            "--customer",
            customer.lstrip("0"),
            "--language",
            "en",
            "--out",
            str(tmp_path / "st"),
            "--runs",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"as of {LATER} (run {second.run_id})" in res.output
    number = res.output.splitlines()[1].split()[0]
    pdf = tmp_path / "st" / f"{number}.pdf"
    assert pdf.exists() and (tmp_path / "st" / f"{number}.xlsx").exists()

    invoice = wl.set_index("key").loc[chosen["open"], "reference"]
    res = runner.invoke(
        cli,
        [
            "statements",
            "confirm",
            customer,
            "--statement",
            number,
            "--status",
            "disputed",
            "--line",
            invoice,
            "--reason",
            "quantity",
            "--note",
            "少收 2 台",
            "--on",
            str(LATER),
            "--runs",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "disputes opened" in res.output
    reg = register(store).set_index("item_key")
    assert reg.loc[chosen["open"], "reason_code"] == "quantity"
    assert reg.loc[chosen["open"], "statement_no"] == number

    res = runner.invoke(
        cli, ["aging", "--by", "collector", "--out", str(tmp_path / "ag"), "--runs", str(out)]
    )
    assert res.exit_code == 0, res.output
    [report] = (tmp_path / "ag").glob("aging-collector-*.xlsx")
    assert report.name == f"aging-collector-{LATER}.xlsx"
