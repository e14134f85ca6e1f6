"""Per-cell variants over a pandas Series: ``(values, problems)`` instead of an exception.

Each takes a Series of raw cells (``str`` from CSV; ``str``, numbers, dates or booleans from
a workbook) and returns the typed values beside ``problems``, a Series of '' (fine) or a short
text saying what is wrong with that cell, so that the caller can name file, row and column.
A cell is read exactly as the scalar parser reads it (common forms take a vectorised fast
path that gives the same answer); no variant drops or guesses silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

import numpy as np
import pandas as pd

from arsync.common.money import CURRENCY_KEY, DECIMALS

from ._amounts import exact_minor, parse_amount
from ._dates import parse_date
from ._ids import EXCEL_DIGITS, alpha_series, parse_id
from ._text import ParseError

_FAST_DATES = (  # ASCII-only, no blanks around: each is read here exactly as parse_date reads it
    (r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})", (0, 2, 3)),
    (r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?", (0, 1, 2)),
    (r"([0-9]{4})([0-9]{2})([0-9]{2})", (0, 1, 2)),
    (r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", (2, 1, 0)),
)
# Text parse_id returns unchanged: blank, or ASCII letters and digits with - _ / # inside;
# minus what it refuses or blanks: scientific notation, N/A, null, None.
_FAST_ID = r"(?:[0-9A-Za-z][0-9A-Za-z_\-/#]*)?"
_NOT_FAST_ID = r"(?i:[0-9]E[-+]?[0-9]+|N/?A|null|none)"
# Amounts parse_amount reads as plain Decimal text: 1234.5, -1,234.56, 1,234.56- (SAP).
_PLAIN = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
_FAST_AMOUNT = rf"-?{_PLAIN}|{_PLAIN}-"
T = TypeVar("T")
_FIRST, _LAST = pd.Timestamp.min.date() + dt.timedelta(1), pd.Timestamp.max.date()  # datetime64[ns]


def cell_text(v: object) -> str:
    """One cell as stripped text: blank → ''; a whole float → its integer (``12.0`` → ``12``);
    a datetime at midnight → its ISO date; anything else ``str``."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.date().isoformat() if v == pd.Timestamp(v).normalize() else str(v)
    return str(v).strip()


def text_cells(cells: pd.Series) -> pd.Series:
    """Cells as stripped text (object dtype), by :func:`cell_text`."""
    raw = cells.to_numpy(dtype=object)
    pos, s = _str_positions(raw)
    out = raw.copy()
    out[pos] = s.str.strip().to_numpy(dtype=object)
    other = np.setdiff1d(np.arange(len(raw)), pos, assume_unique=True)
    out[other] = [cell_text(v) for v in raw[other]]
    return pd.Series(out, index=cells.index, dtype=object)


def _none(index: pd.Index) -> pd.Series:
    return pd.Series("", index=index, dtype=object)


