"""``plan-<week|month>.xlsx``: a collection plan for the team and each collector.

Sheets: the plan (per collector: expected per day of a week or per week of a month, the total,
the target and the gap; a native stacked chart of the team's expected amount by source), by
customer (the same columns per customer), the items (each expected item with its date, where
the date comes from, the words behind it and how sure it is), the items to work to close the
gap (highest expected value of a contact first) and, when there is one, the previous plan
against what was collected.  Money in the plan currency's major unit; "expected" amounts are
the items' amounts, "weighted" ones are multiplied by the probability of being collected in the
period.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
import xlsxwriter

from arsync.common.money import decimals
from arsync.reports._supervisor_words import text
from arsync.reports.vocabulary import finding

if TYPE_CHECKING:
    from arsync.reports.plan_data import PlanData

W = {
    "plan": ("收款计划", "Plan"),
    "week": ("周计划", "Week plan"),
    "month": ("月计划", "Month plan"),
    "collector": ("催收员", "Collector"),
    "customer": ("客户", "Customer"),
    "name": ("客户名称", "Customer name"),
    "total": ("合计", "Total"),
    "weighted": ("加权预计", "Weighted"),
    "target": ("目标", "Target"),
    "gap": ("差额", "Gap"),
    "team": ("团队", "Team"),
    "items": ("明细", "Items"),
    "by_customer": ("按客户", "By customer"),
    "to_work": ("待跟进", "To work"),
    "actual": ("计划与实际", "Plan vs actual"),
    "document": ("凭证", "Document"),
    "amount": ("金额", "Amount"),
    "expected_date": ("预计回款日", "Expected date"),
    "source": ("依据", "Source"),
    "basis": ("说明", "Basis"),
    "confidence": ("把握度", "Confidence"),
    "probability": ("期内回款概率", "Probability in period"),
    "value": ("跟进价值", "Value of a contact"),
    "planned": ("计划", "Planned"),
    "expected": ("加权预计", "Expected (weighted)"),
    "collected": ("实际回款", "Collected"),
    "collected_planned": ("其中计划内", "Of which planned"),
    "finding": ("状态", "Finding"),
    "due_date": ("到期日", "Due date"),
    "portal": ("平台", "portal"),
    "promise": ("承诺", "promise"),
    "history": ("历史", "history"),
    "due_date_src": ("到期日", "due date"),
}
SOURCES = ("portal", "promise", "history", "due_date")


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``df`` as named tuples (typed loosely: the columns are the frame's)."""
    return iter(df.itertuples(index=False))


def write_plan(data: PlanData, out_dir: Path) -> Path:
    """Write ``plan-<kind>.xlsx`` into ``out_dir`` (atomically); returns its path."""
    from arsync.reports.export import _commit, _staged

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"plan-{data.kind}.xlsx"
    _commit({path: _staged(path, lambda tmp: _write(data, tmp))})
    return path


def _w(key: str, lang: str) -> str:
    return text(*W[key], lang)


def _src(s: str, lang: str) -> str:
    return _w("due_date_src" if s == "due_date" else s, lang) if s in SOURCES else s


def _write(data: PlanData, path: str) -> None:
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        head = wb.add_format(
            {
                "bold": True,
                "bg_color": "#1f5f99",
                "font_color": "#FFFFFF",
                "border": 1,
                "text_wrap": 1,
            }
        )
        money = wb.add_format({"num_format": "#,##0.00"})
        pct = wb.add_format({"num_format": "0%"})
        datef = wb.add_format({"num_format": "yyyy-mm-dd"})
        bold = wb.add_format({"bold": True, "num_format": "#,##0.00"})
        f = {"head": head, "money": money, "pct": pct, "date": datef, "bold": bold}
        _plan_sheet(wb, f, data)
        _customer_sheet(wb, f, data)
        _items_sheet(wb, f, data)
        _work_sheet(wb, f, data)
        if data.actual is not None and len(data.actual):
            _actual_sheet(wb, f, data)
        for ws in wb.worksheets():  # printed: landscape, one page wide
            ws.set_landscape()
            ws.set_paper(9)  # A4
            ws.fit_to_pages(1, 0)
    finally:
        wb.close()


def _cols(data: PlanData) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    from arsync.reports.plan_data import buckets

    out = []
    for a, b in buckets(data.first, data.last, data.kind):
        label = a.strftime("%m-%d") if a == b else f"{a:%m-%d}–{b:%m-%d}"
        out.append((pd.Timestamp(a), pd.Timestamp(b), label))
    return out


