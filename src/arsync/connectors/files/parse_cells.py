"""Cell parsers for files people hand us (CSV / XLSX): text in, typed values and bad cells out.

Each parser takes a Series of raw cells (``str`` from CSV; ``str``, numbers or datetimes
from XLSX) and returns ``(values, problem)``: ``problem`` is a Series of '' (fine) or a
short text saying what is wrong with that cell, so that the caller can report file, row
and column.  No parser drops or guesses silently.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from arsync.common.money import DECIMALS

_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # German SAP GUI: 23.11.2026
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ZH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def text(cells: pd.Series) -> pd.Series:
    """Cells as stripped text; whole numbers from Excel lose their ``.0``; blanks are ''."""
    return cells.map(_cell_text).astype(object)


def _cell_text(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.date().isoformat() if v == pd.Timestamp(v).normalize() else str(v)
    return str(v).strip()


def ident(
    cells: pd.Series, *, width: int = 0, required: bool = False
) -> tuple[pd.Series, pd.Series]:
    """An ID kept as text; numeric IDs are zero-padded to ``width`` (SAP's internal form).

    Excel stores a long number as a float with 15 significant digits, so a 16+ digit
    number in a numeric cell has already lost digits: that is reported, never guessed.
    """
    lost = cells.map(lambda v: isinstance(v, float) and not np.isnan(v) and abs(v) >= 1e15)
    vals = text(cells)
    if width:
        digits = vals.str.fullmatch(r"\d+") & vals.str.len().lt(width)
        vals = vals.where(~digits, vals.str.zfill(width))
    problem = pd.Series("", index=cells.index, dtype=object)
    problem[lost] = "long number stored as a number in Excel lost digits; format the column as text"
    if required:
        problem[vals.eq("") & problem.eq("")] = "missing value"
    return vals, problem


def date(cells: pd.Series, *, required: bool = False) -> tuple[pd.Series, pd.Series]:
    """ISO dates (also 2026/11/23, 2026.11.23, 20261123, 2026年11月23日, 23.11.2026, Excel dates)."""
    out = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    problem = pd.Series("", index=cells.index, dtype=object)
    is_dt = cells.map(lambda v: isinstance(v, (dt.date, pd.Timestamp)) and not pd.isna(v))
    if is_dt.any():
        out[is_dt] = pd.to_datetime(cells[is_dt].map(pd.Timestamp)).dt.normalize()
    s = text(cells[~is_dt])
    ymd = pd.DataFrame(index=s.index, columns=["y", "m", "d"], dtype=object)
    for rx, order in ((_ISO, "ymd"), (_COMPACT, "ymd"), (_ZH, "ymd"), (_DMY, "dmy")):
        got = s.str.extract(rx)
        hit = got[0].notna() & ymd["y"].isna()
        if hit.any():
            cols = {c: got[i] for i, c in enumerate(order)}
            for c in "ymd":
                ymd.loc[hit, c] = cols[c][hit]
    blank = s.eq("")
    parsed = (
        pd.to_datetime(
            {
                "year": pd.to_numeric(ymd["y"]),
                "month": pd.to_numeric(ymd["m"]),
                "day": pd.to_numeric(ymd["d"]),
            },
            errors="coerce",
        )
        if len(s)
        else pd.Series(dtype="datetime64[ns]")
    )
    out[s.index] = parsed.astype("datetime64[ns]")
    bad = parsed.isna() & ~blank
    problem[bad[bad].index] = "not a date (use ISO 2026-11-23)"
    if required:
        problem[blank[blank].index] = "missing date"
    return out, problem


def decimal(cells: pd.Series, *, required: bool = False) -> tuple[pd.Series, pd.Series]:
    """Decimal amounts: ``1234.56``, ``1,234.56``, ``1.234,56`` and SAP's trailing minus ``12.5-``."""
    vals = cells.map(_to_decimal)
    problem = pd.Series("", index=cells.index, dtype=object)
    blank = text(cells).eq("")
    problem[vals.isna() & ~blank] = "not an amount"
    if required:
        problem[blank] = "missing amount"
    return vals, problem


def _to_decimal(v: object) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        return None if np.isnan(v) else Decimal(repr(v))
    s = _cell_text(v).replace(" ", "").replace("\u00a0", "").replace("¥", "").replace("￥", "")
    if not s:
        return None
    neg = s.endswith("-") or (s.startswith("(") and s.endswith(")"))
    s = s.strip("()").rstrip("-")
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.fullmatch(r"-?\d+,\d{1,2}", s) else s.replace(",", "")
    if not _NUMBER.match(s):
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    return -d if neg else d


def minor(
    amounts: pd.Series, currency: pd.Series, table: dict[str, int] | None = None
) -> pd.Series:
    """Decimal major units → int minor units per row's currency (rows with None stay NA)."""
    digits = {**DECIMALS, **(table or {})}

    def one(a: Decimal | None, c: str) -> object:
        if a is None or (isinstance(a, float) and np.isnan(a)) or c not in digits:
            return pd.NA
        return int(a.scaleb(digits[c]).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    return pd.Series(
        [one(a, c) for a, c in zip(amounts, currency)], index=amounts.index, dtype="Int64"
    )


def currency(cells: pd.Series, table: dict[str, int] | None = None) -> tuple[pd.Series, pd.Series]:
    """ISO currency codes; an unknown code is a bad cell (its decimals decide the amount)."""
    vals = text(cells).str.upper()
    known = set(DECIMALS) | set(table or {})
    problem = pd.Series("", index=cells.index, dtype=object)
    problem[~vals.isin(known)] = "unknown currency"
    problem[vals.eq("")] = "missing currency"
    return vals, problem


def integer(cells: pd.Series, default: int = 0) -> tuple[pd.Series, pd.Series]:
    s = text(cells)
    ok = s.str.fullmatch(r"[+-]?\d+") | s.eq("")
    vals = pd.to_numeric(s.where(ok & s.ne(""), str(default))).astype(np.int64)
    problem = pd.Series("", index=cells.index, dtype=object)
    problem[~ok] = "not a whole number"
    return vals, problem


def flag(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = text(cells).str.upper()
    yes = s.isin(["X", "Y", "YES", "TRUE", "1", "是"])
    no = s.isin(["", "N", "NO", "FALSE", "0", "否"])
    problem = pd.Series("", index=cells.index, dtype=object)
    problem[~(yes | no)] = "not a yes/no flag (use X or blank)"
    return yes.astype(bool), problem
