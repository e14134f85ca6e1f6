"""Read back a collector workbook, whatever the collector did to it.

Rows are found by item key (the hidden ``_key`` column, else the four visible key
columns), columns by header text, sheets by name or — when renamed — by their header.
Rows without a key — or with one that cannot be read, such as a document number Excel has
rounded — are the collector's own rows; sheets we do not know are theirs too.
Formulas are kept as formula text (``Formula``) so that nothing typed is turned into
a cached value or lost.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import openpyxl

from arsync.common.errors import DataError
from arsync.common.parse import ParseError, alpha, parse_id
from arsync.reports import labels as L

HEADER_SCAN_ROWS = 20


@dataclass(frozen=True)
class Formula:
    text: str


@dataclass
class Row:
    key: str | None
    values: dict[str, object]
    present: frozenset[str] = frozenset()  # field ids whose column exists on the row's sheet
    sheet: str = ""


@dataclass
class OldBook:
    open_rows: list[Row] = field(default_factory=list)
    closed_rows: list[Row] = field(default_factory=list)
    own_open: list[Row] = field(default_factory=list)
    own_closed: list[Row] = field(default_factory=list)
    history: dict[str, dict[str, object]] = field(default_factory=dict)
    extras: list[str] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)
    user_sheets: list[tuple[str, list[tuple[int, int, object]]]] = field(default_factory=list)
    roles_seen: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    # (key, field) entries taken from a file written beside and not yet in the workbook itself
    pending: set[tuple[str, str]] = field(default_factory=set)


def make_key(
    company_code: object, fiscal_year: object, document_no: object, line_item: object
) -> str:
    return "|".join((str(company_code), str(fiscal_year), str(document_no), str(line_item)))


def split_key(key: str) -> dict[str, str]:
    return dict(zip(L.KEY_FIELDS, key.split("|")))


def read_book(data: bytes, where: str) -> OldBook:
    """Parse workbook bytes; an unreadable file is a :class:`DataError` naming it."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel extensions it drops (x14 validations, slicers): we
            # rewrite those parts ourselves, the warning would only alarm the operator
            warnings.simplefilter("ignore", UserWarning)
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # zip, XML or openpyxl errors: all mean "cannot read it safely"
        raise DataError(
            f"{where}: cannot be read as a workbook ({type(exc).__name__}: {exc})"
        ) from None
    book = OldBook()
    for ws in wb.worksheets:
        if ws.title == L.HISTORY_SHEET:
            _read_history(ws, book)
            continue
        _read_sheet(ws, book)
    return book


def _cell_value(cell) -> object:
    v = cell.value
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if cell.data_type == "f":
        return Formula(v if isinstance(v, str) else getattr(v, "text", str(v)))
    return v


def _header_row(rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]] | None:
    """The row (0-based) whose cells name the most known columns, with column → field id."""
    best: tuple[int, dict[int, str]] | None = None
    for r, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {c: f for c, v in enumerate(cells) if (f := L.field_of(v)) is not None}
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (r, found)
    return best


