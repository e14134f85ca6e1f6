"""Read back a collector workbook, whatever the collector did to it.

Rows are found by item key (the hidden ``_key`` column, else the four visible key
columns), columns by header text, sheets by name or — when renamed — by their header.
Rows without a key — or with one that cannot be read, such as a document number Excel has
rounded — are the collector's own rows; sheets we do not know are theirs too.
What the collector typed is read as they meant it (:mod:`._typed`: formulas that move with
their row, dates and amounts typed as text), merged cells give their value to every item they
covered, and their own formatting, drop-downs and conditional formats are read to be put back
(:mod:`._sheetfmt`).  Nothing typed is turned into something else without a warning.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree import ElementTree

import openpyxl
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from arsync.common import clock
from arsync.common.errors import DataError
from arsync.common.parse import ParseError, alpha, parse_id
from arsync.reports import _formulas as F
from arsync.reports import _sheetfmt as SF
from arsync.reports import _typed as T
from arsync.reports import labels as L
from arsync.reports._typed import Formula

HEADER_SCAN_ROWS = 20
SYS = "_sys"  # history field: the system cells' fingerprint of an item as written
LAYOUT = "_layout"  # history key: the order of the fields in the fingerprints


@dataclass
class Row:
    key: str | None
    values: dict[str, object]
    present: frozenset[str] = frozenset()  # field ids whose column exists on the row's sheet
    sheet: str = ""
    line: int = 0  # 1-based row on its sheet, for the warnings
    styles: dict[str, SF.CellStyle] = field(default_factory=dict)  # the collector's formatting
    where: dict[str, int] = field(default_factory=dict)  # field → 1-based column on its sheet

    def cell(self, fid: str) -> str:
        """``sheet!A1`` of the row's cell of ``fid`` (for the warnings)."""
        col = get_column_letter(self.where[fid]) if fid in self.where else ""
        return f"{self.sheet}!{col}{self.line}"


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
    rules: list[SF.ColumnRule] = field(default_factory=list)  # the collector's, per sheet role
    rule_roles: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)  # key → system cells as written
    fingerprint_fields: tuple[str, ...] = ()


def make_key(
    company_code: object, fiscal_year: object, document_no: object, line_item: object
) -> str:
    return "|".join((str(company_code), str(fiscal_year), str(document_no), str(line_item)))


def split_key(key: str) -> dict[str, str]:
    return dict(zip(L.KEY_FIELDS, key.split("|")))


def read_book(data: bytes, where: str, as_of: date | None = None) -> OldBook:
    """Parse workbook bytes; an unreadable file is a :class:`DataError` naming it.  ``as_of``
    (default today) gives a typed month and day (``12月5日``) its year."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel extensions it drops (x14 validations, slicers): we
            # say ourselves what the collector loses (see _extensions)
            warnings.simplefilter("ignore", UserWarning)
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # zip, XML or openpyxl errors: all mean "cannot read it safely"
        raise DataError(
            f"{where}: cannot be read as a workbook ({type(exc).__name__}: {exc})"
        ) from None
    book = OldBook()
    ours = frozenset(
        ws.title for ws in wb.worksheets if L.role_of_sheet(ws.title) or ws.title == L.HISTORY_SHEET
    )
    reading = _Reading(ours, _Cached(data), as_of or clock.today())
    for ws in wb.worksheets:
        if ws.title == L.HISTORY_SHEET:
            _read_history(ws, book)
            continue
        _read_sheet(ws, book, reading)
    book.warnings.extend(_extensions(data))
    return book


@dataclass
class _Reading:
    ours: frozenset[str]  # the sheets the refresh rewrites
    cached: _Cached  # the values the office program saved with the formulas
    as_of: date


class _Cached:
    """The values saved with the formulas (loaded only when a formula cannot be kept)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._wb: Workbook | None = None

    def __call__(self, sheet: str, row: int, column: int) -> object:
        if self._wb is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self._wb = openpyxl.load_workbook(io.BytesIO(self._data), data_only=True)
        v = self._wb[sheet].cell(row, column).value
        return None if v is None or v == "" else as_date(v)


def _cell_value(cell) -> object:
    v = cell.value
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if cell.data_type == "f":
        return Formula(v if isinstance(v, str) else getattr(v, "text", str(v)))
    return v


def _comment(cell) -> str | None:
    c = cell.comment
    if c is None or not c.text or c.author == T.FLAG_AUTHOR or c.text.startswith("⚠ "):
        return None  # none, or the refresh's own mark on a cell it could not read
    return c.text


def _header_row(rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]] | None:
    """The row (0-based) whose cells name the most known columns, with column → field id."""
    best: tuple[int, dict[int, str]] | None = None
    for r, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {c: f for c, v in enumerate(cells) if (f := L.field_of(v)) is not None}
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (r, found)
    return best


