"""Stream a frame into an .xlsx sheet with constant memory: every text cell stays text.

XlsxWriter in ``constant_memory`` mode writes each row to disk as soon as the next one starts
(openpyxl keeps every cell as a Python object: ~17 KB a worklist row).  Values are typed per
column before any cell is written: text with ``write_string`` (never a formula, whatever it
starts with), money as a number in the major unit with the currency's decimals, dates as
Excel dates, so nothing a source system sends can become a formula or a link.

XlsxWriter writes any string of the form ``<r>…</r>`` into the XML as it is (it takes it for a
rich string it built itself): text from outside of that form is written as a one-run rich
string of the escaped text, so it cannot inject XML either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from arsync.common.money import DECIMALS
from arsync.reports import _styles

#: Excel's day 0 (its serial dates count from 1899-12-30, after the 1900 leap-year bug).
EXCEL_EPOCH = np.datetime64("1899-12-30", "s")
MAX_ROWS = 1_048_576
CHUNK = 20_000
DATE_FMT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Col:
    """One sheet column: frame column, header text, kind, width; ``currency`` names the column
    holding a money column's currency.  Kinds: text, id, money, date, datetime, int, float, bool."""

    name: str
    header: str
    kind: str = "text"
    width: float = 12
    currency: str | None = None


@dataclass(frozen=True)
class Style:
    """How a sheet looks; the defaults give a plain table (frame names, no colours)."""

    header_bg: str | None = None
    header_fg: str | None = None
    header_height: float | None = None
    freeze: tuple[int, int] = (1, 0)
    autofilter: bool = True
    #: printed (and PDF): landscape, A4, all columns on one page width, header on every page
    print_wide: bool = False
    #: background colours: (columns coloured, column read, value → colour or None)
    fills: tuple[tuple[tuple[str, ...], str, Callable[[object], str | None]], ...] = ()


def digits(currency: object) -> int:
    return DECIMALS.get(str(currency).strip().upper(), 2) if currency else 2


def kind_of(df: pd.DataFrame, name: str, money: dict[str, str]) -> tuple[str, str | None]:
    """A column's kind from its dtype (money when ``money`` names its currency column)."""
    s = df[name]
    cur = money.get(name)
    if cur in df.columns and pd.api.types.is_integer_dtype(s.dtype):
        return "money", cur
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        t = pd.to_datetime(s)
        has_time = bool(((t - t.dt.normalize()).dt.total_seconds().fillna(0) != 0).any())
        return ("datetime" if has_time else "date"), None
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool", None
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int", None
    if pd.api.types.is_float_dtype(s.dtype):
        return "float", None
    return "text", None


def _values(chunk: pd.DataFrame, col: Col) -> tuple[list[Any], list[Any]]:
    """(cell values, per-cell number-format keys) of one column of a chunk; None = empty."""
    s = chunk[col.name]
    n = len(s)
    if col.kind == "money":
        cur = chunk[col.currency].astype(str) if col.currency else pd.Series("", index=s.index)
        d = np.array([digits(c) for c in cur], dtype=np.int64)
        minor = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        major = minor / np.power(10.0, d)
        money: list[Any] = [None if v != v else float(v) for v in major]
        return money, d.tolist()
    if col.kind in ("date", "datetime"):
        t = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[s]")
        serial = (t - EXCEL_EPOCH).astype("float64") / 86400.0
        nat = np.isnat(t)
        return [None if m else float(v) for v, m in zip(serial, nat)], [col.kind] * n
    if col.kind == "bool":
        return [None if v is None or v is pd.NA else bool(v) for v in s.tolist()], [None] * n
    if col.kind in ("int", "float"):
        num = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        as_int = col.kind == "int"
        vals = [None if v != v else (int(v) if as_int else float(v)) for v in num]
        return vals, [None] * n
    text: list[Any] = [
        v if isinstance(v, str) else None if (v is None or v is pd.NA or v != v) else str(v)
        for v in s.tolist()
    ]
    return [v or None for v in text], [col.kind] * n


def safe_text(v: str) -> str:
    """The string to hand XlsxWriter so that the cell shows exactly ``v`` (see module doc)."""
    if v.startswith("<r>") and v.endswith("</r>"):
        return f'<r><t xml:space="preserve">{escape(v)}</t></r>'
    return v