def _grid(data: PlanData, by: list[str]) -> pd.DataFrame:
    """Expected amount (minor units) per ``by`` and column, in the plan currency."""
    p = data.planned
    p = p[p["currency"] == data.currency]
    cols = _cols(data)
    col = pd.Series("", index=p.index, dtype=object)
    for a, b, label in cols:
        col[p["expected_date"].between(a, b)] = label
    g = p.assign(_col=col).pivot_table(
        index=by, columns="_col", values="amount", aggfunc="sum", fill_value=0
    )
    return g.reindex(columns=[c[2] for c in cols], fill_value=0)


def _plan_sheet(wb, f, data: PlanData) -> None:
    lang = data.language
    ws = wb.add_worksheet(_w("plan", lang))
    scale = 10 ** decimals(data.currency)
    ws.write(
        0,
        0,
        f"{_w(data.kind, lang)}  {data.first} – {data.last}  ({data.currency}; "
        f"{text('数据截至', 'as of', lang)} {data.as_of}, {text('运行', 'run', lang)} {data.run_id})",
    )
    g = _grid(data, ["collector"])
    labels = list(g.columns)
    p = data.planned[data.planned["currency"] == data.currency]
    weighted = (p["amount"] * p["probability"]).groupby(p["collector"]).sum()
    heads = [
        _w("collector", lang),
        *labels,
        _w("total", lang),
        _w("weighted", lang),
        _w("target", lang),
        _w("gap", lang),
    ]
    for c, h in enumerate(heads):
        ws.write(2, c, h, f["head"])
    collectors = sorted(set(data.items["collector"]) | set(data.targets))
    r = 3
    vals: Any
    for coll in [*collectors, None]:
        name = coll if coll is not None else _w("team", lang)
        if coll is None:
            vals = g.sum(axis=0) if len(g) else pd.Series(0, index=labels)
            wsum = float(weighted.sum())
            target = sum(data.targets.values()) if data.targets else None
        else:
            vals = g.loc[coll] if coll in g.index else pd.Series(0, index=labels)
            wsum = float(weighted.get(coll, 0))
            target = data.targets.get(coll)
        fmt = f["bold"] if coll is None else f["money"]
        ws.write_string(r, 0, name)
        for c, label in enumerate(labels, start=1):
            ws.write_number(r, c, float(vals.get(label, 0)) / scale, fmt)
        n = len(labels)
        ws.write_number(r, n + 1, float(sum(vals)) / scale, fmt)
        ws.write_number(r, n + 2, wsum / scale, fmt)
        if target is not None:
            ws.write_number(r, n + 3, target / scale, fmt)
            ws.write_number(r, n + 4, max(target - wsum, 0) / scale, fmt)
        r += 1
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(heads), 13)
    ws.set_row(2, 32)
    # the team's expected amount per column, by source: a native stacked chart
    by_src = _grid(data, ["source"])
    r0 = r + 2
    ws.write(r0, 0, _w("source", lang), f["head"])
    for c, label in enumerate(labels, start=1):
        ws.write(r0, c, label, f["head"])
    rows = [s for s in SOURCES if s in by_src.index]
    for i, s in enumerate(rows, start=1):
        ws.write_string(r0 + i, 0, _src(s, lang))
        for c, label in enumerate(labels, start=1):
            ws.write_number(r0 + i, c, float(cast(Any, by_src.loc[s, label])) / scale, f["money"])
    if rows and labels:
        ch = wb.add_chart({"type": "column", "subtype": "stacked"})
        sheet = ws.get_name()
        for i in range(1, len(rows) + 1):
            ch.add_series(
                {
                    "name": [sheet, r0 + i, 0],
                    "categories": [sheet, r0, 1, r0, len(labels)],
                    "values": [sheet, r0 + i, 1, r0 + i, len(labels)],
                }
            )
        ch.set_title({"name": text("预计回款（按依据）", "Expected collections by source", lang)})
        ch.set_y_axis({"num_format": "#,##0", "name": data.currency})
        ws.insert_chart(r0 + len(rows) + 2, 0, ch, {"x_scale": 1.5, "y_scale": 1.2})


