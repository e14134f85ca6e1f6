"""Read a CSV or XLSX file into raw cells plus the row numbers a person sees in it.

Cells are kept as read (text from CSV; text, numbers or dates from XLSX) so that the
parsers can tell a 20-digit invoice number typed as text from one Excel has already
rounded.  The header is the first row that names at least two known columns (an SAP
export may put title lines above it); fully blank rows are skipped but still counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from arsync.common.errors import DataError
from arsync.connectors.files import fbl5n as _fbl5n

_SCAN_ROWS = 30


def read_table(path: Path, known: set[str] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """``(cells, rows)``: one column per header (stripped text), ``rows`` = 1-based file rows."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grid = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        grid = _read_xlsx(path)
    else:
        raise DataError(f"{path.name}: unsupported file type {suffix!r} (use .csv or .xlsx)")
    head = _header_row(grid, known or set())
    if head is None:
        raise DataError(f"{path.name}: no header row found (the first row must name the columns)")
    headers = [str(h).strip() for h in grid[head]]
    body = grid[head + 1 :]
    width = len(headers)
    body = [list(r[:width]) + [""] * (width - len(r)) for r in body]
    rows = pd.Series(range(head + 2, head + 2 + len(body)), dtype="int64")
    cells = pd.DataFrame(body, columns=range(width), dtype=object)
    named = [i for i, h in enumerate(headers) if h]
    cells = cells[named]
    cells.columns = [headers[i] for i in named]
    if cells.columns.duplicated().any():
        dup = cells.columns[cells.columns.duplicated()][0]
        raise DataError(f"{path.name}: column {dup!r} appears twice in the header")
    blank = cells.map(lambda v: v is None or (isinstance(v, str) and not v.strip())).all(axis=1)
    keep = ~blank.to_numpy()
    return cells.loc[keep].reset_index(drop=True), rows[keep].reset_index(drop=True)


def _read_csv(path: Path) -> Sequence[Sequence[object]]:
    import csv

    for enc in ("utf-8-sig", "gb18030"):
        try:
            with path.open(newline="", encoding=enc) as fh:
                return [list(r) for r in csv.reader(fh)]
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path.name}: not UTF-8 or GB18030 text")


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
