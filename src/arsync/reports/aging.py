"""The aging report: open items by aging bucket, per customer, collector, segment or company
code, with totals per currency (CNY is never added to JPY) and a native Excel chart.

Buckets are the worksheets' (days past the net due date, ``reconcile.aging_limits``; the
worklist's ``aging_bucket``), and every open item counts in its bucket — credits too, with
their sign — so that each currency's total is exactly the sum of its open items.  Amounts are
numbers in the currency's major unit, written as values (no formula a reader must compute).
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from arsync.common.money import to_major
from arsync.reports import labels as L
from arsync.reports._layout import money_format

BY = {
    "customer": ("customer", "客户", "Customer"),
    "collector": ("collector", "催收员", "Collector"),
    "segment": ("segment", "客户类型", "Segment"),
    "company-code": ("company_code", "公司代码", "Company code"),
}
HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
TOTAL_FILL = PatternFill("solid", fgColor="DDEBF7")
WHITE = Font(bold=True, color="FFFFFF")


def aging_table(worklist: pd.DataFrame, by: str, buckets: list[str]) -> pd.DataFrame:
    """One row per group and currency: ``key``, ``name`` (customers only), ``currency``,
    ``items``, the buckets' amounts and ``total`` (minor units), sorted by currency, then
    total descending.  Raises ``ValueError`` for an unknown ``by``."""
    if by not in BY:
        raise ValueError(f"by {by!r}: use one of {', '.join(BY)}")
    col = BY[by][0]
    labels = list(buckets) + sorted(set(worklist["aging_bucket"]) - set(buckets))
    g = worklist.groupby([col, "currency", "aging_bucket"], sort=False)["amount"].sum()
    wide = g.unstack("aging_bucket", fill_value=0).reindex(columns=labels, fill_value=0)
    wide["total"] = wide.sum(axis=1)
    wide["items"] = worklist.groupby([col, "currency"], sort=False).size()
    out = wide.reset_index().rename(columns={col: "key"})
    if by == "customer":
        names = worklist.drop_duplicates("customer").set_index("customer")["customer_name"]
        out.insert(1, "name", out["key"].map(names).fillna(""))
    out = out.sort_values(
        ["currency", "total", "key"], ascending=[True, False, True], kind="stable"
    )
    return out.reset_index(drop=True)


def currency_totals(table: pd.DataFrame, buckets: list[str]) -> pd.DataFrame:
    """Per currency: items, each bucket and the total (minor units)."""
    cols = [b for b in buckets if b in table.columns] + ["total", "items"]
    return table.groupby("currency", sort=True)[cols].sum().reset_index()


def aging_xlsx(
    worklist: pd.DataFrame, *, by: str, buckets: list[str], as_of: date, language: str
) -> bytes:
    """The aging report workbook: an "Aging" sheet (groups × buckets, per currency with its
    total row) and a "Totals" sheet with a stacked bar chart per currency."""
    table = aging_table(worklist, by, buckets)
    labels = [c for c in table.columns if c not in ("key", "name", "currency", "items", "total")]
    totals = currency_totals(table, labels)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = L.text("账龄", "Aging", language)
    _, zh, en = BY[by]
    heads = [L.text(zh, en, language)]
    if by == "customer":
        heads.append(L.text("客户名称", "Customer name", language))
    heads += [L.text("币种", "Currency", language), L.text("项目数", "Items", language)]
    heads += [_bucket(b, language) for b in labels] + [L.text("合计", "Total", language)]
    ws.append([L.text("账龄分析", "Aging report", language) + f"  {as_of.isoformat()}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(heads)
    for c in range(1, len(heads) + 1):
        cell = ws.cell(2, c)
        cell.font, cell.fill = WHITE, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    money_from = len(heads) - len(labels)  # first money column (1-based)
    records = table.to_dict("records")
    for rec in records:
        cur = rec["currency"]
        row = [rec["key"]] + ([rec["name"]] if by == "customer" else []) + [cur, int(rec["items"])]
        row += [to_major(int(rec[b]), cur) for b in labels] + [to_major(int(rec["total"]), cur)]
        ws.append(row)
    first_data = 3
    for t in totals.to_dict("records"):
        cur = t["currency"]
        row = (
            [L.text("合计", "Total", language)]
            + ([""] if by == "customer" else [])
            + [cur, int(t["items"])]
        )
        row += [to_major(int(t[b]), cur) for b in labels] + [to_major(int(t["total"]), cur)]
        ws.append(row)
        for c in range(1, len(heads) + 1):
            cell = ws.cell(ws.max_row, c)
            cell.fill, cell.font = TOTAL_FILL, Font(bold=True)
    cur_col = heads.index(L.text("币种", "Currency", language)) + 1
    for r in range(first_data, ws.max_row + 1):
        fmt = money_format(ws.cell(r, cur_col).value)
        for c in range(money_from, len(heads) + 1):
            ws.cell(r, c).number_format = fmt
        ws.cell(r, 1).number_format = "@"
    widths = [14] + ([30] if by == "customer" else []) + [7, 8] + [14] * (len(labels) + 1)
    for i, wdt in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = wdt
    ws.freeze_panes = f"{get_column_letter(cur_col + 2)}3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(heads))}{max(2 + len(records), 3)}"
    _totals_sheet(wb, totals, labels, language, as_of)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _totals_sheet(
    wb: Workbook, totals: pd.DataFrame, labels: list[str], language: str, as_of: date
) -> None:
    ws = wb.create_sheet(L.text("汇总", "Totals", language))
    ws.append(
        [
            L.text("币种", "Currency", language),
            *(_bucket(b, language) for b in labels),
            L.text("合计", "Total", language),
        ]
    )
    for c in range(1, len(labels) + 3):
        ws.cell(1, c).font, ws.cell(1, c).fill = WHITE, HEAD_FILL
        ws.column_dimensions[get_column_letter(c)].width = 15
    for i, t in enumerate(totals.to_dict("records"), 2):
        cur = t["currency"]
        ws.append(
            [cur, *(to_major(int(t[b]), cur) for b in labels), to_major(int(t["total"]), cur)]
        )
        for c in range(2, len(labels) + 3):
            ws.cell(i, c).number_format = money_format(cur)
        chart = BarChart()
        chart.type = "col"
        chart.title = f"{L.text('账龄分布', 'Aging', language)} {cur} ({as_of.isoformat()})"
        chart.y_axis.title = cur
        chart.legend = None
        chart.add_data(
            Reference(ws, min_col=2, max_col=len(labels) + 1, min_row=i, max_row=i),
            from_rows=True,
            titles_from_data=False,
        )
        chart.set_categories(
            Reference(ws, min_col=2, max_col=len(labels) + 1, min_row=1, max_row=1)
        )
        chart.height, chart.width = 7.5, 16
        ws.add_chart(chart, f"A{len(totals) + 4 + (i - 2) * 16}")


def _bucket(label: str, language: str) -> str:
    if label == "not due":
        return L.text("未到期", "not due", language)
    return (
        L.text(f"{label} 天", f"{label} days", language)
        if label[0].isdigit() or label[0] == ">"
        else label
    )