def _read_sheet(ws, book: OldBook) -> None:
    grid: list[list[object]] = []
    notes: dict[tuple[int, int], str] = {}  # Excel comments: typed text too
    for r, row in enumerate(ws.iter_rows()):
        grid.append([_cell_value(c) for c in row])
        for c, cell in enumerate(row):
            if cell.comment is not None and cell.comment.text:
                notes[r, c] = cell.comment.text
    role = L.role_of_sheet(ws.title)
    hdr = _header_row(
        [[c.text if isinstance(c, Formula) else c for c in row] for row in grid[:HEADER_SCAN_ROWS]]
    )
    keyed = hdr is not None and (
        L.KEY in hdr[1].values() or set(L.KEY_FIELDS) <= set(hdr[1].values())
    )
    if not keyed:
        if role == "summary" or (hdr is not None and "open_amount" in hdr[1].values()):
            return  # our summary: rebuilt from the worklist at every refresh
        if role in ("open", "closed"):
            book.warnings.append(
                f"sheet {ws.title!r}: its item key columns are gone; rows kept as own rows"
            )
        if role is None or hdr is None:
            _keep_user_sheet(ws, grid, book)
            return
    assert hdr is not None  # keyed, or returned above
    r0 = hdr[0]
    cols = _columns(grid[r0], book)
    present = frozenset(cols.values()) | {L.COMMENT + f for f in cols.values()}
    if role is None:
        role = "closed" if {"closed_on", "clearing_date"} & present else "open"
        book.warnings.append(
            f"sheet {ws.title!r} holds worksheet rows; merged into the {role} sheet"
        )
    book.roles_seen.add(role)
    if role == "open":
        for dim in ws.column_dimensions.values():
            if dim.hidden and dim.min:
                for c in range(dim.min - 1, (dim.max or dim.min)):
                    if c in cols and cols[c] != L.KEY:
                        book.hidden.add(cols[c])
    for r, cells in enumerate(grid[r0 + 1 :], r0 + 1):
        values: dict[str, object] = {}
        for c, f in cols.items():
            v = cells[c] if c < len(cells) else None
            if v is not None and f not in values:
                values[f] = v
            if (r, c) in notes:
                values[L.COMMENT + f] = notes[r, c]
        if not values:
            continue
        key = _row_key(values)
        row = Row(key, values, present, ws.title)
        target = {
            ("open", True): book.open_rows,
            ("closed", True): book.closed_rows,
            ("open", False): book.own_open,
            ("closed", False): book.own_closed,
        }[(role, key is not None)]
        target.append(row)


def _columns(header_cells: list[object], book: OldBook) -> dict[int, str]:
    """Column index → field id; unknown headers become extras, a repeated header gets `` (2)``."""
    cols: dict[int, str] = {}
    used: set[str] = set()
    for c, v in enumerate(header_cells):
        if v is None:
            continue
        name = (v.text if isinstance(v, Formula) else str(v)).strip()
        fid = L.field_of(name) or L.EXTRA + name
        n = 2
        base = name
        while L.norm(fid) in used:
            name = f"{base} ({n})"
            fid, n = L.EXTRA + name, n + 1
        used.add(L.norm(fid))
        if fid.startswith(L.EXTRA):
            fid = next((e for e in book.extras if L.norm(e) == L.norm(fid)), fid)
            if fid not in book.extras:
                book.extras.append(fid)
        cols[c] = fid
    return cols


def _row_key(values: dict[str, object]) -> str | None:
    k = values.get(L.KEY)
    if isinstance(k, str) and k.count("|") == 3 and all(k.split("|")):
        return k
    parts = [values.get(f) for f in L.KEY_FIELDS]
    if any(p is None or isinstance(p, Formula) for p in parts):
        return None
    try:  # Excel number cells: a whole number is the ID typed, a rounded one is refused
        cc, fy, doc, line = (parse_id(p, excel=True) for p in parts)
        if not (cc and fy and doc and line):
            return None
        return make_key(cc, fy, alpha(doc), alpha(line, 3))
    except ParseError:  # digits lost or an over-long number: not ours to guess, keep it theirs
        return None


def _read_history(ws, book: OldBook) -> None:
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        if i == 0 or not row or row[0] is None or len(row) < 2:
            continue
        key, fid, value = row[0], row[1], row[2]
        kind = row[3] if len(row) > 3 else None
        if fid is None:
            continue
        if kind and "p" in str(kind):
            book.pending.add((str(key), str(fid)))
        if value is None:
            continue
        if kind and "f" in str(kind):
            value = Formula(str(value))
        book.history.setdefault(str(key), {})[str(fid)] = value
        if str(fid).startswith(L.EXTRA) and fid not in book.extras:
            book.extras.append(str(fid))


def _keep_user_sheet(ws, grid: list[list[object]], book: OldBook) -> None:
    cells = [
        (r + 1, c + 1, v) for r, row in enumerate(grid) for c, v in enumerate(row) if v is not None
    ]
    if cells:
        book.user_sheets.append((ws.title, cells))


def as_date(v: object) -> object:
    """A datetime at midnight read from a date column becomes a date; anything else unchanged."""
    if isinstance(v, datetime) and v.time() == datetime.min.time():
        return v.date()
    return v


__all__ = ["Formula", "OldBook", "Row", "as_date", "make_key", "read_book", "split_key"]
