"""Write the merged plan as an .xlsx that Excel, LibreOffice and calamine all read.

Styles are static (fills, formats, widths) rather than conditional formatting, because
every refresh rewrites the sheet anyway and static styles survive every reader.  Which
column gets which width, format, wrap and validation comes from its
:class:`~arsync.reports.labels.Field`; nothing here names a column except the finding and
aging colours.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from arsync.common.errors import DataError
from arsync.common.money import decimals
from arsync.reports import _formulas as F
from arsync.reports import _sheetfmt as SF
from arsync.reports import _styles as S
from arsync.reports import _summary
from arsync.reports import _typed as T
from arsync.reports import labels as L
from arsync.reports import vocabulary as V
from arsync.reports._carry import Plan
from arsync.reports._read import LAYOUT, SYS, Formula, Row, as_date
from arsync.reports._system import Link, fingerprint

DATE_FMT = "yyyy-mm-dd"
LAST_ROW = 1048576
MARKER = "arsync-worksheet"
DATE_RANGE = T.DATE_RANGE
#: rows looked at to size the columns (the first screens; a long tail would only cost time)
WIDTH_SAMPLE = 500
#: the collector's column-wide drop-downs and conditional formats reach this far down
LAST_ROW_RULES = 10000


@dataclass(frozen=True)
class Layout:
    """What one refresh shows: language, collector, as-of date and the system columns shown."""

    language: str
    collector: str
    as_of: date
    system: tuple[str, ...]
    #: the Disputes sheet's rows and customer → last statement cells (worksheet_day)
    disputes: tuple[dict, ...] = ()
    statements: tuple[tuple[str, dict], ...] = ()


def money_format(currency: object) -> str:
    try:
        d = decimals(str(currency)) if currency else 2
    except DataError:
        d = 2
    return "#,##0" if d == 0 else "#,##0." + "0" * d


def render(plan: Plan, summary: list[dict], findings: list[str], layout: Layout) -> bytes:
    wb = Workbook()
    language = layout.language
    # the marker lets a later refresh find this collector's workbook even with no open items
    wb.properties.creator = "arsync"
    wb.properties.keywords = MARKER
    wb.properties.subject = layout.collector
    wb.properties.title = f"{layout.collector} {layout.as_of.isoformat()}"
    titles = {role: L.sheet_name(role, language) for role in L.SHEETS}
    front = [f.id for f in L.FRONT if f.id in layout.system]
    back = [f.id for f in L.BACK if f.id in layout.system]
    item_cols = front + list(L.CARRIED) + plan.extras + back + [L.KEY]
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = titles["open"]
    rules = {role: [r for r, rr in plan.rules if rr == role] for role in ("open", "closed")}
    _item_sheet(
        ws,
        item_cols,
        plan.open_rows,
        plan.own_open,
        plan.hidden,
        language,
        rules["open"],
        plan.warnings,
    )
    _summary_sheet(wb.create_sheet(titles["summary"]), summary, findings, layout)
    closed_cols = [f.id for f in L.CLOSED_ONLY] + item_cols
    _item_sheet(
        wb.create_sheet(titles["closed"]),
        closed_cols,
        plan.closed_rows,
        plan.own_closed,
        set(),
        language,
        rules["closed"],
        plan.warnings,
    )
    _table_sheet(wb.create_sheet(titles["disputes"]), L.DISPUTES, list(layout.disputes), language)
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
    prints = {r.key: fingerprint(r.values, layout.system) for r in plan.open_rows if r.key}
    _history_sheet(wb.create_sheet(L.HISTORY_SHEET), plan, layout.system, prints)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _item_sheet(
    ws,
    cols: list[str],
    rows: list[Row],
    own: list[Row],
    hidden: set[str],
    language: str,
    rules: list,
    warnings: list[str],
) -> None:
    carried = set(L.CARRIED)
    index = {fid: c for c, fid in enumerate(cols, 1)}
    wraps = {index[f.id] for f in L.BY_ID.values() if f.wrap and f.id in index}
    shown: dict[int, list[str]] = {c: [] for c in index.values()}
    wrapped: dict[int, list[tuple[int, str]]] = {}  # row → its wrapping cells' text
    styles = _StyleCache()
    r = 1
    for row in rows + own:
        r += 1
        currency = row.values.get("currency")
        for fid, v in row.values.items():
            if fid.startswith(L.COMMENT):
                if fid[1:] in index and isinstance(v, str):
                    ws.cell(r, index[fid[1:]]).comment = Comment(v, "arsync")
                continue
            c = index.get(fid)
            if c is None:
                continue
            cell = ws.cell(r, c)
            if isinstance(v, Formula) and F.is_template(v.text):
                text = F.resolve(v.text, index, r)
                if text is None:  # a column it uses is not on this sheet: keep it readable
                    text = F.shown(v.text)
                    warnings.append(
                        f"{ws.title}!{get_column_letter(c)}{r} (item {row.key}): the formula "
                        f"{text} uses a column this sheet does not have; kept as text"
                    )
                    cell.value, cell.data_type = text, "s"
                else:
                    cell.value = text
                nf = None
            else:
                nf = _set_value(cell, v)
            f = L.BY_ID.get(fid)
            kind = f.kind if f else ""
            if kind == "money" and isinstance(v, (int, float, Decimal, Formula)):
                nf = money_format(currency)
            elif kind == "date" and isinstance(v, Formula):
                nf = DATE_FMT  # what the formula computes is shown as a date
            elif kind == "id" and isinstance(v, str):
                nf = "@"
            paint = None
            if row.key is not None and fid == "finding":
                paint = S.FINDING.get(V.finding_code(v) or "")
            elif row.key is not None and fid in ("aging_bucket", "days_overdue"):
                paint = S.aging(row.values.get("days_overdue"))
            elif row.key is not None and fid == "promise_status":
                paint = S.PROMISE.get(L.promise_code(v) or "")
            elif row.key is not None and fid == "due" and v:
                paint = S.ALERT
            styles.apply(cell, nf, c in wraps, paint, isinstance(v, Link))
            if fid in row.styles:
                row.styles[fid].apply(cell)
            if T.needs_flag(fid, v) and cell.comment is None:
                S.paint(cell, S.FLAG)
                cell.comment = Comment(T.flag_note(fid, language), T.FLAG_AUTHOR)
            if r <= WIDTH_SAMPLE:
                shown[c].append(_as_shown(v))
            if c in wraps and isinstance(v, str):
                wrapped.setdefault(r, []).append((c, v))
    heads = []
    for c, fid in enumerate(cols, 1):
        text = L.header(fid, language)
        cell = ws.cell(1, c, text)
        own_col = fid in carried or fid.startswith(L.EXTRA)
        S.paint(cell, S.COLLECTOR if own_col else S.HEADER, bold=True)
        cell.alignment = S.HEADER_ALIGN
        f = L.BY_ID.get(fid)
        width = S.fit_width(
            [*S.header_words(text), *shown[c]], f.width if f else 12, 36 if c in wraps else 40
        )
        if fid == L.KEY:
            width = 12
        ws.column_dimensions[get_column_letter(c)].width = width
        if fid != L.KEY and fid not in hidden:
            heads.append((text, width))
    ws.row_dimensions[1].height = S.header_height(heads)
    widths = {c: ws.column_dimensions[get_column_letter(c)].width for c in wraps}
    for row_no, texts in wrapped.items():
        # neither Excel nor LibreOffice sizes a row to its wrapped text when opening a file:
        # rows whose notes need more than one line get their height (the rest stay automatic)
        lines = max(S.lines_needed(t, widths[c]) for c, t in texts)
        if lines > 1:
            ws.row_dimensions[row_no].height = S.LINE_HEIGHT * min(lines, 8) + 3
    for fid in hidden | {L.KEY}:
        if fid in index:
            ws.column_dimensions[get_column_letter(index[fid])].hidden = True
    _column_formats(ws, index)
    warnings.extend(SF.write_rules(ws, rules, index, 2, max(r, LAST_ROW_RULES)))
    # the frozen columns keep what an item is (finding, customer) in sight while scrolling
    frozen = index.get("customer_name", index.get("finding", 1)) + 1
    ws.freeze_panes = f"{get_column_letter(frozen)}2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(r, 2)}"
    _validations(ws, index, language)
    _print_setup(ws)
    # on paper, what a collector works from and their own columns: the reference columns
    # after them would shrink a one-page-wide print to an unreadable size
    last = max(c for fid, c in index.items() if fid in carried or fid.startswith(L.EXTRA))
    ws.print_area = f"A1:{get_column_letter(last)}{max(r, 2)}"


def _as_shown(v: object) -> str:
    """A value as a cell shows it (for the column's width)."""
    if isinstance(v, Formula):
        return ""
    if isinstance(v, Link):
        return v.text
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (Decimal, float)):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (date, datetime)):
        return "2026-01-01"
    return str(v) if v is not None else ""


