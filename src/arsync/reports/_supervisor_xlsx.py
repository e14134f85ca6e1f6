"""``supervisor.xlsx``: the supervisor report's workbook, with native Excel charts (XlsxWriter).

Sheets: summary (every measure, this period against the previous one, per currency), by
collector, aging, trend (the run store's snapshots), top overdue customers, and the definitions
(each measure's formula and source).  Numbers are numbers (money in the major unit, days, %),
so the supervisor can sort, filter and chart them; text from SAP is written as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
import xlsxwriter

from arsync.common.money import decimals
from arsync.reports._supervisor_words import BY_ID, MEASURES, PER_COLLECTOR, measure_name, word
from arsync.reports.vocabulary import aging

if TYPE_CHECKING:
    from arsync.reports.supervisor import SupervisorData

_HEAD = {"bold": True, "bg_color": "#1f5f99", "font_color": "#ffffff", "border": 1, "text_wrap": 1}
_FMT = {"money": "#,##0.00", "days": "0.0", "pct": "0.0", "int": "#,##0"}


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``df`` as named tuples (typed loosely: the columns are the frame's)."""
    return iter(df.itertuples(index=False))


def write(data: SupervisorData, path: str) -> None:
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        f = _Formats(wb)
        _summary(wb, f, data)
        _by_collector(wb, f, data)
        _aging(wb, f, data)
        _trend(wb, f, data)
        _top(wb, f, data)
        _definitions(wb, f, data)
        for ws in wb.worksheets():  # printed: landscape, one page wide
            ws.set_landscape()
            ws.set_paper(9)  # A4
            ws.fit_to_pages(1, 0)
    finally:
        wb.close()


class _Formats:
    def __init__(self, wb) -> None:
        self.head = wb.add_format(_HEAD)
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.text = wb.add_format({"text_wrap": 1, "valign": "top"})
        self.num = {k: wb.add_format({"num_format": v}) for k, v in _FMT.items()}
        self.bold = wb.add_format({"bold": True})


def _unit(mid: str) -> str:
    if mid.startswith("aging:"):
        return "money"
    m = BY_ID.get(mid)
    return m.unit if m is not None else "int"


def _shown(data: SupervisorData, mid: str, v: float | None, currency: str) -> float | None:
    if v is None or pd.isna(v):
        return None
    if _unit(mid) == "money":
        return float(v) / 10 ** decimals(currency)
    return float(v)


def _put(ws, row: int, col: int, v: float | None, fmt) -> None:
    if v is None:
        ws.write_blank(row, col, None)
    else:
        ws.write_number(row, col, v, fmt)


def _summary(wb, f: _Formats, data: SupervisorData) -> None:
    lang = data.language
    ws = wb.add_worksheet(word("summary", lang)[:31])
    ws.write(0, 0, word("title", lang), f.title)
    ws.write(
        1,
        0,
        f"{word('as_of', lang)} {data.as_of}  ·  {word('period', lang)} "
        f"{word(data.period, lang)} ({data.start}, {data.as_of}]  ·  "
        f"{word('run', lang)} {data.run_id}",
    )
    heads = ["currency", "measure", "this", "previous", "change"]
    for c, h in enumerate(heads):
        ws.write(3, c, word(h, lang), f.head)
    row = 4
    ids = [m.id for m in MEASURES] + [f"aging:{b}" for b in data.aging_labels]
    for cur in data.currencies:
        for mid in ids:
            now = data.value(mid, currency=cur)
            before = data.value(mid, currency=cur, which="previous")
            if now is None and before is None:
                continue
            fmt = f.num[_unit(mid)]
            ws.write_string(row, 0, cur)
            ws.write_string(row, 1, _label(mid, lang))
            a, b = _shown(data, mid, now, cur), _shown(data, mid, before, cur)
            _put(ws, row, 2, a, fmt)
            _put(ws, row, 3, b, fmt)
            _put(ws, row, 4, None if a is None or b is None else a - b, fmt)
            row += 1
    if data.notes:
        row += 1
        ws.write(row, 0, word("notes", lang), f.bold)
        for n in data.notes:
            row += 1
            ws.write_string(row, 0, n)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 4, 18)
    ws.freeze_panes(4, 0)


