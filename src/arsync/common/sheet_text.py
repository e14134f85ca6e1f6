"""Text that must stay text when a spreadsheet opens it: the CSV-injection rule and its inverse.

Excel and LibreOffice evaluate a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, the DDE payload ``=cmd|' /C calc'!A0``), and a leading tab or
carriage return lets such a cell hide behind white space.  OWASP's rule (CSV Injection,
owasp.org/www-community/attacks/CSV_Injection): prefix such a text cell with a single quote and
quote every text field, so that the separator cannot break a cell open.  Numbers are not text
and are never touched (``-1234.56`` stays a number).

The escape is reversible, so that arsync reads its own files back unchanged: a text that already
starts with quotes followed by a trigger gets one more quote, and :func:`csv_unescape` takes one
away.  Used by the writer (:mod:`arsync.reports.export`) and may be used by any reader of files
arsync wrote.
"""

from __future__ import annotations

import re

import pandas as pd

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS = re.compile(r"^'*[=+\-@\t\r]")


def csv_escape(text: str) -> str:
    """``'=1+1`` for ``=1+1``; any other text unchanged."""
    return "'" + text if _NEEDS.match(text) else text


def csv_unescape(text: str) -> str:
    """The inverse of :func:`csv_escape`: ``'=1+1`` → ``=1+1``; other text unchanged."""
    return text[1:] if text.startswith("'") and _NEEDS.match(text) else text


def escape_column(s: pd.Series) -> pd.Series:
    """:func:`csv_escape` over a column of text (vectorised; non-text values are left alone)."""
    if s.empty:
        return s
    is_text = s.map(lambda v: isinstance(v, str)).astype(bool)
    text = s.where(is_text, "").astype(str)
    hit = is_text & text.str.match(_NEEDS.pattern)
    if not hit.any():
        return s
    out = s.astype(object).copy()
    out[hit] = "'" + text[hit]
    return out