def _column_formats(ws, index: dict[str, int]) -> None:
    """Date and money formats on the collector's columns, for the cells they type into later."""
    for fid in L.CARRIED:
        f = L.BY_ID[fid]
        if fid in index and f.kind in ("date", "money"):
            dim = ws.column_dimensions[get_column_letter(index[fid])]
            dim.number_format = DATE_FMT if f.kind == "date" else "#,##0.00"


def _print_setup(ws) -> None:
    """A4 landscape, one page wide, the header row on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _validations(ws, index: dict[str, int], language: str) -> None:
    for fid, pairs in (("contact_method", L.CONTACT_METHODS), ("dispute", L.YES_NO)):
        if fid not in index:
            continue
        words = ",".join(L.choices(pairs, language))
        # warning style: the drop-down offers our words, but a collector may still type "QQ"
        _validate(ws, index[fid], DataValidation(type="list", formula1=f'"{words}"'))
    for fid in L.CARRIED:
        f = L.BY_ID[fid]
        if fid not in index or f.kind not in ("date", "money"):
            continue
        if f.kind == "date":
            dv = DataValidation(
                type="date", operator="between", formula1=DATE_RANGE[0], formula2=DATE_RANGE[1]
            )
            prompt = V.pick("日期，例如 2026-12-05", "a date, e.g. 2026-12-05", language)
        else:
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
            prompt = V.pick("金额，例如 12000.00", "an amount, e.g. 12000.00", language)
        dv.promptTitle = L.header(fid, language)[:32]
        dv.prompt = prompt
        dv.error = V.pick(
            "无法识别，刷新时会标出", "not recognised; the refresh will flag it", language
        )
        _validate(ws, index[fid], dv)


def _validate(ws, column: int, dv: DataValidation) -> None:
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.showInputMessage = bool(dv.prompt)
    dv.errorStyle = "warning"
    col = get_column_letter(column)
    dv.add(f"{col}2:{col}{LAST_ROW}")
    ws.add_data_validation(dv)


def _put(cell, v: object) -> None:
    """Write one value as what it is: formula, text that starts with '=', date or number."""
    nf = _set_value(cell, v)
    if nf is not None:
        cell.number_format = nf


def _set_value(cell, v: object) -> str | None:
    """Set the cell's value; the number format a date needs (else None)."""
    if isinstance(v, Formula):
        cell.value = v.text if v.text.startswith("=") else "=" + v.text
        return None
    if isinstance(v, Link):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", v.text)
        cell.hyperlink = v.target
        cell.font = S.LINK_FONT
        return None
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        cell.value = v
        if v.startswith("="):
            cell.data_type = "s"
        return None
    v = as_date(v)
    cell.value = v
    if isinstance(v, datetime):
        return DATE_FMT + " hh:mm"
    if isinstance(v, date):
        return DATE_FMT
    return None