def _label(mid: str, lang: str) -> str:
    if mid.startswith("aging:"):
        return f"{word('aging', lang)} {aging(mid.split(':', 1)[1], lang)}"
    return measure_name(mid, lang)


def _by_collector(wb, f: _Formats, data: SupervisorData) -> None:
    lang = data.language
    ws = wb.add_worksheet(word("by_collector", lang)[:31])
    cols = [*PER_COLLECTOR, "collected:previous"]
    ws.write(0, 0, word("collector", lang), f.head)
    ws.write(0, 1, word("currency", lang), f.head)
    for c, mid in enumerate(cols, start=2):
        name = (
            f"{measure_name('collected', lang)} ({word('previous', lang)})"
            if mid == "collected:previous"
            else measure_name(mid, lang)
        )
        ws.write(0, c, name, f.head)
    row = 1
    main_rows = []
    for cur in data.currencies:
        for scope in [*data.collectors, ""]:
            if all(data.value(m, scope, cur) is None for m in PER_COLLECTOR):
                continue
            ws.write_string(row, 0, scope or word("team", lang))
            ws.write_string(row, 1, cur)
            for c, mid in enumerate(cols, start=2):
                m, which = (
                    ("collected", "previous") if mid == "collected:previous" else (mid, "current")
                )
                v = _shown(data, m, data.value(m, scope, cur, which), cur)
                _put(ws, row, c, v, f.num[_unit(m)])
            if cur == data.main_currency and scope:
                main_rows.append(row)
            row += 1
    ws.set_row(0, 45)
    ws.set_column(0, 0, 16)
    ws.set_column(2, len(cols) + 1, 14)
    ws.freeze_panes(1, 1)
    if main_rows:
        sheet = ws.get_name()
        first, last = main_rows[0], main_rows[-1]
        ch = wb.add_chart({"type": "column"})
        for c, label in ((2, word("this", lang)), (len(cols) + 1, word("previous", lang))):
            ch.add_series(
                {
                    "name": label,
                    "categories": [sheet, first, 0, last, 0],
                    "values": [sheet, first, c, last, c],
                }
            )
        ch.set_title({"name": word("collected_chart", lang)})
        ch.set_y_axis({"num_format": "#,##0", "name": data.main_currency})
        ws.insert_chart(row + 2, 0, ch, {"x_scale": 1.4, "y_scale": 1.2})


def _aging(wb, f: _Formats, data: SupervisorData) -> None:
    lang = data.language
    ws = wb.add_worksheet(word("aging", lang)[:31])
    labels = data.aging_labels
    ws.write(0, 0, word("collector", lang), f.head)
    ws.write(0, 1, word("currency", lang), f.head)
    for c, b in enumerate(labels, start=2):
        ws.write_string(0, c, aging(b, lang), f.head)
    row = 1
    main_rows = []
    for cur in data.currencies:
        for scope in [*data.collectors, ""]:
            vals = [data.value(f"aging:{b}", scope, cur) for b in labels]
            if all(v is None for v in vals):
                continue
            ws.write_string(row, 0, scope or word("team", lang))
            ws.write_string(row, 1, cur)
            for c, v in enumerate(vals, start=2):
                _put(ws, row, c, _shown(data, "aging:x", v, cur), f.num["money"])
            if cur == data.main_currency and scope:
                main_rows.append(row)
            row += 1
    ws.set_column(0, 0, 16)
    ws.set_column(2, len(labels) + 1, 14)
    if main_rows:
        sheet = ws.get_name()
        ch = wb.add_chart({"type": "column", "subtype": "stacked"})
        for c, b in enumerate(labels, start=2):
            ch.add_series(
                {
                    "name": aging(b, lang),
                    "categories": [sheet, main_rows[0], 0, main_rows[-1], 0],
                    "values": [sheet, main_rows[0], c, main_rows[-1], c],
                }
            )
        ch.set_title({"name": word("aging_chart", lang)})
        ch.set_y_axis({"num_format": "#,##0", "name": data.main_currency})
        ws.insert_chart(row + 2, 0, ch, {"x_scale": 1.4, "y_scale": 1.2})


