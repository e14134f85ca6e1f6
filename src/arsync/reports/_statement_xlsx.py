"""A statement (对账单) as an xlsx workbook: the same content as the PDF, in cells the customer
can check against their own ledger (amounts as numbers, dates as dates, IDs as text, nothing
written as a formula)."""

from __future__ import annotations

import io
from copy import copy
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from arsync.common.errors import DataError
from arsync.common.money import to_major
from arsync.reports import _statement_words as T
from arsync.reports._layout import money_format
from arsync.reports.statements import Line, Statement

HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
SUB_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="8C8C8C")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
LEFT = Alignment(horizontal="left")
WIDTHS = (6, 24, 12, 12, 16, 10, 10, 22)


def statement_xlsx(st: Statement) -> bytes:
    lang = st.language
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = T.w("title", lang)[:31]
    wb.properties.creator = "arsync"
    wb.properties.title = f"{T.w('title', lang)} {st.number}"
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    c = st.company
    r = 1
    for name in [
        x for x in (c.name_zh if lang != "en" else "", c.name_en if lang != "zh" else "") if x
    ]:
        put(ws, r, 1, name).font = Font(bold=True, size=13)
        r += 1
    addr = " · ".join(
        x for x in (c.address_zh if lang != "en" else "", c.address_en if lang != "zh" else "") if x
    )
    if addr:
        put(ws, r, 1, addr)
        r += 1
    put(ws, r, 1, T.w("title", lang)).font = Font(bold=True, size=15)
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
        put(ws, r, 1, T.w(key, lang)).font = BOLD
        put(ws, r, 3, value, text=not isinstance(value, date)).alignment = LEFT
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=len(WIDTHS))
        r += 1
    r += 1
    put(ws, r, 1, T.w("items", lang)).font = Font(bold=True, size=11)
    r = _lines(ws, r + 1, st.items, lang, credits=False)
    if st.credits:
        put(ws, r + 1, 1, T.w("credits", lang)).font = Font(bold=True, size=11)
        r = _lines(ws, r + 2, st.credits, lang, credits=True)
    put(ws, r + 1, 1, T.w("balance", lang)).font = Font(bold=True, size=11)
    r += 2
    heads = ["currency", "items_total", "credits_total", "balance_total"]
    _header(ws, r, [T.w(h, lang) for h in heads])
    for cur, t in st.totals().items():
        r += 1
        put(ws, r, 1, cur).border = BOX
        for col, k in ((2, "items"), (3, "credits"), (4, "balance")):
            money(ws, r, col, t[k], cur).border = BOX
    aging = st.aging()
    if aging:
        r += 2
        put(ws, r, 1, T.w("aging", lang)).font = Font(bold=True, size=11)
        r += 1
        buckets = list(st.buckets)
        _header(
            ws,
            r,
            [T.w("currency", lang), *(T.bucket(b, lang) for b in buckets), T.w("total", lang)],
        )
        for cur, by in aging.items():
            r += 1
            put(ws, r, 1, cur).border = BOX
            for j, b in enumerate(buckets, 2):
                money(ws, r, j, by.get(b, 0), cur).border = BOX
            money(ws, r, len(buckets) + 2, sum(by.values()), cur).border = BOX
    r += 2
    put(ws, r, 1, f"{T.w('reply', lang)} · {T.w('number', lang)} {st.number}").font = Font(
        bold=True, size=11
    )
    r += 1
    put(ws, r, 1, f"□ {T.w('confirmed', lang)}").font = BOLD
    put(ws, r, 5, f"□ {T.w('disputed', lang)}").font = BOLD
    r += 1
    put(ws, r, 1, T.w("confirmed_note", lang))
    put(ws, r, 5, T.w("disputed_note", lang))
    r += 4
    put(ws, r, 1, T.w("stamp", lang))
    put(ws, r, 5, T.w("stamp", lang))
    r += 2
    put(ws, r, 1, T.w("date", lang))
    put(ws, r, 5, T.w("date", lang))
    ws.freeze_panes = None
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _header(ws, r: int, texts: list[str]) -> None:
    for j, t in enumerate(texts, 1):
        cell = put(ws, r, j, t)
        cell.font = BOLD
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    # bilingual heads wrap to up to three lines in the narrow columns
    ws.row_dimensions[r].height = 45 if any(" " in t for t in texts) else 16


def _lines(ws, r: int, lines: tuple[Line, ...], lang: str, *, credits: bool) -> int:
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
    _header(ws, r, [T.w(h, lang) for h in heads])
    styles: dict[tuple[int, str], StyleArray] = {}
    for i, ln in enumerate(lines, 1):
        r += 1
        cells = [
            put(ws, r, 1, i),
            put(ws, r, 2, ln.reference, text=True),
            put(ws, r, 3, ln.document_date),
        ]
        if credits:
            cells += [
                put(ws, r, 4, T.credit_kind(ln.doc_type, lang)),
                money(ws, r, 5, ln.amount, ln.currency),
                put(ws, r, 6, ln.currency),
            ]
        else:
            cells += [
                put(ws, r, 4, ln.due_date),
                money(ws, r, 5, ln.amount, ln.currency),
                put(ws, r, 6, ln.currency),
                put(ws, r, 7, ln.days_overdue if ln.days_overdue > 0 else None),
                put(ws, r, 8, T.portal(ln.portal_status, lang)),
            ]
        for cell in cells:
            _boxed(cell, styles)
    for cur in sorted({ln.currency for ln in lines}):
        r += 1
        put(ws, r, 2, f"{T.w('subtotal', lang)} {cur}").font = BOLD
        m = money(ws, r, 5, sum(ln.amount for ln in lines if ln.currency == cur), cur)
        m.font = BOLD
        for j in range(1, len(heads) + 1):
            ws.cell(r, j).fill = SUB_FILL
    return r + 1


def _boxed(cell, styles: dict[tuple[int, str], StyleArray]) -> None:
    """Give ``cell`` the box border, copying the style of the first cell of its column and
    number format: openpyxl hashes every style object assigned, which took a third of a
    statement's time when done cell by cell."""
    key = (cell.column, cell.number_format)
    done = styles.get(key)
    if done is None:
        cell.border = BOX
        styles[key] = copy(cell._style)
    else:
        cell._style = copy(done)


def put(ws, r: int, c: int, v: object, *, text: bool = False):
    """Write one value as what it is; text is always text (a leading '=' never computes)."""
    cell = ws.cell(r, c)
    if v is None:
        return cell
    if isinstance(v, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", v)
        cell.data_type = "s"
        if text:
            cell.number_format = "@"
        return cell
    cell.value = v
    if isinstance(v, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def money(ws, r: int, c: int, minor: int, currency: str):
    try:
        value: Decimal | int = to_major(minor, currency)
    except DataError:
        value = minor
    cell = ws.cell(r, c, value)
    cell.number_format = money_format(currency)
    return cell
