"""What collectors do to their workbook — formulas, text in system columns, merged cells, their
own formatting and drop-downs, dates and amounts typed as text — survives a refresh that moves
every row, also after their office program (LibreOffice here) saved the file."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from arsync.config.settings import ReportSettings
from arsync.reports import _styles as S
from arsync.reports.worksheets import refresh_worksheets
from test_worksheets_build import (
    AS_OF,
    calamine_rows,
    columns,
    entries,
    item,
    key,
    needs_office,
    office_resave,
    row_of,
    sheet,
    worklist,
)

ZH = ReportSettings(language="zh")


def refresh(rows, out, as_of=AS_OF, settings=ZH):
    [res] = refresh_worksheets(worklist(rows), out, as_of=as_of, settings=settings)
    return res


def resorted(rows):
    """The world moved: priorities change, so every item lands on another row."""
    return [
        {**r, "priority": 4 - r["priority"], "days_overdue": r["days_overdue"] + 3} for r in rows
    ]


def letter(cols, fid):
    return get_column_letter(cols[fid])


@needs_office
def test_formulas_follow_their_row_or_keep_their_value(tmp_path):
    rows = [item(i) for i in range(10)]
    path = refresh(rows, tmp_path).path
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    a, b, c, d = (row_of(ws, key(n)) for n in (2, 5, 7, 8))
    ws.cell(a, cols["promise_amount"]).value = f"={letter(cols, 'amount')}{a}*0.5"
    ws.cell(b, cols["next_follow_up"]).value = f"={letter(cols, 'due_date')}{b}+7"
    ws.cell(c, cols["notes"]).value = f"={letter(cols, 'amount')}{a}"  # another item's cell
    ws.cell(d, cols["promise_amount"]).value = "=SUM(100,20)"
    wb.save(path)
    res = refresh(resorted(rows), tmp_path)  # rows move; no program has computed formulas yet
    ws = sheet(openpyxl.load_workbook(path), "open")
    cols = columns(ws)
    a, b, c, d = (row_of(ws, key(n)) for n in (2, 5, 7, 8))
    assert ws.cell(a, cols["promise_amount"]).value == f"={letter(cols, 'amount')}{a}*0.5"
    assert ws.cell(b, cols["next_follow_up"]).value == f"={letter(cols, 'due_date')}{b}+7"
    assert ws.cell(d, cols["promise_amount"]).value == "=SUM(100,20)"
    other = ws.cell(c, cols["notes"])  # never a formula pointing at another item: its text
    assert other.data_type == "s" and other.value.startswith("=")
    assert any("another row" in w and "item " + key(7) in w for w in res.warnings)

    # the collector's office program computes and saves; the next refresh moves rows again
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    e = row_of(ws, key(9))
    ws.cell(e, cols["promise_amount"]).value = f"={letter(cols, 'amount')}{row_of(ws, key(0))}"
    wb.save(path)
    office_resave(path)
    res = refresh(rows, tmp_path)
    assert any("item " + key(9) in w and "value it showed (1234.56)" in w for w in res.warnings), (
        res.warnings
    )
    office_resave(path)  # computed by a second reader: the values are the items' own
    cal = {r["_key"]: r for r in calamine_rows(path, "open") if "_key" in r}
    assert cal[key(2)]["promise_amount"] == pytest.approx((123456 + 2) / 100 * 0.5)
    assert cal[key(5)]["next_follow_up"] == item(5)["due_date"].date() + timedelta(days=7)
    assert cal[key(8)]["promise_amount"] == 120
    assert cal[key(9)]["promise_amount"] == pytest.approx(1234.56)  # the value kept


@needs_office
def test_text_typed_in_system_columns_moves_into_the_notes(tmp_path):
    rows = [item(i) for i in range(6)]
    path = refresh(rows, tmp_path).path
    office_resave(path)  # an untouched workbook saved by the office program: nothing typed
    res = refresh(rows, tmp_path)
    assert not [w for w in res.warnings if "system column" in w], res.warnings
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    ws.cell(row_of(ws, key(1)), cols["next_action"]).value = "客户说下月付"
    ws.cell(row_of(ws, key(2)), cols["reason"]).value = "盖章中"
    ws.cell(row_of(ws, key(2)), cols["notes"]).value = "已催"
    ws.cell(row_of(ws, key(3)), cols["amount"]).value = 1000  # a correction typed over SAP's
    wb.save(path)
    office_resave(path)
    res = refresh(resorted(rows), tmp_path)
    got = entries(path)
    assert got[key(1)]["notes"] == "〔写在「下一步」栏〕客户说下月付"
    assert got[key(2)]["notes"] == "已催\n〔写在「原因」栏〕盖章中"
    assert got[key(3)]["notes"] == "〔写在「金额」栏〕1000"
    moved = [w for w in res.warnings if "system column" in w]
    assert len(moved) == 3 and any("客户说下月付" in w and "下一步" in w for w in moved)
    cal = {r["_key"]: r for r in calamine_rows(path, "open")}
    assert cal[key(1)]["next_action"] == "现金核销：查找来款，提出清账建议"  # rewritten
    assert cal[key(3)]["amount"] == pytest.approx(1234.59)
    res = refresh(rows, tmp_path)  # once only
    assert not [w for w in res.warnings if "system column" in w]
    assert entries(path)[key(1)]["notes"] == "〔写在「下一步」栏〕客户说下月付"


@pytest.mark.parametrize("resave", [False, pytest.param(True, marks=needs_office)])
def test_merged_cells_give_their_value_to_every_item(tmp_path, resave):
    rows = [item(i) for i in range(6)]
    path = refresh(rows, tmp_path).path
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    first = 3
    ws.cell(first, cols["notes"]).value = "同一批，财务处统一付款"
    n = letter(cols, "notes")
    ws.merge_cells(f"{n}{first}:{n}{first + 2}")
    name = letter(cols, "customer_name")  # merged system cells: a look only
    ws.merge_cells(f"{name}{first}:{name}{first + 2}")
    keys = [ws.cell(r, cols["_key"]).value for r in range(first, first + 3)]
    wb.save(path)
    if resave:
        office_resave(path)
    res = refresh(resorted(rows), tmp_path)
    got = entries(path)
    assert {k: got[k]["notes"] for k in keys} == dict.fromkeys(keys, "同一批，财务处统一付款")
    assert set(got) == set(keys)
    assert any("merged" in w and f"{n}{first}:{n}{first + 2}" in w for w in res.warnings)
    assert not sheet(openpyxl.load_workbook(path), "open").merged_cells.ranges
    cal = {r["_key"]: r for r in calamine_rows(path, "open")}
    assert all(
        cal[k]["customer_name"] == item(int(k.split("|")[2]) - 90000000)["customer_name"]
        for k in keys
    )


@needs_office
def test_own_formatting_drop_downs_and_conditional_formats_are_kept(tmp_path):
    rows = [item(i) for i in range(8)]
    path = refresh(rows, tmp_path).path
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    x, y = row_of(ws, key(4)), row_of(ws, key(6))
    ws.cell(x, cols["notes"]).value = "重点"
    ws.cell(x, cols["notes"]).fill = PatternFill("solid", fgColor="FFFF00")
    ws.cell(x, cols["notes"]).font = Font(bold=True, color="C00000")
    ws.cell(y, cols["contact_person"]).value = "周老师"
    ws.cell(y, cols["contact_person"]).font = Font(italic=True)
    extra = ws.max_column + 1
    ws.cell(1, extra).value = "跟进等级"
    el = get_column_letter(extra)
    dv = DataValidation(type="list", formula1='"高,中,低"', allow_blank=True)
    dv.add(f"{el}2:{el}1048576")
    ws.add_data_validation(dv)
    ws.cell(x, extra).value = "高"
    partial = DataValidation(type="list", formula1='"A,B"')
    partial.add(f"{letter(cols, 'contact_person')}3:{letter(cols, 'contact_person')}5")
    ws.add_data_validation(partial)
    f = letter(cols, "next_follow_up")
    rule = FormulaRule(
        formula=[f'AND(${f}2<>"",${f}2<TODAY())'], fill=PatternFill("solid", bgColor="FFC7CE")
    )
    ws.conditional_formatting.add(f"{f}2:{f}1048576", rule)
    wb.save(path)
    office_resave(path)
    res = refresh(resorted(rows), tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    x, y = row_of(ws, key(4)), row_of(ws, key(6))
    cell = ws.cell(x, cols["notes"])
    assert cell.value == "重点" and cell.fill.fgColor.rgb.endswith("FFFF00")
    assert cell.font.b and cell.font.color.rgb.endswith("C00000")
    assert ws.cell(y, cols["contact_person"]).font.i
    assert not ws.cell(y, cols["notes"]).font.b  # formatting stays with its item
    el = letter(cols, "x:跟进等级")
    lists = {str(d.sqref): d.formula1 for d in ws.data_validations.dataValidation}
    assert lists.get(f"{el}2:{el}10000") == '"高,中,低"', lists
    f = letter(cols, "next_follow_up")
    [cf] = [c for c in ws.conditional_formatting if str(c.sqref) == f"{f}2:{f}10000"]
    assert cf.rules[0].formula == [f'AND(${f}2<>"",${f}2<TODAY())']
    assert any("drop-down" in w and "some rows only" in w for w in res.warnings)
    assert entries(path)[key(4)]["x:跟进等级"] == "高"


@needs_office
def test_dates_and_amounts_typed_as_text(tmp_path):
    rows = [item(i) for i in range(6)]
    path = refresh(rows, tmp_path).path
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    cols = columns(ws)
    typed = {
        key(0): {"contact_date": "2026/12/5", "promise_amount": "¥12,000.00"},
        key(1): {"promise_date": "12月5日", "promise_amount": "12，000.50"},
        key(2): {"next_follow_up": "下周", "promise_amount": "$500"},
        key(3): {"promise_amount": "1.2万", "promise_date": "2026年12月31日"},
    }
    for k, fields in typed.items():
        for f, v in fields.items():
            ws.cell(row_of(ws, k), cols[f]).value = v
    wb.save(path)
    office_resave(path)
    res = refresh(resorted(rows), tmp_path)
    cal = {r["_key"]: r for r in calamine_rows(path, "open")}
    assert cal[key(0)]["contact_date"] == date(2026, 12, 5)
    assert cal[key(0)]["promise_amount"] == 12000
    assert cal[key(1)]["promise_date"] == date(2026, 12, 5)  # the year nearest the refresh
    assert cal[key(1)]["promise_amount"] == 12000.5
    assert cal[key(3)]["promise_amount"] == 12000
    assert cal[key(3)]["promise_date"] == date(2026, 12, 31)
    assert cal[key(2)]["next_follow_up"] == "下周" and cal[key(2)]["promise_amount"] == "$500"
    ws = sheet(openpyxl.load_workbook(path), "open")
    cols = columns(ws)
    bad = ws.cell(row_of(ws, key(2)), cols["next_follow_up"])
    assert bad.fill.fgColor.rgb.endswith(S.FLAG) and "日期" in bad.comment.text
    assert any("'下周' is not a date" in w for w in res.warnings)
    assert any("'$500' is not an amount" in w for w in res.warnings)
    # the flag is the refresh's, not a note of the collector's: it does not pile up
    res = refresh(rows, tmp_path)
    assert "~next_follow_up" not in entries(path)[key(2)]
    # the columns say what they take: number formats and a validation with an input message
    for fid in ("contact_date", "promise_date", "next_follow_up", "promise_amount"):
        col = letter(cols, fid)
        fmt = ws.column_dimensions[col].number_format
        assert fmt == ("yyyy-mm-dd" if fid != "promise_amount" else "#,##0.00")
        [dv] = [d for d in ws.data_validations.dataValidation if str(d.sqref).startswith(col + "2")]
        assert dv.type == ("date" if fid != "promise_amount" else "decimal")
        assert dv.showInputMessage and dv.prompt and dv.errorStyle == "warning"
    # 12月5日 typed in January is last December
    wb = openpyxl.load_workbook(path)
    ws = sheet(wb, "open")
    ws.cell(row_of(ws, key(4)), columns(ws)["contact_date"]).value = "12月5日"
    wb.save(path)
    refresh(rows, tmp_path, as_of=date(2027, 1, 10))
    assert entries(path)[key(4)]["contact_date"] == date(2026, 12, 5)
