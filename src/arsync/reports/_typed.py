"""What a collector typed in a cell, read as what they meant.

- A **formula** becomes a template that moves with its row (:mod:`._formulas`); one that
  refers to another item's row (or a whole column, or our other sheets) is replaced by the
  value it showed when last saved — or, when no program has computed it yet, by its text —
  with a warning naming the cell.
- **Dates and amounts typed as text** (``2026/12/5``, ``12月5日``, ``¥12,000.00``, a
  full-width comma) in a date or amount column are read with :mod:`arsync.common.parse`.  A
  month and day without a year take the year that puts them nearest the refresh's date.  Text
  that is not a date or an amount (``下周``, ``$500``, ``5/12``) is kept as typed, marked
  on the sheet (:data:`FLAG_AUTHOR`) and named in a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from openpyxl.utils import get_column_letter

from arsync.common.parse import ParseError, is_placeholder, parse_amount, parse_date
from arsync.reports import _formulas as F
from arsync.reports import labels as L

#: the author of the comments the refresh puts on a cell it could not read (not carried)
FLAG_AUTHOR = "arsync-check"
#: Excel's serial numbers of 2000-01-01 and 2099-12-31: the dates a date column accepts
DATE_RANGE = ("36526", "73050")


@dataclass(frozen=True)
class Formula:
    """A formula as typed (``text``), or as a template that moves with its row."""

    text: str


@dataclass(frozen=True)
class Cell:
    """Where a value was read, for the warnings: sheet, 1-based row and column, item key."""

    sheet: str
    row: int
    column: int
    key: str | None

    def address(self) -> str:
        what = f"item {self.key}" if self.key else "an own row"
        return f"{self.sheet}!{get_column_letter(self.column)}{self.row} ({what})"


def kind_of(fid: str) -> str:
    f = L.BY_ID.get(fid)
    return f.kind if f else "text"


def formula(
    v: Formula,
    at: Cell,
    where: F.Where,
    cached: Callable[[str, int, int], object],
    warnings: list[str],
) -> object:
    """A formula of a collector column: its template, or its value with a warning."""
    if F.is_template(v.text):  # already moved (a merged cell's formula, given to each row)
        return v
    template, why = F.to_template(v.text, where)
    if why is None:
        return Formula(template)
    value = cached(at.sheet, at.row, at.column)
    if value is not None:
        warnings.append(
            f"{at.address()}: the formula {v.text} was not kept because {why}; "
            f"the value it showed ({value}) is kept instead"
        )
        return value
    warnings.append(
        f"{at.address()}: the formula {v.text} was not kept because {why}; "
        "it is kept as text (no value was saved with it)"
    )
    return v.text if v.text.startswith("=") else "=" + v.text


def typed_text(fid: str, v: str, at: Cell, as_of: date, warnings: list[str]) -> object:
    """Text typed in a date or amount column, read as a date or amount where unambiguous."""
    kind = kind_of(fid)
    if is_placeholder(v):  # 无, —, N/A: typed on purpose, kept as typed
        return v
    if kind == "date":
        try:
            return _date(v, as_of)
        except ParseError:
            warnings.append(f"{at.address()}: {v!r} is not a date; kept as typed and marked")
            return v
    if kind == "money":
        try:
            return parse_amount(v)  # yuan signs and units only: "$500" is not read as yuan
        except ParseError:
            warnings.append(f"{at.address()}: {v!r} is not an amount; kept as typed and marked")
            return v
    return v


def _date(text: str, as_of: date) -> date | None:
    try:
        return parse_date(text)
    except ParseError as exc:
        if "no year" not in str(exc):
            raise
    # 12月5日: the year that puts the day nearest the refresh (a promise next month, a call
    # last month); the same day and month cannot be six months off both ways
    days = [parse_date(text, year=y) for y in (as_of.year - 1, as_of.year, as_of.year + 1)]
    return min((d for d in days if d is not None), key=lambda d: abs((d - as_of).days))


def needs_flag(fid: str, v: object) -> bool:
    """A value of a date or amount column that is still text: the refresh could not read it."""
    return (
        fid in L.CARRIED
        and kind_of(fid) in ("date", "money")
        and isinstance(v, str)
        and not is_placeholder(v)
    )


def flag_note(fid: str, language: str) -> str:
    if kind_of(fid) == "date":
        zh, en = (
            "⚠ 无法识别为日期，请填写如 2026-12-05",
            "⚠ not read as a date; type e.g. 2026-12-05",
        )
    else:
        zh, en = (
            "⚠ 无法识别为金额，请填写如 12000.00",
            "⚠ not read as an amount; type e.g. 12000.00",
        )
    return L.text(zh, en, language) if language != "both" else f"{zh}\n{en}"