def _str_positions(cells: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Positions of the cells that are ``str`` and those cells as a str Series (fast paths)."""
    pos = np.flatnonzero(np.fromiter((type(v) is str for v in cells), bool, len(cells)))
    return pos, pd.Series(cells[pos], dtype=object)


def _each(
    cells: np.ndarray, read: Callable[[object], T | None], label: str
) -> tuple[list[T | None], list[str]]:
    """``read`` per cell; a :class:`ParseError` becomes ``"<label>: <why>"`` and value None."""
    values: list[T | None] = []
    problems: list[str] = []
    for v in cells:
        try:
            values.append(read(v))
            problems.append("")
        except ParseError as e:
            values.append(None)
            problems.append(f"{label}: {e.why}" if e.why else label)
    return values, problems


def _typed(v: object) -> object:
    """A whole number from a number cell is the integer typed (Excel stores every number as a
    float): 20261123.0 → 20261123, so that it reads as the same digits typed as text."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 10**EXCEL_DIGITS:
        return int(v)
    return v


def id_cells(
    cells: pd.Series, *, width: int = 0, required: bool = False, excel: bool = False
) -> tuple[pd.Series, pd.Series]:
    """IDs as text by :func:`parse_id`, all-digit ones ALPHA-padded to ``width`` (0: as read).

    ``excel``: the cells came from a workbook (whole number cells below 10^15 are read as
    their digits).  Problems: ``not an id: …`` (a float, scientific notation, lost digits —
    "format the column as text"), ``missing value`` when ``required`` and blank.
    """
    raw = cells.to_numpy(dtype=object)
    vals = np.full(len(raw), "", dtype=object)
    problem = np.full(len(raw), "", dtype=object)
    pos, s = _str_positions(raw)
    plain = s.str.fullmatch(_FAST_ID) & ~s.str.fullmatch(_NOT_FAST_ID)
    fast = pos[plain.to_numpy(bool)]
    vals[fast] = raw[fast]
    rest = np.setdiff1d(np.arange(len(raw)), fast, assume_unique=True)
    if len(rest):
        v, p = _each(raw[rest], lambda x: parse_id(x, excel=excel), "not an id")
        vals[rest] = [x or "" for x in v]
        problem[rest] = p
    out = pd.Series(vals, index=cells.index, dtype=object)
    if width:
        out = alpha_series(out, width).astype(object)
    problems = pd.Series(problem, index=cells.index, dtype=object)
    if required:
        problems[out.eq("") & problems.eq("")] = "missing value"
    return out, problems


def _read_date(
    v: object, formats: Sequence[str], excel: bool, year: int | None
) -> pd.Timestamp | None:
    d = parse_date(_typed(v), formats, excel=excel, year=year)
    if d is None:
        return None
    if not _FIRST <= d <= _LAST:
        raise ParseError("a date", v, "outside the years 1677–2262 a frame can hold")
    return pd.Timestamp(d).as_unit("ns")


def date_cells(
    cells: pd.Series,
    *,
    required: bool = False,
    excel: bool = False,
    year: int | None = None,
    formats: Sequence[str] = (),
) -> tuple[pd.Series, pd.Series]:
    """Dates by :func:`parse_date` → datetime64[ns] (NaT for blanks and bad cells).

    Problems: ``not a date (use ISO 2026-11-23)[: why]``; ``missing date`` when ``required``
    and blank.  ``excel``, ``year``, ``formats`` as for :func:`parse_date`; a whole number
    from a number cell reads as the integer typed (20261123.0 as 20261123).
    """
    raw = cells.to_numpy(dtype=object)
    out = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[ns]")
    problem = np.full(len(raw), "", dtype=object)
    done = np.zeros(len(raw), dtype=bool)
    pos, s = _str_positions(raw)
    done[pos[s.str.strip().eq("").to_numpy(bool)]] = True  # blank: NaT, no problem
    if not formats:  # patterns given are tried first: no fast path may pre-empt them
        for rx, (y, m, d) in _FAST_DATES:
            todo = ~done[pos]
            got = s[todo].str.extract(f"^{rx}$")
            hit = got[0].notna().to_numpy(bool)
            if not hit.any():
                continue
            got = got[hit]
            when = pd.to_datetime(
                {
                    "year": got[y].astype(int),
                    "month": got[m].astype(int),
                    "day": got[d].astype(int),
                },
                errors="coerce",
            ).to_numpy(dtype="datetime64[ns]")
            ok = ~np.isnat(when)
            at = pos[todo][hit][ok]
            out[at] = when[ok]
            done[at] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        label = "not a date (use ISO 2026-11-23)"
        v, p = _each(raw[rest], lambda x: _read_date(x, formats, excel, year), label)
        out[rest] = [np.datetime64("NaT") if x is None else x.to_datetime64() for x in v]
        problem[rest] = p
    if required:
        problem[np.isnat(out) & (problem == "")] = "missing date"
    return (
        pd.Series(out, index=cells.index, dtype="datetime64[ns]"),
        pd.Series(problem, index=cells.index, dtype=object),
    )


def amount_cells(
    cells: pd.Series, *, required: bool = False, unit: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Amounts by :func:`parse_amount` → object Series of Decimal (major unit) or None.

    Problems: ``not an amount[: why]``; ``missing amount`` when ``required`` and blank.
    """
    raw = cells.to_numpy(dtype=object)
    vals = np.full(len(raw), None, dtype=object)
    problem = np.full(len(raw), "", dtype=object)
    pos, s = _str_positions(raw)
    blank = s.str.strip().eq("").to_numpy(bool)
    plain = (  # a header unit scales every cell; past 24 characters the digit limit applies
        s.str.fullmatch(_FAST_AMOUNT) & s.str.len().le(24)
    ).to_numpy(bool) & (unit is None)
    if plain.any():  # the common forms, exactly as parse_amount reads them
        t = s[plain]
        neg = (t.str.startswith("-") | t.str.endswith("-")).to_numpy(bool)
        digits = t.str.replace(r"[,-]", "", regex=True).map(Decimal).to_numpy(dtype=object)
        digits[neg] = -digits[neg]
        vals[pos[plain]] = digits
    done = np.zeros(len(raw), dtype=bool)
    done[pos[plain | blank]] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        vals[rest], problem[rest] = _each(
            raw[rest], lambda x: parse_amount(x, unit=unit), "not an amount"
        )
    if required:
        problem[pd.isna(vals) & (problem == "")] = "missing amount"
    return (
        pd.Series(vals, index=cells.index, dtype=object),
        pd.Series(problem, index=cells.index, dtype=object),
    )


def minor_cells(
    amounts: pd.Series, currency: pd.Series, table: dict[str, int] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Decimal major units → Int64 minor units per row's currency, by :func:`exact_minor`.

    Rows without an amount or with a currency that is no currency key stay NA without a
    problem (the currency column reports its own); a key neither TCURX nor ISO 4217 lists has
    2 decimals (RMB); more decimals than the currency has is the problem
    ``not an amount: more decimals than CNY has (2); never rounded``.
    """
    vals: list[object] = []
    problems: list[str] = []
    for a, c in zip(amounts, currency):
        if not isinstance(a, Decimal) or not _currency_key(c, table):
            vals.append(pd.NA)
            problems.append("")
            continue
        try:
            vals.append(exact_minor(a, c, table))
            problems.append("")
        except ParseError as e:
            vals.append(pd.NA)
            problems.append(f"not an amount: {e.why}")
    return (
        pd.Series(vals, index=amounts.index, dtype="Int64"),
        pd.Series(problems, index=amounts.index, dtype=object),
    )


def currency_cells(
    cells: pd.Series, table: dict[str, int] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Currency keys (upper-cased): ISO codes and SAP's own keys (``RMB`` beside ``CNY``: 2
    decimals where neither TCURX nor ISO 4217 says otherwise).  Problems: ``not a currency
    key (such as CNY)`` (人民币, ¥), ``missing currency`` when blank — its decimals decide
    every amount of the row."""
    vals = text_cells(cells).str.upper()
    problem = _none(cells.index)
    key = vals.map(lambda c: _currency_key(c, table)).astype(bool)
    problem[~key] = "not a currency key (such as CNY)"
    problem[vals.eq("")] = "missing currency"
    return vals, problem


def _currency_key(c: object, table: dict[str, int] | None) -> bool:
    return isinstance(c, str) and (
        c in DECIMALS or c in (table or {}) or CURRENCY_KEY.fullmatch(c) is not None
    )


def integer_cells(cells: pd.Series, default: int = 0) -> tuple[pd.Series, pd.Series]:
    """Whole numbers → int64 (blank → ``default``); else ``not a whole number``."""
    s = text_cells(cells)
    ok = s.str.fullmatch(r"[+-]?[0-9]+") | s.eq("")
    vals = pd.to_numeric(s.where(ok & s.ne(""), str(default))).astype(np.int64)
    problem = _none(cells.index)
    problem[~ok] = "not a whole number"
    return vals, problem


def flag_cells(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no flags as SAP and people write them: X Y YES TRUE 1 是 / blank N NO FALSE 0 否."""
    s = text_cells(cells).str.upper()
    yes = s.isin(["X", "Y", "YES", "TRUE", "1", "是"])
    no = s.isin(["", "N", "NO", "FALSE", "0", "否"])
    problem = _none(cells.index)
    problem[~(yes | no)] = "not a yes/no flag (use X or blank)"
    return yes.astype(bool), problem
