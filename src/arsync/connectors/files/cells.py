"""Read a CSV or XLSX file into raw cells plus the row numbers a person sees in it.

Cells are kept as read (text from CSV; text, numbers or dates from XLSX) so that the
parsers can tell a 20-digit invoice number typed as text from one Excel has already
rounded.  The header is the first row that names at least two known columns (an SAP
export may put title lines above it); fully blank rows are skipped but still counted.

A CSV text cell that starts with a quote followed by ``=``, ``+``, ``-``, ``@``, tab or CR is
read without that quote: it is the CSV-injection escape of arsync's one writer
(:mod:`arsync.common.sheet_text`, OWASP's rule), so that arsync's own ``sap pull`` /
``portals fetch`` files read back unchanged (a status text ``-`` stays ``-``, a name
``=HYPERLINK(…)`` stays that text).  Excel keeps no such quote when it saves a CSV, so a person's
file has none to lose.  Workbooks are read as they are: arsync writes text there as text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.common.sheet_text import csv_unescape
from arsync.connectors.files import fbl5n as _fbl5n

_SCAN_ROWS = 30


#: Excel holds at most this many characters in a cell; a longer one is no cell a person typed
CELL_LIMIT = 32_767
_DELIMITERS = (",", ";", "\t", "|")
_ESCAPED = re.compile(r"'[=+\-@\t\r]")  # somewhere in the file: a cell may carry the escape


@dataclass(frozen=True)
class Table:
    """A file's cells under their headers, and what lies outside them."""

    cells: pd.DataFrame  # one column per header, the rows that are not blank
    rows: pd.Series  # 1-based row number of each, as a person sees it (header row included)
    total: pd.Series  # bool per row: an ALV subtotal / total line (``*`` / ``**`` in a cell)
    extra: pd.DataFrame  # row, column (spreadsheet letter), value: cells under no header


def read_table(path: Path, known: set[str] | None = None) -> Table:
    """Read ``path``; non-blank cells beyond the header or under a blank header are kept in
    ``extra`` (never dropped without a word)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grid = _read_csv(path, known or set())
    elif suffix in (".xlsx", ".xlsm"):
        grid = _read_xlsx(path)
    else:
        raise DataError(f"{path.name}: unsupported file type {suffix!r} (use .csv or .xlsx)")
    head = _header_row(grid, known or set())
    if head is None:
        raise DataError(f"{path.name}: no header row found (the first row must name the columns)")
    headers = [str(h).strip() if not _blank(h) else "" for h in grid[head]]
    while headers and not headers[-1]:
        headers.pop()  # blank header cells at the end are no columns
    body = grid[head + 1 :]
    width = len(headers)
    total = [_fbl5n.is_total(list(r)) for r in body]
    extra = [
        (head + 2 + i, _letter(j), v)
        for i, r in enumerate(body)
        if not total[i]
        for j, v in enumerate(r)
        if (j >= width or not headers[j]) and not _blank(v)
    ]
    body = [list(r[:width]) + [""] * (width - len(r)) for r in body]
    rows = pd.Series(range(head + 2, head + 2 + len(body)), dtype="int64")
    cells = pd.DataFrame(body, columns=range(width), dtype=object)
    named = [i for i, h in enumerate(headers) if h]
    cells = cells[named]
    cells.columns = [headers[i] for i in named]
    if cells.columns.duplicated().any():
        dup = cells.columns[cells.columns.duplicated()][0]
        raise DataError(f"{path.name}: column {dup!r} appears twice in the header")
    blank = cells.map(_blank).all(axis=1)
    keep = ~blank.to_numpy()
    return Table(
        cells.loc[keep].reset_index(drop=True),
        rows[keep].reset_index(drop=True),
        pd.Series(total, dtype=bool)[keep].reset_index(drop=True),
        pd.DataFrame(extra, columns=["row", "column", "value"]),
    )


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as a spreadsheet names it."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _read_csv(path: Path, known: set[str]) -> Sequence[Sequence[object]]:
    import csv

    # a cell longer than csv's default limit (131,072) is read whole and reported as a bad
    # cell by the caller, not a traceback
    csv.field_size_limit(2**31 - 1)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = path.read_text(encoding=enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError(f"{path.name}: not UTF-8 or GB18030 text")
    delimiter = _delimiter(text, known, path.name)
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise DataError(f"{path.name}: not readable as CSV: {exc}") from None
    if _ESCAPED.search(text):  # the writer's CSV-injection escape, taken off (most files: none)
        rows = [[csv_unescape(v) if v[:1] == "'" else v for v in r] for r in rows]
    return rows


def _delimiter(text: str, known: set[str], name: str) -> str:
    """The delimiter that makes the header name the most known columns: ``,`` as written by
    arsync and English Excel, ``;`` by Excel where the decimal point is a comma (SAP GUI's
    export in German locales), tab by SAP's "unconverted" / text export."""
    import csv

    lines = [ln for ln in text.splitlines()[:_SCAN_ROWS] if ln.strip()]
    best, hits = ",", -1
    for d in _DELIMITERS:
        n = 0
        for row in csv.reader(lines, delimiter=d):
            names = [c.strip() for c in row if c.strip()]
            n = max(n, sum(1 for c in names if c in known or _fbl5n.canonical(c)))
        if n > hits:
            best, hits = d, n
    if hits >= 2 or not known:
        return best
    raise DataError(
        f"{name}: the delimiter was not recognised: no header names its columns when split at "
        "a comma, semicolon, tab or | — save the file as CSV (comma-separated) or as .xlsx"
    )


def _read_xlsx(path: Path) -> Sequence[Sequence[object]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise DataError(f"{path.name}: cannot be read as a workbook: {exc}") from None


def _header_row(grid: Sequence[Sequence[object]], known: set[str]) -> int | None:
    for i, row in enumerate(grid[:_SCAN_ROWS]):
        names = [str(c).strip() for c in row if isinstance(c, str) and c.strip()]
        hits = sum(1 for n in names if n in known or _fbl5n.canonical(n))
        if hits >= 2:
            return i
    for i, row in enumerate(grid[:_SCAN_ROWS]):
        if any(isinstance(c, str) and c.strip() for c in row):
            return i
    return None
