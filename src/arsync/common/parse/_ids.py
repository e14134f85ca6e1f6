"""Identifiers as text (never through a float) and SAP's ALPHA conversion."""

from __future__ import annotations

import numbers
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ._text import ParseError, is_missing, is_placeholder, normalize_text

if TYPE_CHECKING:
    import pandas as pd

_SCI = re.compile(r"[-+]?\d(?:\.\d+)?E[-+]?\d+", re.IGNORECASE)
_INT_DOT_ZERO = re.compile(r"(\d+)\.0+")
_DIGITS = re.compile(r"[0-9]+")
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number cell


def parse_id(value: object, *, excel: bool = False) -> str:
    """An identifier as text (invoice numbers, 19-digit portal ids, SAP documents); blank → ''.

    Text is NFKC-normalised (full-width digits → ASCII) with spaces collapsed; integers and
    integral Decimals give their digits.  A float, or its traces in text (``2.4312E+19``, a
    long ``….0``), means the digits were already lost upstream: :class:`ParseError`, never a
    guess.  ``excel=True`` says the cell came from an Excel number cell: a whole number below
    10^15 is then exactly what was typed and gives its digits (90000001.0 → ``"90000001"``);
    a longer one has lost digits and is refused with "format the column as text".
    """
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        raise ParseError("an id", value, "arrived as a boolean")
    if isinstance(value, float):
        if not excel:
            raise ParseError("an id", value, "arrived as a float; read the column as text")
        if abs(value) >= 10**EXCEL_DIGITS:
            raise ParseError(
                "an id",
                value,
                "long number stored as a number in Excel lost digits; format the column as text",
            )
        if not value.is_integer():
            raise ParseError("an id", value, "a number with a fraction; format the column as text")
        return str(int(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, Decimal):
        if value.is_finite() and value.as_tuple().exponent == 0:
            return str(value)
        raise ParseError("an id", value, "not an integer; read the column as text")
    if isinstance(value, date):
        raise ParseError("an id", value, "a date (Excel turns id-like text into dates)")
    if not isinstance(value, str):
        raise ParseError("an id", value, f"arrived as {type(value).__name__}; expected text")
    s = normalize_text(value)
    if is_placeholder(s):
        return ""
    if _SCI.fullmatch(s):
        raise ParseError("an id", value, "in scientific notation (Excel); read the column as text")
    m = _INT_DOT_ZERO.fullmatch(s)
    if m:
        if len(m[1].lstrip("0")) > EXCEL_DIGITS:
            raise ParseError("an id", value, "passed through a float; read the column as text")
        return m[1]
    return s


def alpha(value: str, width: int = 10) -> str:
    """SAP's ALPHA input conversion: an all-digit ID zero-padded to ``width``, others as written.

    ``"1001"`` → ``"0000001001"`` (KUNNR, BELNR: 10), ``"1"`` → ``"001"`` with width 3
    (BUZEI); ``"C-1001"`` stays.  Surrounding blanks are dropped.  An all-digit ID longer
    than ``width`` raises :class:`ParseError` (SAP would refuse it too).
    """
    v = value.strip()
    if _DIGITS.fullmatch(v):
        if len(v) > width:
            raise ParseError("an SAP id", value, f"longer than {width} digits")
        return v.zfill(width)
    return v


def alpha_series(s: pd.Series, width: int = 10) -> pd.Series:
    """Vectorised :func:`alpha` over a Series of text; an over-long ID is left as it is."""
    t = s.astype(str).str.strip()
    return t.where(~t.str.fullmatch(r"[0-9]+"), t.str.zfill(width))