class _StyleCache:
    """Cell styles by what they are made of, set once and then copied: assigning openpyxl style
    objects cell by cell hashes them each time (a third of a refresh's time)."""

    def __init__(self) -> None:
        self._made: dict[tuple, object] = {}

    def apply(
        self, cell, number_format: str | None, wrap: bool, fill: str | None, link: bool
    ) -> None:
        # a link keeps its font (set with its value); asking the cell for its font would build
        # a Font object each time
        k = (number_format, wrap, fill, link)
        made = self._made.get(k)
        if made is not None:
            cell._style = copy.copy(made)
            return
        if number_format is not None:
            cell.number_format = number_format
        cell.alignment = S.WRAP if wrap else S.TOP
        if fill is not None:
            S.paint(cell, fill)
        self._made[k] = copy.copy(cell._style)


def _summary_sheet(ws, summary: list[dict], findings: list[str], layout: Layout) -> None:
    language = layout.language
    present = {k for rec in summary for k in rec}  # master columns the run gave (dunning, ...)
    cols = _summary.columns(set(layout.system) | present, findings) + [
        f.id for f in L.SUMMARY_STATEMENT
    ]
    extra = {f.id: f for f in L.SUMMARY_STATEMENT}
    declared = {f.id: f.width for f in L.SUMMARY + L.SUMMARY_STATEMENT}
    total = _summary.total_label(language)
    shown: dict[int, list[str]] = {c: [] for c in range(1, len(cols) + 1)}
    for r, rec in enumerate(summary, 2):
        is_total = rec.get("customer") == _summary.TOTAL
        if is_total:
            rec = {**rec, "customer": None, "customer_name": total}
        for c, fid in enumerate(cols, 1):
            cell = ws.cell(r, c)
            if is_total:
                S.paint(cell, S.TOTAL, bold=True)
                cell.border = S.TOTAL_BORDER
            v = rec.get(fid)
            if v is None:
                continue
            _put(cell, v)
            shown[c].append(_as_shown(v))
            if fid in ("open_amount", "overdue_amount", "promised_amount"):
                cell.number_format = money_format(rec.get("currency"))
            elif fid in ("customer", "customer_phone", "last_statement"):
                cell.number_format = "@"
    heads = []
    for c, fid in enumerate(cols, 1):
        is_finding = fid.startswith("finding:")
        if fid in extra:
            head = L.text(extra[fid].zh, extra[fid].en, language)
        else:
            head = V.finding(fid[8:], language) if is_finding else L.header(fid, language)
        cell = ws.cell(1, c, head)
        S.paint(cell, S.HEADER, bold=True)
        cell.alignment = S.HEADER_ALIGN
        width = S.fit_width([*S.header_words(head), *shown[c]], declared.get(fid, 8))
        ws.column_dimensions[get_column_letter(c)].width = width
        heads.append((head, width))
    ws.row_dimensions[1].height = S.header_height(heads)
    n = sum(1 for rec in summary if rec.get("customer") != _summary.TOTAL)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(n + 1, 2)}"
    _print_setup(ws)


