"""A statement (对账单) as an xlsx workbook: the same content as the PDF, in cells the customer
can check against their own ledger (amounts as numbers, dates as dates, IDs as text, nothing
written as a formula).

XlsxWriter writes it: a statement is written once and never read back, which is what
XlsxWriter is for, and it takes a third of openpyxl's CPU (which builds and hashes a style
object per cell). A month's first night writes one per customer.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import xlsxwriter

from arsync.common.errors import DataError
from arsync.common.money import to_major
from arsync.reports import _statement_words as T
from arsync.reports._layout import money_format
from arsync.reports.statements import Line, Statement

HEAD_FILL = "#DCE6F1"
SUB_FILL = "#F2F2F2"
GREY = "#8C8C8C"
#: columns A–H hold the item lines; I is the aging table's total (one column more than the items)
WIDTHS = (6, 24, 12, 12, 16, 10, 10, 22, 16)
DATE_FMT = "yyyy-mm-dd"
#: what an xlsx cannot hold (XML 1.0's control characters), removed as openpyxl would refuse them
ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class _Sheet:
    """The one worksheet, with its formats made once each (XlsxWriter shares a format object
    among the cells that use it)."""

    def __init__(self, wb, ws) -> None:
        self.wb, self.ws = wb, ws
        self._formats: dict[tuple, object] = {}

    def fmt(self, **props):
        key = tuple(sorted(props.items()))
        f = self._formats.get(key)
        if f is None:
            spec = dict(props)
            if spec.pop("box", False):
                spec.update(border=1, border_color=GREY)
            f = self._formats[key] = self.wb.add_format(spec)
        return f

    def put(self, r: int, c: int, v: object, *, text: bool = False, **props) -> None:
        """Write one value as what it is (1-based row and column, as people count them); text
        is always text (a leading '=' never computes)."""
        if v is None or v == "":
            if props:
                self.ws.write_blank(r - 1, c - 1, None, self.fmt(**props))
            return
        if isinstance(v, str):
            self.ws.write_string(
                r - 1,
                c - 1,
                ILLEGAL.sub("", v),
                self.fmt(**props, **({"num_format": "@"} if text else {})),
            )
        elif isinstance(v, date):
            self.ws.write_datetime(r - 1, c - 1, v, self.fmt(num_format=DATE_FMT, **props))
        else:
            self.ws.write_number(r - 1, c - 1, v, self.fmt(**props) if props else None)

    def money(self, r: int, c: int, minor: int, currency: str, **props) -> None:
        try:
            value: Decimal | int = to_major(minor, currency)
        except DataError:
            value = minor
        self.ws.write_number(
            r - 1, c - 1, float(value), self.fmt(num_format=money_format(currency), **props)
        )

    def merged(self, r: int, c1: int, c2: int, v: object, *, text: bool = False, **props) -> None:
        self.ws.merge_range(r - 1, c1 - 1, r - 1, c2 - 1, "", self.fmt(**props))
        self.put(r, c1, v, text=text, **props)


def statement_xlsx(st: Statement) -> bytes:
    """The xlsx of ``st`` (one sheet, A4 portrait, fit to the page's width) as bytes."""
    lang = st.language
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(T.w("title", lang)[:31])
    wb.set_properties({"author": "arsync", "title": f"{T.w('title', lang)} {st.number}"})
    s = _Sheet(wb, ws)
    for i, width in enumerate(WIDTHS):
        ws.set_column(i, i, width)
    c = st.company
    r = 1
    for name in [
        x for x in (c.name_zh if lang != "en" else "", c.name_en if lang != "zh" else "") if x
    ]:
        s.put(r, 1, name, bold=True, font_size=13)
        r += 1
    addr = " · ".join(
        x for x in (c.address_zh if lang != "en" else "", c.address_en if lang != "zh" else "") if x
    )
    if addr:
        s.put(r, 1, addr)
        r += 1
    s.put(r, 1, T.w("title", lang), bold=True, font_size=15)
    r += 2
    head = [
        ("to", st.customer_name),
        ("customer_no", st.customer.lstrip("0") or st.customer),
        ("tax_id", st.customer_tax_id),
        ("number", st.number),
        ("as_of", st.as_of),
        ("company_code", st.company_code),
    ]
    # one pair a row, the label over columns A:B and the value over C:H: side by side, the
    # bilingual labels and the dates did not fit the item table's narrow columns (seen in
    # the render: "###", labels cut)
    for key, value in head:
        s.merged(r, 1, 2, T.w(key, lang), bold=True)
        s.merged(r, 3, 8, value, text=not isinstance(value, date), align="left")
        r += 1
    r += 1
    s.put(r, 1, T.w("items", lang), bold=True, font_size=11)
    r = _lines(s, r + 1, st.items, lang, credits=False)
    if st.credits:
        s.put(r + 1, 1, T.w("credits", lang), bold=True, font_size=11)
        r = _lines(s, r + 2, st.credits, lang, credits=True)
    s.put(r + 1, 1, T.w("balance", lang), bold=True, font_size=11)
    r += 2
    heads = ["currency", "items_total", "credits_total", "balance_total"]
    _header(s, r, [T.w(h, lang) for h in heads])
    for cur, t in st.totals().items():
        r += 1
        s.put(r, 1, cur, box=True)
        for col, k in ((2, "items"), (3, "credits"), (4, "balance")):
            s.money(r, col, t[k], cur, box=True)
    aging = st.aging()
    if aging:
        r += 2
        s.put(r, 1, T.w("aging", lang), bold=True, font_size=11)
        r += 1
        buckets = list(st.buckets)
        _header(
            s,
            r,
            [T.w("currency", lang), *(T.bucket(b, lang) for b in buckets), T.w("total", lang)],
        )
        for cur, by in aging.items():
            r += 1
            s.put(r, 1, cur, box=True)
            for j, b in enumerate(buckets, 2):
                s.money(r, j, by.get(b, 0), cur, box=True)
            s.money(r, len(buckets) + 2, sum(by.values()), cur, box=True)
    r += 2
    s.put(
        r, 1, f"{T.w('reply', lang)} · {T.w('number', lang)} {st.number}", bold=True, font_size=11
    )
    r += 1
    s.put(r, 1, f"□ {T.w('confirmed', lang)}", bold=True)
    s.put(r, 5, f"□ {T.w('disputed', lang)}", bold=True)
    r += 1
    s.put(r, 1, T.w("confirmed_note", lang))
    s.put(r, 5, T.w("disputed_note", lang))
    r += 4
    s.put(r, 1, T.w("stamp", lang))
    s.put(r, 5, T.w("stamp", lang))
    r += 2
    s.put(r, 1, T.w("date", lang))
    s.put(r, 5, T.w("date", lang))
    ws.hide_gridlines(2)
    ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    wb.close()
    return buf.getvalue()


def _header(s: _Sheet, r: int, texts: list[str]) -> None:
    for j, t in enumerate(texts, 1):
        s.put(r, j, t, bold=True, bg_color=HEAD_FILL, box=True, text_wrap=True, valign="vcenter")
    # bilingual heads wrap to up to three lines in the narrow columns
    s.ws.set_row(r - 1, 45 if any(" " in t for t in texts) else 16)


def _lines(s: _Sheet, r: int, lines: tuple[Line, ...], lang: str, *, credits: bool) -> int:
    if credits:
        heads = ["no", "reference", "doc_date", "kind", "amount", "currency"]
    else:
        heads = [
            "no",
            "invoice",
            "doc_date",
            "due_date",
            "amount",
            "currency",
            "days_overdue",
            "portal",
        ]
    _header(s, r, [T.w(h, lang) for h in heads])
    for i, ln in enumerate(lines, 1):
        r += 1
        s.put(r, 1, i, box=True)
        s.put(r, 2, ln.reference, text=True, box=True)
        s.put(r, 3, ln.document_date, box=True)
        if credits:
            s.put(r, 4, T.credit_kind(ln.doc_type, lang), box=True)
            s.money(r, 5, ln.amount, ln.currency, box=True)
            s.put(r, 6, ln.currency, box=True)
        else:
            s.put(r, 4, ln.due_date, box=True)
            s.money(r, 5, ln.amount, ln.currency, box=True)
            s.put(r, 6, ln.currency, box=True)
            s.put(r, 7, ln.days_overdue if ln.days_overdue > 0 else None, box=True)
            s.put(r, 8, T.portal(ln.portal_status, lang), box=True)
    for cur in sorted({ln.currency for ln in lines}):
        r += 1
        for j in range(1, len(heads) + 1):
            if j == 2:
                s.put(r, j, f"{T.w('subtotal', lang)} {cur}", bold=True, bg_color=SUB_FILL)
            elif j == 5:
                total = sum(ln.amount for ln in lines if ln.currency == cur)
                s.money(r, j, total, cur, bold=True, bg_color=SUB_FILL)
            else:
                s.put(r, j, None, bg_color=SUB_FILL)
    return r + 1