def write_sheets(
    path: str,
    title: str,
    df: pd.DataFrame,
    cols: list[Col],
    style: Style = Style(),
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write ``df`` (rows in their order) as one sheet ``title`` — more when it has more rows than
    a sheet holds (``title (2)`` …) — in constant memory."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        },
    )
    try:
        fmt = _Formats(wb, style)
        per_sheet = MAX_ROWS - 1
        n = len(df)
        sheets = max(1, -(-n // per_sheet))
        done = 0
        for k in range(sheets):
            ws = wb.add_worksheet(title[:31] if k == 0 else f"{title[:25]} ({k + 1})")
            part = df.iloc[k * per_sheet : (k + 1) * per_sheet]
            _header(ws, cols, fmt, style, len(part))
            r = 0
            for chunk in _chunks(part):
                r = _rows(ws, chunk, cols, fmt, style, r)
                done += len(chunk)
                if progress:
                    progress(done, n)
    finally:
        wb.close()


def _chunks(df: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for i in range(0, max(len(df), 1), CHUNK):
        yield df.iloc[i : i + CHUNK]


def _header(ws, cols: list[Col], fmt: _Formats, style: Style, rows: int) -> None:
    for c, col in enumerate(cols):
        ws.set_column(c, c, col.width)
    if style.header_height:
        ws.set_row(0, style.header_height)
    for c, col in enumerate(cols):
        ws.write_string(0, c, safe_text(col.header), fmt.header)
    ws.freeze_panes(*style.freeze)
    if style.print_wide:
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
    if style.autofilter and cols:
        ws.autofilter(0, 0, max(rows, 1), len(cols) - 1)


def _rows(ws, chunk: pd.DataFrame, cols: list[Col], fmt: _Formats, style: Style, r: int) -> int:
    columns = [_values(chunk, col) for col in cols]
    where = {col.name: c for c, col in enumerate(cols)}
    colours: dict[int, list[str | None]] = {}
    for targets, read, colour_of in style.fills:
        got = [colour_of(v) for v in chunk[read].tolist()]
        for name in targets:
            if name in where:
                colours[where[name]] = got
    write_string, write_number, write_boolean = ws.write_string, ws.write_number, ws.write_boolean
    write_blank, get = ws.write_blank, fmt.get
    kinds = [col.kind for col in cols]
    for i in range(len(chunk)):
        r += 1
        for c, (vals, keys) in enumerate(columns):
            v = vals[i]
            colour = colours[c][i] if c in colours else None
            if v is None:
                if colour:
                    write_blank(r, c, None, get(kinds[c], keys[i], colour))
                continue
            f = get(kinds[c], keys[i], colour)
            if isinstance(v, str):
                write_string(r, c, safe_text(v), f)
            elif isinstance(v, bool):
                write_boolean(r, c, v, f)
            else:
                write_number(r, c, v, f)
    return r


class _Formats:
    """One XlsxWriter format per (kind, number format key, fill): formats are workbook-wide."""

    def __init__(self, wb, style: Style) -> None:
        self.wb = wb
        head = {"bold": True, "text_wrap": True, "valign": "vcenter"}
        if style.header_bg:
            head |= {"bg_color": "#" + style.header_bg, "pattern": 1}
        if style.header_fg:
            head["font_color"] = "#" + style.header_fg
        self.header = wb.add_format(head)
        self._cache: dict[tuple, object] = {}

    def get(self, kind: str, key: Any, colour: str | None) -> Any:
        k = (kind, key, colour)
        f = self._cache.get(k)
        if f is None and k not in self._cache:
            props: dict[str, object] = {}
            if kind == "money":
                d = int(key)
                props["num_format"] = "#,##0" + ("." + "0" * d if d else "")
            elif kind == "date":
                props["num_format"] = DATE_FMT
            elif kind == "datetime":
                props["num_format"] = DATE_FMT + " hh:mm:ss"
            elif kind == "id":
                props["num_format"] = "@"
            if colour:  # with the text colour that reads on it (WCAG contrast, as the worksheets)
                props |= {"bg_color": "#" + colour, "pattern": 1}
                props["font_color"] = "#" + _styles.text_on(colour)
            f = self.wb.add_format(props) if props else None
            self._cache[k] = f
        return f