def _customer_sheet(wb, f, data: PlanData) -> None:
    lang = data.language
    ws = wb.add_worksheet(_w("by_customer", lang))
    scale = 10 ** decimals(data.currency)
    g = _grid(data, ["collector", "customer"])
    names = data.items.drop_duplicates("customer").set_index("customer")["name"]
    labels = list(g.columns)
    heads = [
        _w("collector", lang),
        _w("customer", lang),
        _w("name", lang),
        *labels,
        _w("total", lang),
    ]
    for c, h in enumerate(heads):
        ws.write(0, c, h, f["head"])
    for r, (idx, vals) in enumerate(g.iterrows(), start=1):
        coll, cust = cast(tuple[str, str], idx)
        ws.write_string(r, 0, str(coll))
        ws.write_string(r, 1, str(cust))
        ws.write_string(r, 2, str(names.get(cust, "")))
        for c, label in enumerate(labels, start=3):
            ws.write_number(r, c, float(vals[label]) / scale, f["money"])
        ws.write_number(r, len(heads) - 1, float(vals.sum()) / scale, f["money"])
    ws.set_column(0, 1, 12)
    ws.set_column(2, 2, 28)
    ws.set_column(3, len(heads), 12)
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(len(g), 1), len(heads) - 1)


def _item_cells(ws, r: int, x, f, scale: int) -> None:
    """Columns A–F of an item row, shared by the items and to-work sheets: collector, customer,
    name, item key, amount (minor units ÷ ``scale``), expected date."""
    ws.write_string(r, 0, str(x.collector))
    ws.write_string(r, 1, str(x.customer))
    ws.write_string(r, 2, str(x.name))
    ws.write_string(r, 3, f"{x.company_code}|{x.fiscal_year}|{x.document_no}|{x.line_item}")
    ws.write_number(r, 4, int(x.amount) / scale, f["money"])
    ws.write_datetime(r, 5, pd.Timestamp(x.expected_date).to_pydatetime(), f["date"])


def _items_sheet(wb, f, data: PlanData) -> None:
    lang = data.language
    ws = wb.add_worksheet(_w("items", lang))
    heads = [
        "collector",
        "customer",
        "name",
        "document",
        "amount",
        "expected_date",
        "source",
        "basis",
        "confidence",
        "probability",
        "due_date",
        "finding",
    ]
    for c, h in enumerate(heads):
        ws.write(0, c, _w(h, lang), f["head"])
    p = data.planned.sort_values(["collector", "expected_date", "customer"])
    for r, x in enumerate(_rows(p), start=1):
        _item_cells(ws, r, x, f, 10 ** decimals(str(x.currency)))
        ws.write_string(r, 6, _src(str(x.source), lang))
        ws.write_string(r, 7, str(x.basis))
        ws.write_number(r, 8, float(x.confidence), f["pct"])
        ws.write_number(r, 9, float(x.probability), f["pct"])
        if pd.notna(x.due_date):
            ws.write_datetime(r, 10, pd.Timestamp(x.due_date).to_pydatetime(), f["date"])
        ws.write_string(r, 11, finding(str(x.finding), lang))
    ws.set_column(0, 1, 12)
    ws.set_column(2, 2, 28)
    ws.set_column(3, 3, 24)
    ws.set_column(4, 6, 12)
    ws.set_column(7, 7, 50)
    ws.set_column(8, 11, 12)
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(len(p), 1), len(heads) - 1)


def _work_sheet(wb, f, data: PlanData) -> None:
    lang = data.language
    ws = wb.add_worksheet(_w("to_work", lang))
    heads = [
        "collector",
        "customer",
        "name",
        "document",
        "amount",
        "expected_date",
        "source",
        "probability",
        "value",
    ]
    for c, h in enumerate(heads):
        ws.write(0, c, _w(h, lang), f["head"])
    scale = 10 ** decimals(data.currency)
    for r, x in enumerate(_rows(data.work), start=1):
        _item_cells(ws, r, x, f, scale)
        ws.write_string(r, 6, _src(str(x.source), lang))
        ws.write_number(r, 7, float(x.probability), f["pct"])
        ws.write_number(r, 8, float(x.value) / scale, f["money"])
    ws.set_column(0, 1, 12)
    ws.set_column(2, 2, 28)
    ws.set_column(3, 3, 24)
    ws.set_column(4, 8, 13)
    ws.freeze_panes(1, 0)


def _actual_sheet(wb, f, data: PlanData) -> None:
    lang = data.language
    a = data.actual
    assert a is not None
    ws = wb.add_worksheet(_w("actual", lang))
    ws.write(0, 0, str(a["plan_id"].iloc[0]))
    heads = ["collector", "customer", "planned", "expected", "collected", "collected_planned"]
    for c, h in enumerate(heads):
        ws.write(1, c, _w(h, lang), f["head"])
    for r, x in enumerate(_rows(a.sort_values(["collector", "customer"])), 2):
        scale = 10 ** decimals(str(x.currency))
        ws.write_string(r, 0, str(x.collector))
        ws.write_string(r, 1, str(x.customer))
        for c, col in enumerate(heads[2:], start=2):
            ws.write_number(r, c, int(getattr(x, col)) / scale, f["money"])
    ws.set_column(0, 5, 14)
