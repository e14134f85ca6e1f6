"""One parser of people's text: dates, amounts, identifiers and SAP's ALPHA padding.

Files people hand us (CSV / XLSX / FBL5N), the pages and JSON of Chinese payment portals
and the collectors' worksheets all write the same things in many ways: full-width digits,
``1,234.56`` or SAP's ``1.234,56-``, 万元 in a cell or in its header, 大写 contract amounts,
``2026年11月23日``, Excel serials, 20-digit invoice numbers that Excel shows as
``2.6442E+19`` (reference/portals-cn.md §6).  Everything that reads such text reads it here,
so one cell means the same thing wherever it comes from.  This package imports no connector.

Two shapes:

- **Scalar** functions take one value (text, or the number / date / None a frame or a JSON
  page holds), answer the typed value (None or '' for a blank or placeholder: ``—``, ``-``,
  ``/``, ``无``, ``N/A``) and raise :class:`ParseError` (a ``DataError``) quoting the value
  and saying why for anything they do not understand — a bad cell becomes a visible
  exception row, never a wrong number.
- **Per-cell** variants (``*_cells``) take a pandas Series of cells and return
  ``(values, problems)``: ``problems`` holds '' or a short text per cell, so that a reader
  of files can report every bad cell with its file, row and column.  They load pandas on
  first use; the scalar functions import nothing beyond the standard library.

Amounts are Decimal in the major unit while parsed and int minor units once their currency
is known (:func:`exact_minor`): more decimals than the currency has (ISO 4217 / SAP TCURX,
:mod:`arsync.common.money`) is an error, never rounded.  IDs are text and never come from a
float: a float or a trace of one where an ID belongs is a problem, not a value (a whole
number from an Excel number cell is the exception the caller declares with ``excel=True``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._amounts import UNIT_EXPONENT, amount_to_minor, exact_minor, parse_amount, unit_from_header
from ._dates import EXCEL_EPOCH, parse_date
from ._ids import alpha, alpha_series, parse_id
from ._text import ParseError, is_placeholder, normalize_text

if TYPE_CHECKING:
    from ._cells import (
        amount_cells,
        cell_text,
        currency_cells,
        date_cells,
        flag_cells,
        id_cells,
        integer_cells,
        minor_cells,
        text_cells,
    )

# The per-cell variants need pandas (which loads pyarrow): imported on first use, so that
# the scalar parsers stay as light as the standard library.
_CELLS = frozenset(
    {
        "amount_cells",
        "cell_text",
        "currency_cells",
        "date_cells",
        "flag_cells",
        "id_cells",
        "integer_cells",
        "minor_cells",
        "text_cells",
    }
)


def __getattr__(name: str) -> object:
    if name in _CELLS:
        from . import _cells

        return getattr(_cells, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXCEL_EPOCH",
    "UNIT_EXPONENT",
    "ParseError",
    "alpha",
    "alpha_series",
    "amount_cells",
    "amount_to_minor",
    "cell_text",
    "currency_cells",
    "date_cells",
    "exact_minor",
    "flag_cells",
    "id_cells",
    "integer_cells",
    "is_placeholder",
    "minor_cells",
    "normalize_text",
    "parse_amount",
    "parse_date",
    "parse_id",
    "text_cells",
    "unit_from_header",
]