def _read_sheet(ws, book: OldBook, reading: _Reading) -> None:
    grid: list[list[object]] = []
    notes: dict[tuple[int, int], str] = {}  # Excel comments: typed text too
    for r, row in enumerate(ws.iter_rows()):
        grid.append([_cell_value(c) for c in row])
        for c, cell in enumerate(row):
            if (text := _comment(cell)) is not None:
                notes[r, c] = text
    role = L.role_of_sheet(ws.title)
    if role == "disputes":
        return  # rebuilt from the run store at every refresh
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
    columns = {c + 1: f for c, f in cols.items()}
    by_field = {f: c for c, f in columns.items()}
    _unmerge(ws, grid, cols, r0, book, reading)
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
        styles = {}
        for c, f in cols.items():
            if SF.carried(f):
                at = T.Cell(ws.title, r + 1, c + 1, key)
                _interpret(values, f, at, columns, book, reading)
                if (style := SF.own_style(ws.cell(r + 1, c + 1))) is not None:
                    styles[f] = style
        row = Row(key, values, present, ws.title, r + 1, styles, by_field)
        target = {
            ("open", True): book.open_rows,
            ("closed", True): book.closed_rows,
            ("open", False): book.own_open,
            ("closed", False): book.own_closed,
        }[(role, key is not None)]
        target.append(row)
    rules, problems = SF.read_rules(ws, columns, r0 + 2, len(grid), reading.ours, _our_rule)
    book.rules.extend(rules)
    book.rule_roles.extend([role] * len(rules))
    book.warnings.extend(problems)


def _interpret(values, f: str, at: T.Cell, columns, book: OldBook, reading: _Reading) -> None:
    """A collector column's value as the collector meant it (formula, typed date or amount)."""
    v = values.get(f)
    if isinstance(v, Formula):
        where = F.Where(at.sheet, at.row, columns, reading.ours)
        values[f] = T.formula(v, at, where, reading.cached, book.warnings)
    elif isinstance(v, str):
        parsed = T.typed_text(f, v, at, reading.as_of, book.warnings)
        if parsed is None:
            values.pop(f, None)
        else:
            values[f] = parsed


def _unmerge(ws, grid, cols: dict[int, str], r0: int, book: OldBook, reading: _Reading) -> None:
    """Merged cells over several items: their value goes to every item they covered (collector
    columns only: a merged system column is only a look, rewritten anyway)."""
    for rng in list(ws.merged_cells.ranges):
        if rng.min_row - 1 <= r0:
            continue  # the header, or above it
        top = rng.min_row - 1
        value = grid[top][rng.min_col - 1] if rng.min_col - 1 < len(grid[top]) else None
        fields = [cols.get(c - 1) for c in range(rng.min_col, rng.max_col + 1)]
        if value is None or not any(f and SF.carried(f) for f in fields):
            continue
        if isinstance(value, Formula):  # give each row the formula relative to itself
            columns = {c + 1: f for c, f in cols.items()}
            where = F.Where(ws.title, rng.min_row, columns, reading.ours)
            template, why = F.to_template(value.text, where)
            value = Formula(template) if why is None else value
        for r in range(rng.min_row - 1, rng.max_row):
            for c in range(rng.min_col - 1, rng.max_col):
                f = cols.get(c)
                if f is not None and SF.carried(f) and r < len(grid):
                    while len(grid[r]) <= c:
                        grid[r].append(None)
                    grid[r][c] = value
        if rng.max_row > rng.min_row:
            book.warnings.append(
                f"sheet {ws.title!r}: the merged cells {rng.coord} covered "
                f"{rng.max_row - rng.min_row + 1} rows; their value is now on each of them "
                "and the cells are no longer merged"
            )


def _our_rule(dv, fields: tuple[str, ...]) -> bool:
    """A drop-down the refresh itself puts on a collector column (any language)."""
    kinds = {L.BY_ID[f].kind if f in L.BY_ID else "" for f in fields}
    if dv.type == "list" and set(fields) <= {"contact_method", "dispute"}:
        ours = {
            f'"{",".join(L.choices(pairs, lang))}"'
            for pairs in (L.CONTACT_METHODS, L.YES_NO)
            for lang in ("zh", "en", "both")
        }
        return str(dv.formula1) in ours
    if kinds == {"date"} and dv.type == "date":
        return (str(dv.formula1), str(dv.formula2)) == T.DATE_RANGE
    if kinds == {"money"} and dv.type == "decimal":
        return str(dv.formula1) == "0"
    return False


def _extensions(data: bytes) -> list[str]:
    """Drop-downs and conditional formats in Excel's newer (x14) form, which cannot be carried:
    named per sheet, so the collector knows what to set up again."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheets = ElementTree.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns)
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
            for sh in sheets if sheets is not None else []:
                part = target.get(sh.get(f"{{{ns['r']}}}id"), "")
                part = "xl/" + part.removeprefix("/xl/").removeprefix("xl/")
                xml = z.read(part) if part in z.namelist() else b""
                name = sh.get("name")
                if name == L.HISTORY_SHEET:
                    continue
                for tag, what in (
                    (b"x14:dataValidation", "drop-downs"),
                    (b"x14:cfRule", "conditional formats"),
                ):
                    if tag in xml:
                        out.append(
                            f"sheet {name!r}: {what} in Excel's extended form (lists from "
                            "another sheet, icon sets) cannot be carried; set them up again"
                        )
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        pass
    return out


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
        if i == 0 or not row or row[0] is None or len(row) < 3:
            continue
        key, fid, value = str(row[0]), row[1], row[2]
        kind = row[3] if len(row) > 3 else None
        if fid is None:
            continue
        fid = str(fid)
        if fid == SYS:  # what the refresh wrote in the system cells, not an entry
            if key == LAYOUT:
                book.fingerprint_fields = tuple(str(value or "").split())
            elif value is not None:
                book.fingerprints[key] = str(value)
            continue
        if kind and "p" in str(kind):
            book.pending.add((key, fid))
        if value is None:
            continue
        if kind and "f" in str(kind):
            value = Formula(str(value))
        book.history.setdefault(key, {})[fid] = value
        if fid.startswith(L.EXTRA) and fid not in book.extras:
            book.extras.append(fid)


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