def _table_sheet(ws, fields, rows: list[dict], language: str) -> None:
    """A read-only table rebuilt at every refresh (the Disputes sheet)."""
    heads = []
    for c, f in enumerate(fields, 1):
        head = L.text(f.zh, f.en, language)
        cell = ws.cell(1, c, head)
        S.paint(cell, S.HEADER, bold=True)
        cell.alignment = S.HEADER_ALIGN
        width = S.fit_width(
            [*S.header_words(head), *(_as_shown(r.get(f.id)) for r in rows[:200])], f.width
        )
        ws.column_dimensions[get_column_letter(c)].width = width
        heads.append((head, width))
    for r, rec in enumerate(rows, 2):
        for c, f in enumerate(fields, 1):
            v = rec.get(f.id)
            if v is None or v == "":
                continue
            cell = ws.cell(r, c)
            _put(cell, v)
            cell.alignment = S.WRAP if f.wrap else S.TOP
            if f.kind == "money":
                cell.number_format = money_format(rec.get("currency"))
            elif f.kind == "id":
                cell.number_format = "@"
    ws.row_dimensions[1].height = S.header_height(heads)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(fields))}{max(len(rows) + 1, 2)}"
    _print_setup(ws)


def _history_sheet(ws, plan: Plan, fields: tuple[str, ...], prints: dict[str, str]) -> None:
    # veryHidden: Excel's "Unhide" does not list it, so it is not deleted by accident.
    # kind: "f" a formula (kept as text here: it must not compute), "p" an entry taken from a
    # file written beside and not yet in the workbook itself (see _beside).  Field "_sys": the
    # fingerprint of an item's system cells as written (row "_layout": their fields' order).
    history, pending = plan.history, plan.pending
    ws.sheet_state = "veryHidden"
    ws.append(["_key", "field", "value", "kind"])
    ws.append([LAYOUT, SYS, " ".join(fields)])
    r = 2
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
    for key in sorted(prints):
        r += 1
        ws.cell(r, 1, key)
        ws.cell(r, 2, SYS)
        ws.cell(r, 3, prints[key])