_TREND = ("ar", "overdue", "dso", "bpdso", "add", "dso_simple", "pct_current", "pct_over_90")


def _trend(wb, f: _Formats, data: SupervisorData) -> None:
    lang = data.language
    ws = wb.add_worksheet(word("trend", lang)[:31])
    t = data.trend
    t = t[(t["scope"] == "") & (t["currency"] == data.main_currency)]
    wide = t.pivot_table(index="as_of", columns="measure", values="value", aggfunc="last")
    cols = [m for m in _TREND if m in wide.columns]
    ws.write(0, 0, word("as_of", lang), f.head)
    for c, m in enumerate(cols, start=1):
        ws.write(0, c, measure_name(m, lang), f.head)
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, (d, vals) in enumerate(wide.iterrows(), start=1):
        ws.write_datetime(r, 0, pd.Timestamp(cast(Any, d)).to_pydatetime(), datef)
        for c, m in enumerate(cols, start=1):
            v = vals.get(m)
            _put(ws, r, c, _shown(data, m, v, data.main_currency), f.num[_unit(m)])
    ws.set_row(0, 45)
    ws.set_column(0, len(cols), 14)
    n = len(wide)
    if n and "dso" in cols:
        sheet = ws.get_name()
        ch = wb.add_chart({"type": "line"})
        for m in ("dso", "bpdso", "add"):
            if m in cols:
                c = cols.index(m) + 1
                ch.add_series(
                    {
                        "name": [sheet, 0, c],
                        "categories": [sheet, 1, 0, n, 0],
                        "values": [sheet, 1, c, n, c],
                        "marker": {"type": "circle"},
                    }
                )
        ch.set_title({"name": word("trend_chart", lang)})
        ch.set_x_axis({"date_axis": True, "num_format": "mm-dd"})
        ws.insert_chart(n + 3, 0, ch, {"x_scale": 1.4, "y_scale": 1.2})


def _top(wb, f: _Formats, data: SupervisorData) -> None:
    lang = data.language
    ws = wb.add_worksheet(word("top", lang)[:31])
    heads = ["currency", "customer", "name", "collector", "overdue", "items", "oldest"]
    for c, h in enumerate(heads):
        name = measure_name("overdue", lang) if h == "overdue" else word(h, lang)
        ws.write(0, c, name, f.head)
    top = data.top
    for r, x in enumerate(_rows(top), start=1):
        ws.write_string(r, 0, str(x.currency))
        ws.write_string(r, 1, str(x.customer))
        ws.write_string(r, 2, str(x.name))
        ws.write_string(r, 3, str(x.collector))
        ws.write_number(r, 4, float(x.overdue) / 10 ** decimals(str(x.currency)), f.num["money"])
        ws.write_number(r, 5, int(x.items), f.num["int"])
        ws.write_number(r, 6, int(x.oldest_days), f.num["int"])
    ws.set_column(0, 1, 12)
    ws.set_column(2, 2, 30)
    ws.set_column(3, 6, 14)
    main = [i + 1 for i, c in enumerate(top["currency"]) if c == data.main_currency]
    if main:
        sheet = ws.get_name()
        ch = wb.add_chart({"type": "bar"})
        ch.add_series(
            {
                "name": measure_name("overdue", lang),
                "categories": [sheet, main[0], 2, main[-1], 2],
                "values": [sheet, main[0], 4, main[-1], 4],
            }
        )
        ch.set_title({"name": word("top_chart", lang)})
        ch.set_y_axis({"reverse": True})
        ch.set_legend({"none": True})
        ws.insert_chart(len(top) + 3, 0, ch, {"x_scale": 1.4, "y_scale": 1.2})


def _definitions(wb, f: _Formats, data: SupervisorData) -> None:
    lang = data.language
    ws = wb.add_worksheet(word("formula", lang)[:31])
    for c, h in enumerate(("measure", "formula", "source")):
        ws.write(0, c, word(h, lang), f.head)
    for r, m in enumerate(MEASURES, start=1):
        ws.write_string(r, 0, measure_name(m.id, lang), f.text)
        ws.write_string(r, 1, m.formula, f.text)
        ws.write_string(r, 2, m.source, f.text)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 40)
