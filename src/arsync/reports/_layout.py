"""Write the merged plan as an .xlsx that Excel, LibreOffice and calamine all read.

Styles are static (fills, formats, widths) rather than conditional formatting, because
every refresh rewrites the sheet anyway and static styles survive every reader.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from arsync.common.errors import DataError
from arsync.common.money import decimals
from arsync.reports import labels as L
from arsync.reports._carry import Plan
from arsync.reports._read import Formula, Row, as_date

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
COLLECTOR_FILL = PatternFill("solid", fgColor="548235")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FINDING_FILLS = {
    "PAID_NOT_APPLIED": "C6EFCE",
    "REJECTED": "FFC7CE",
    "AMOUNT_MISMATCH": "F8CBAD",
    "AMBIGUOUS": "E4DFEC",
    "NOT_SUBMITTED": "FFEB9C",
    "STALE": "D9D9D9",
    "IN_PROCESS": "DDEBF7",
    "NO_PORTAL": "F2F2F2",
    "UNAPPLIED_CREDIT": "EDEDED",
}
#: (days overdue up to, fill) — green not due → dark red beyond a year
AGING_FILLS = (
    (0, "E2EFDA"),
    (30, "FFF2CC"),
    (60, "FFE699"),
    (90, "F8CBAD"),
    (180, "F4B084"),
    (365, "FF7C80"),
    (None, "C00000"),
)
DATE_FMT = "yyyy-mm-dd"
LAST_ROW = 1048576


def money_format(currency: object) -> str:
    try:
        d = decimals(str(currency)) if currency else 2
    except DataError:
        d = 2
    return "#,##0" if d == 0 else "#,##0." + "0" * d


_FILLS: dict[str, PatternFill] = {}


def _fill(colour: str) -> PatternFill:
    if colour not in _FILLS:  # one style object per colour: openpyxl dedups styles slowly
        _FILLS[colour] = PatternFill("solid", fgColor=colour)
    return _FILLS[colour]


def aging_fill(days: object) -> PatternFill | None:
    if not isinstance(days, (int, float)):
        return None
    for limit, colour in AGING_FILLS:
        if limit is None or days <= limit:
            return _fill(colour)
    return None


MARKER = "arsync-worksheet"


def render(
    plan: Plan, summary: list[dict], findings: list[str], language: str, collector: str, as_of: date
) -> bytes:
    wb = Workbook()
    # the marker lets a later refresh find this collector's workbook even with no open items
    wb.properties.creator = "arsync"
    wb.properties.keywords = MARKER
    wb.properties.subject = collector
    wb.properties.title = f"{collector} {as_of.isoformat()}"
    titles = {role: L.sheet_name(role, language) for role in L.SHEETS}
    item_cols = [f.id for f in L.SYSTEM] + list(L.CARRIED) + plan.extras + [L.KEY]
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = titles["open"]
    _item_sheet(ws, item_cols, plan.open_rows, plan.own_open, plan.hidden, language)
    _summary_sheet(wb.create_sheet(titles["summary"]), summary, findings, language)
    closed_cols = [f.id for f in L.CLOSED_ONLY] + item_cols
    _item_sheet(
        wb.create_sheet(titles["closed"]),
        closed_cols,
        plan.closed_rows,
        plan.own_closed,
        set(),
        language,
    )
    taken = {t.casefold() for t in titles.values()} | {L.HISTORY_SHEET}
    for title, cells in plan.user_sheets:
        name = title
        n = 2
        while name.casefold() in taken:
            name, n = f"{title[:26]} ({n})", n + 1
        taken.add(name.casefold())
        us = wb.create_sheet(name)
        for r, c, v in cells:
            _put(us.cell(r, c), v)
    _history_sheet(wb.create_sheet(L.HISTORY_SHEET), plan.history, plan.pending)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _item_sheet(
    ws, cols: list[str], rows: list[Row], own: list[Row], hidden: set[str], language: str
) -> None:
    carried = set(L.CARRIED)
    for c, fid in enumerate(cols, 1):
        cell = ws.cell(1, c, L.header(fid, language))
        cell.font = HEADER_FONT
        cell.fill = COLLECTOR_FILL if fid in carried or fid.startswith(L.EXTRA) else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        f = L.BY_ID.get(fid)
        dim = ws.column_dimensions[get_column_letter(c)]
        dim.width = f.width if f else 16
        if fid == L.KEY or fid in hidden:
            dim.hidden = True
    index = {fid: c for c, fid in enumerate(cols, 1)}
    r = 1
    for row in rows + own:
        r += 1
        currency = row.values.get("currency")
        for fid, v in row.values.items():
            if fid.startswith(L.COMMENT):
                if fid[1:] in index and isinstance(v, str):
                    ws.cell(r, index[fid[1:]]).comment = Comment(v, "arsync")
                continue
            col = index.get(fid)
            if col is None:
                continue
            cell = ws.cell(r, col)
            _put(cell, v)
            f = L.BY_ID.get(fid)
            kind = f.kind if f else ""
            if kind == "money" and isinstance(v, (int, float, Decimal)):
                cell.number_format = money_format(currency)
            elif kind == "id" and isinstance(v, str):
                cell.number_format = "@"
        if row.key is not None:
            code = L.finding_code(row.values.get("finding"))
            if code in FINDING_FILLS and "finding" in index:
                ws.cell(r, index["finding"]).fill = _fill(FINDING_FILLS[code])
            fill = aging_fill(row.values.get("days_overdue"))
            if fill is not None:
                for fid in ("aging_bucket", "days_overdue"):
                    if fid in index:
                        ws.cell(r, index[fid]).fill = fill
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(r, 2)}"
    ws.row_dimensions[1].height = 32 if language == "both" else 20
    _validations(ws, index, language)


def _validations(ws, index: dict[str, int], language: str) -> None:
    for fid, pairs in (("contact_method", L.CONTACT_METHODS), ("dispute", L.YES_NO)):
        if fid not in index:
            continue
        words = ",".join(L.choices(pairs, language))
        # warning style: the drop-down offers our words, but a collector may still type "QQ"
        dv = DataValidation(
            type="list",
            formula1=f'"{words}"',
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
        )
        col = get_column_letter(index[fid])
        dv.add(f"{col}2:{col}{LAST_ROW}")
        ws.add_data_validation(dv)


def _put(cell, v: object) -> None:
    """Write one value as what it is: formula, text that starts with '=', date or number."""
    if isinstance(v, Formula):
        cell.value = v.text if v.text.startswith("=") else "=" + v.text
        return
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        cell.value = v
        if v.startswith("="):
            cell.data_type = "s"
        return
    v = as_date(v)
    cell.value = v
    if isinstance(v, datetime):
        cell.number_format = DATE_FMT + " hh:mm"
    elif isinstance(v, date):
        cell.number_format = DATE_FMT


def _summary_sheet(ws, summary: list[dict], findings: list[str], language: str) -> None:
    cols = [f.id for f in L.SUMMARY] + [f"finding:{code}" for code in findings]
    for c, fid in enumerate(cols, 1):
        head = (
            L.finding_label(fid.split(":", 1)[1], language)
            if fid.startswith("finding:")
            else L.header(fid, language)
        )
        cell = ws.cell(1, c, head)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths = {f.id: f.width for f in L.SUMMARY}
        ws.column_dimensions[get_column_letter(c)].width = widths.get(fid, 12)
    for r, rec in enumerate(summary, 2):
        for c, fid in enumerate(cols, 1):
            v = rec.get(fid)
            if v is None:
                continue
            cell = ws.cell(r, c)
            _put(cell, v)
            if fid in ("open_amount", "overdue_amount"):
                cell.number_format = money_format(rec.get("currency"))
            elif fid == "customer":
                cell.number_format = "@"
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(len(summary) + 1, 2)}"
    ws.row_dimensions[1].height = 32 if language == "both" else 20


def _history_sheet(
    ws, history: dict[str, dict[str, object]], pending: set[tuple[str, str]]
) -> None:
    # veryHidden: Excel's "Unhide" does not list it, so it is not deleted by accident.
    # kind: "f" a formula (kept as text here: it must not compute), "p" an entry taken from a
    # file written beside and not yet in the workbook itself (see _beside)
    ws.sheet_state = "veryHidden"
    ws.append(["_key", "field", "value", "kind"])
    r = 1
    for key in sorted(history):
        for fid, v in history[key].items():
            r += 1
            ws.cell(r, 1, key)
            ws.cell(r, 2, fid)
            kind = "p" if (key, fid) in pending else ""
            if isinstance(v, Formula):
                _put(ws.cell(r, 3), v.text)
                kind = "f" + kind
            else:
                _put(ws.cell(r, 3), v)
            if kind:
                ws.cell(r, 4, kind)
    for key, fid in sorted(pending):
        if fid not in history.get(key, {}):  # an emptied cell, pending too
            r += 1
            ws.cell(r, 1, key)
            ws.cell(r, 2, fid)
            ws.cell(r, 4, "p")
