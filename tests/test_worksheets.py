"""Collector worksheets: layout, formats, languages, and carry-over whatever the collector did."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from arsync.common.errors import DataError, SchemaError
from arsync.common.frames import CLEARED_ITEMS
from arsync.config.settings import ReportSettings
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import (
    AS_OF,
    calamine_rows,
    columns,
    edit,
    entries,
    item,
    key,
    row_of,
    sheet,
    worklist,
)

BOTH = ReportSettings(language="both")


def refresh(rows, out, **kw):
    kw.setdefault("settings", BOTH)
    return refresh_worksheets(worklist(rows), out, as_of=AS_OF, **kw)


def test_layout_columns_formats_validation_colours(tmp_path):
    rows = [item(i) for i in range(8)] + [
        item(
            50,
            currency="JPY",
            amount=1500000,
            local_amount=1500000,
            customer="0000300001",
            customer_name="東京商事",
            company_code="3000",
        ),
    ]
    [res] = refresh(rows, tmp_path)
    assert res.outcome == "created" and res.open_items == 9 and res.path == tmp_path / "C1.xlsx"
    wb = openpyxl.load_workbook(res.path)
    assert wb.sheetnames == [
        "未清项 Open items",
        "汇总 Summary",
        "已关闭 Closed",
        "争议 Disputes",
        "_history",
    ]
    assert wb["_history"].sheet_state == "veryHidden"
    ws = wb["未清项 Open items"]
    heads = [c.value for c in ws[1]]
    assert heads[:2] == ["优先级 Priority", "结论 Finding"]
    assert "金额 Amount" in heads and heads[-1] == "_key"
    collector = [
        "联系日期 Contact date",
        "联系方式 Contact method",
        "联系人 Contact person",
        "承诺付款日 Promise date",
        "承诺金额 Promise amount",
        "争议 Dispute",
        "争议原因 Dispute reason",
        "备注 Notes",
        "下次跟进 Next follow-up",
    ]
    start = heads.index(collector[0])
    assert heads[start : start + 9] == collector
    # what a collector works from first, then their own columns, then the reference columns
    assert heads.index("原因 Reason") < start < heads.index("行项目 Line item")
    assert ws.freeze_panes == "D2"  # priority, finding and customer stay in sight
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(heads))}10"
    cols = columns(ws)
    key_letter = openpyxl.utils.get_column_letter(cols["_key"])
    assert ws.column_dimensions[key_letter].hidden
    # the invoice column fits a 20-digit 数电 invoice number
    invoice = openpyxl.utils.get_column_letter(cols["reference"])
    assert ws.column_dimensions[invoice].width >= 22

    r = row_of(ws, key(3))
    amount = ws.cell(r, cols["amount"])
    assert amount.value == pytest.approx(1234.59) and amount.number_format == "#,##0.00"
    assert (
        ws.cell(r, cols["due_date"]).is_date
        and ws.cell(r, cols["due_date"]).number_format == "yyyy-mm-dd"
    )
    assert ws.cell(r, cols["due_date"]).value.date() == item(3)["due_date"].date()
    doc = ws.cell(r, cols["document_no"])
    assert doc.value == "0090000003" and doc.data_type == "s" and doc.number_format == "@"
    jpy = ws.cell(row_of(ws, "3000|2026|0090000050|001"), cols["amount"])
    assert jpy.value == 1500000 and jpy.number_format == "#,##0"

    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    method_col = openpyxl.utils.get_column_letter(cols["contact_method"])
    assert (
        lists[f"{method_col}2:{method_col}1048576"]
        == '"电话 phone,邮件 e-mail,企业微信 WeChat,拜访 visit"'
    )
    dispute_col = openpyxl.utils.get_column_letter(cols["dispute"])
    assert lists[f"{dispute_col}2:{dispute_col}1048576"] == '"是 yes,否 no"'

    fills = {}
    for i in range(
        4
    ):  # item(i) has finding ("NO_PORTAL", "PAID_NOT_APPLIED", "IN_PROCESS", "REJECTED")[i]
        fills[i] = ws.cell(row_of(ws, key(i)), cols["finding"]).fill.fgColor.rgb
    assert len(set(fills.values())) == 4
    aging = {ws.cell(row_of(ws, key(i)), cols["aging_bucket"]).fill.fgColor.rgb for i in (1, 6)}
    assert len(aging) == 2  # 17-30=-13 days (not due) vs 72 days overdue

    # the same file through python-calamine: numbers stay numbers, dates dates, IDs text
    cal = {r["_key"]: r for r in calamine_rows(res.path, "open")}
    assert cal[key(3)]["amount"] == pytest.approx(1234.59)
    assert cal[key(3)]["due_date"] == item(3)["due_date"].date()
    assert cal[key(3)]["document_no"] == "0090000003" and cal[key(3)]["customer"] == "0000100003"
    assert cal[key(3)]["reference"] == "26442000000000000003"


def test_summary_by_customer_with_promises_contacts_and_totals(tmp_path):
    rows = [item(i) for i in range(12)]
    refresh(rows, tmp_path)
    ws = sheet(openpyxl.load_workbook(tmp_path / "C1.xlsx"), "open")
    half = f"={get_column_letter(columns(ws)['amount'])}{row_of(ws, key(5))}*0.5"
    edit(
        tmp_path / "C1.xlsx",
        {
            key(0): {"promise_amount": 100.5, "promise_date": datetime(2026, 12, 10)},
            key(5): {"promise_amount": half, "promise_date": datetime(2026, 12, 3)},
            key(10): {"contact_date": datetime(2026, 11, 20), "promise_amount": "=SUM(1,1)"},
            key(1): {"contact_date": datetime(2026, 11, 2), "promise_date": datetime(2026, 1, 1)},
        },
    )
    refresh(rows, tmp_path)
    got = calamine_rows(tmp_path / "C1.xlsx", "summary")
    summary = {(r["customer"], r["currency"]): r for r in got if "customer" in r}
    df = worklist(rows)
    for cust, g in df.groupby("customer"):
        s = summary[(cust, "CNY")]
        assert s["items"] == len(g)
        assert Decimal(str(s["open_amount"])) == Decimal(int(g["amount"].sum())) / 100
        overdue = int(g.loc[g["days_overdue"] > 0, "amount"].sum())
        assert Decimal(str(s.get("overdue_amount", 0))) == Decimal(overdue) / 100
    c0 = summary[(item(0)["customer"], "CNY")]  # items 0, 5 and 10 are one customer's
    # =J<row>*0.5 is half of item 5 (1234.61 / 2 = 617.305), rounded to the cent as shown
    promised = Decimal("100.5") + Decimal("617.31")
    assert item(5)["amount"] == 123461
    assert Decimal(str(c0["promised_amount"])) == promised  # =SUM(1,1) is not summed
    assert c0["next_promise"] == date(2026, 12, 3) and c0["last_contact"] == date(2026, 11, 20)
    c1 = summary[(item(1)["customer"], "CNY")]
    assert "next_promise" not in c1  # a promise date in the past is not the next one
    # a promise date without an amount promises the whole item, as the promise book counts it
    whole = Decimal(int(item(1)["amount"])) / 100
    assert Decimal(str(c1["promised_amount"])) == whole
    [total] = [r for r in got if "customer" not in r]
    assert total["customer_name"] == "合计 / Total" and total["currency"] == "CNY"
    assert total["items"] == len(df)
    assert Decimal(str(total["open_amount"])) == Decimal(int(df["amount"].sum())) / 100
    assert Decimal(str(total["promised_amount"])) == promised + whole
    wb = openpyxl.load_workbook(tmp_path / "C1.xlsx")
    heads = [c.value for c in sheet(wb, "summary")[1]]
    assert "已付款未核销 Paid, not applied" in heads and "逾期金额 Overdue amount" in heads
    assert len(got) == df["customer"].nunique() + 1


@pytest.mark.parametrize(
    "language,amount,notes,sheet_name,method",
    [
        ("zh", "金额", "备注", "未清项", "电话,邮件,企业微信,拜访"),
        ("en", "Amount", "Notes", "Open items", "phone,e-mail,WeChat,visit"),
    ],
)
def test_language_variants_and_switching(tmp_path, language, amount, notes, sheet_name, method):
    rows = [item(i) for i in range(4)]
    refresh(rows, tmp_path, settings=ReportSettings(language=language))
    wb = openpyxl.load_workbook(tmp_path / "C1.xlsx")
    ws = wb.worksheets[0]
    assert ws.title == sheet_name
    heads = [c.value for c in ws[1]]
    assert amount in heads and notes in heads
    assert any(dv.formula1 == f'"{method}"' for dv in ws.data_validations.dataValidation)
    edit(tmp_path / "C1.xlsx", {key(1): {"notes": "催款三次"}})
    other = "en" if language == "zh" else "zh"
    refresh(rows, tmp_path, settings=ReportSettings(language=other))
    assert entries(tmp_path / "C1.xlsx")[key(1)] == {"notes": "催款三次"}
    assert openpyxl.load_workbook(tmp_path / "C1.xlsx").worksheets[0].title != sheet_name


def test_carry_over_after_sort_filter_hidden_and_added_columns(tmp_path):
    rows = [item(i) for i in range(10)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, path.parent)
    edit(
        path,
        {
            key(2): {
                "notes": "财务处说下周付",
                "contact_method": "电话 phone",
                "promise_amount": 1000.5,
                "promise_date": datetime(2026, 12, 1),
                "contact_person": "李老师",
            },
            key(7): {"dispute": "是 yes", "dispute_reason": "数量不符"},
        },
    )
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    ws.insert_cols(3)  # an added column in the middle, shifting everything after it
    ws.cell(1, 3).value = "My flag"
    ws.cell(row_of(ws, key(7)), 3).value = "call dean"
    cols = columns(ws)
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    data.sort(key=lambda r: str(r[cols["customer_name"] - 1]), reverse=True)  # Excel "sort Z→A"
    for r, values in enumerate(data, 2):
        for c, v in enumerate(values, 1):
            ws.cell(r, c).value = v
    ws.column_dimensions[openpyxl.utils.get_column_letter(cols["reason"])].hidden = True
    ws.auto_filter.add_filter_column(cols["finding"] - 1, ["审批流程中 IN_PROCESS"])
    for r in range(2, 12):
        ws.row_dimensions[r].hidden = r % 2 == 0  # rows hidden by the filter
    wb.save(path)

    rows[2]["amount"] = 99900  # the world moved on: amount changed
    [res] = refresh(rows, path.parent)
    assert res.open_items == 10 and res.own_rows == 0 and res.closed_items == 0
    got = entries(path)
    assert got[key(2)] == {
        "notes": "财务处说下周付",
        "contact_method": "电话 phone",
        "promise_amount": 1000.5,
        "promise_date": date(2026, 12, 1),
        "contact_person": "李老师",
    }
    assert got[key(7)] == {
        "dispute": "是 yes",
        "dispute_reason": "数量不符",
        "x:My flag": "call dean",
    }
    assert set(got) == {key(2), key(7)}
    cal = {r["_key"]: r for r in calamine_rows(path, "open")}
    assert cal[key(2)]["amount"] == 999.0
    ws = sheet(openpyxl.load_workbook(path), "open")
    cols = columns(ws)
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(cols["reason"])].hidden
    assert cols["x:My flag"] > cols["next_follow_up"]  # added columns follow the collector columns


def test_deleted_rows_and_columns_lose_nothing(tmp_path):
    rows = [item(i) for i in range(6)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    edit(
        path,
        {
            key(1): {"notes": "n1", "contact_person": "王"},
            key(4): {"notes": "n4"},
            key(5): {"contact_person": "赵"},
        },
    )
    refresh(rows, tmp_path)  # the entries were read once: from now on the workbook remembers them
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    ws.delete_rows(row_of(ws, key(1)))
    ws.delete_rows(row_of(ws, key(4)))
    ws.delete_cols(columns(ws)["contact_person"])
    wb.save(path)
    [res] = refresh([r for i, r in enumerate(rows) if i != 4], tmp_path)  # item 4 cleared meanwhile
    assert res.restored == 1 and res.moved_to_closed == 1
    assert entries(path) == {
        key(1): {"notes": "n1", "contact_person": "王"},
        key(5): {"contact_person": "赵"},
    }
    [closed] = calamine_rows(path, "closed")
    assert closed["_key"] == key(4) and closed["notes"] == "n4"
    assert closed["document_no"] == "0090000004" and "deleted" in closed["closed_reason"]
    assert any("deleted" in w for w in res.warnings)


def test_emptied_cell_stays_empty(tmp_path):
    rows = [item(i) for i in range(3)]
    refresh(rows, tmp_path)
    edit(tmp_path / "C1.xlsx", {key(0): {"notes": "x", "contact_person": "p"}})
    refresh(rows, tmp_path)
    edit(tmp_path / "C1.xlsx", {key(0): {"notes": None}})
    refresh(rows, tmp_path)
    assert entries(tmp_path / "C1.xlsx") == {key(0): {"contact_person": "p"}}


def test_own_rows_and_own_sheets_are_kept(tmp_path):
    rows = [item(i) for i in range(4)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    ws.cell(ws.max_row + 1, cols["notes"]).value = "月底前回访所有医院"
    ws.cell(ws.max_row, cols["customer_name"]).value = "新客户（未开票）"
    mine = wb.create_sheet("通话记录")
    mine["A1"], mine["B3"] = "日期", "=1+1"
    wb.save(path)
    for _ in range(2):  # twice: own rows must not multiply
        [res] = refresh(rows[1:], tmp_path)
    assert res.own_rows == 1
    own = [r for r in calamine_rows(path, "open") if "_key" not in r]
    assert own == [{"customer_name": "新客户（未开票）", "notes": "月底前回访所有医院"}]
    wb = openpyxl.load_workbook(path)
    assert wb["通话记录"]["A1"].value == "日期" and wb["通话记录"]["B3"].value == "=1+1"
    assert wb.sheetnames.count("通话记录") == 1


def test_closed_with_clearing_then_reopened(tmp_path):
    rows = [item(i) for i in range(5)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    edit(path, {key(3): {"notes": "已付，等银行回单", "promise_amount": 1234.59}})
    c = pd.DataFrame(
        [{**item(3), "clearing_date": pd.Timestamp("2026-11-20"), "clearing_doc": "1400000123"}]
    )
    cleared = CLEARED_ITEMS.coerce(c)
    [res] = refresh(rows[:3] + rows[4:], tmp_path, cleared=cleared)
    assert res.moved_to_closed == 1 and res.closed_items == 1
    [closed] = calamine_rows(path, "closed")
    assert closed["_key"] == key(3) and closed["notes"] == "已付，等银行回单"
    assert closed["clearing_date"] == date(2026, 11, 20) and closed["clearing_doc"] == "1400000123"
    assert closed["closed_on"] == AS_OF and closed["closed_reason"] == "已清账 cleared"
    edit(path, {key(3): {"contact_person": "会计科"}}, role="closed")  # typed on Closed
    [res] = refresh(rows, tmp_path)  # clearing reversed: open again
    assert res.reopened == 1 and res.closed_items == 0
    assert entries(path)[key(3)] == {
        "notes": "已付，等银行回单",
        "promise_amount": 1234.59,
        "contact_person": "会计科",
    }


def test_reassigned_item_and_collector_filter(tmp_path):
    rows = [item(i) for i in range(4)]
    refresh(rows, tmp_path)
    edit(tmp_path / "C1.xlsx", {key(2): {"notes": "hand over"}})
    rows[2]["collector"] = "C2"
    results = refresh(rows, tmp_path, collectors=["C1"])
    assert [r.collector for r in results] == ["C1"] and not (tmp_path / "C2.xlsx").exists()
    [closed] = calamine_rows(tmp_path / "C1.xlsx", "closed")
    assert closed["closed_reason"] == "转给 C2 reassigned to C2" and closed["notes"] == "hand over"


def test_renamed_or_deleted_sheet(tmp_path):
    rows = [item(i) for i in range(4)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    edit(path, {key(0): {"notes": "a"}, key(1): {"notes": "b"}})
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0].title = "我的清单"
    wb.save(path)
    [res] = refresh(rows, tmp_path)
    assert entries(path) == {key(0): {"notes": "a"}, key(1): {"notes": "b"}}
    assert "我的清单" not in openpyxl.load_workbook(path).sheetnames
    assert any("我的清单" in w for w in res.warnings)
    wb = openpyxl.load_workbook(path)
    del wb[wb.worksheets[0].title]
    wb.save(path)
    [res] = refresh(rows, tmp_path)
    assert res.restored == 2
    assert entries(path) == {key(0): {"notes": "a"}, key(1): {"notes": "b"}}


def test_formulas_text_and_duplicated_rows(tmp_path):
    rows = [item(i) for i in range(3)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    r = row_of(ws, key(0))
    ws.cell(r, cols["notes"]).value = "=not a formula"
    ws.cell(r, cols["notes"]).data_type = "s"
    ws.cell(r, cols["promise_amount"]).value = "=1000*2"
    copy = ws.max_row + 1
    for c in range(1, ws.max_column + 1):  # the collector copied row 1 and typed other notes
        ws.cell(copy, c).value = ws.cell(row_of(ws, key(1)), c).value
    ws.cell(copy, cols["notes"]).value = "second thoughts"
    ws.cell(row_of(ws, key(1)), cols["notes"]).value = "first"
    wb.save(path)
    [res] = refresh(rows, tmp_path)
    ws = sheet(openpyxl.load_workbook(path), "open")
    cols = columns(ws)
    r = row_of(ws, key(0))
    assert (
        ws.cell(r, cols["notes"]).value == "=not a formula"
        and ws.cell(r, cols["notes"]).data_type == "s"
    )
    assert ws.cell(r, cols["promise_amount"]).value == "=1000*2"
    assert ws.cell(r, cols["promise_amount"]).data_type == "f"
    notes = {v.value for v in ws[openpyxl.utils.get_column_letter(cols["notes"])]}
    assert {"first", "second thoughts"} <= notes
    assert res.own_rows == 1 and any("twice" in w for w in res.warnings)


def test_bad_input_names_what_and_where(tmp_path):
    with pytest.raises(SchemaError, match="missing finding"):
        refresh_worksheets(worklist([item(0)]).drop(columns=["finding"]), tmp_path, as_of=AS_OF)
    # XYZ is a currency key (2 decimals, as SAP has it when TCURX lists none); 人民币 is none:
    # bad data in one collector's items fails that workbook only, and says which item
    bad, good = refresh([item(0, currency="人民币"), item(1, collector="C2")], tmp_path)
    assert bad.outcome == "failed" and not (tmp_path / "C1.xlsx").exists()
    assert "1000|2026|0090000000|001" in bad.warnings[0] and "人民币" in bad.warnings[0]
    assert good.outcome == "created" and (tmp_path / "C2.xlsx").exists()


def test_unassigned_and_unsafe_collector_names(tmp_path):
    rows = [item(0, collector="a/b:c"), item(1, collector="CON"), item(2, collector="")]
    results = refresh(rows, tmp_path)
    assert sorted(r.path.name for r in results) == ["_CON.xlsx", "_unassigned.xlsx", "a_b_c.xlsx"]
    with pytest.raises(DataError, match="one file"):
        refresh([item(0, collector="a/b"), item(1, collector="a:b")], tmp_path)


def test_collector_with_no_items_left_is_still_refreshed(tmp_path):
    refresh([item(0), item(1, collector="C2")], tmp_path)
    edit(tmp_path / "C1.xlsx", {key(0): {"notes": "last one"}})
    (tmp_path / "notes.xlsx").write_bytes(b"someone else's file")  # not ours: ignored
    results = refresh([item(1, collector="C2")], tmp_path)
    assert [r.collector for r in results] == ["C1", "C2"]
    assert entries(tmp_path / "C1.xlsx", "closed") == {key(0): {"notes": "last one"}}
    assert calamine_rows(tmp_path / "C1.xlsx", "open") == []


def test_cell_comments_follow_their_item(tmp_path):
    from openpyxl.comments import Comment

    rows = [item(i) for i in range(4)]
    path = tmp_path / "C1.xlsx"
    refresh(rows, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    ws.cell(row_of(ws, key(2)), cols["amount"]).comment = Comment("客户说少付了 10 元", "王丽")
    wb.save(path)
    refresh(rows[:2] + rows[3:] + rows[2:3], tmp_path)  # reordered input
    refresh(rows[:2] + rows[3:], tmp_path)  # and then item 2 cleared
    ws = sheet(openpyxl.load_workbook(path), "closed")
    cols = columns(ws)
    assert ws.cell(row_of(ws, key(2)), cols["amount"]).comment.text == "客户说少付了 10 元"
    opened = sheet(openpyxl.load_workbook(path), "open")
    assert not any(c.comment for row in opened.iter_rows() for c in row)
