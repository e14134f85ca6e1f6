"""What every parser shares: the error type, text normalisation, blanks and placeholders."""

from __future__ import annotations

import math
import re
import unicodedata

from arsync.common.errors import DataError


class ParseError(DataError, ValueError):
    """Text that is not a value we understand: a data error (and a ValueError).

    The message quotes the value and says why: ``cannot read a date from '2026-02-30': day
    is out of range for month``.  ``what``, ``value`` and ``why`` are kept as attributes so
    that a per-cell caller can report the reason beside its own file, row and column.
    """

    def __init__(self, what: str, value: object, why: str = "") -> None:
        self.what, self.value, self.why = what, value, why
        super().__init__(f"cannot read {what} from {value!r}" + (f": {why}" if why else ""))

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, object, str]]:  # picklable
        return (type(self), (self.what, self.value, self.why))


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Dash look-alikes NFKC leaves alone; portals use them for minus signs and blanks.
DASHES = str.maketrans({c: "-" for c in "\u2212\u2012\u2013\u2014\u2015\u2500\ufe58"})
_PLACEHOLDER = re.compile(r"[-/]*|-*无-*|N/?A|null|None", re.IGNORECASE)


def normalize_text(s: str) -> str:
    """NFKC (full-width → ASCII, 　 → space, ￥ → ¥), drop zero-width chars, collapse spaces."""
    s = unicodedata.normalize("NFKC", str(s)).translate(_ZERO_WIDTH)
    return " ".join(s.split())


def is_placeholder(s: str) -> bool:
    """Normalised text that means "no value": '', '-', '—', '/', '无', 'N/A', 'null', 'None'."""
    return _PLACEHOLDER.fullmatch(s.replace(" ", "").translate(DASHES)) is not None


def is_missing(x: object) -> bool:
    """None, NaN and pandas' NA/NaT: what an empty cell becomes once a frame has held it."""
    return (
        x is None
        or type(x).__name__ in ("NAType", "NaTType")
        or (isinstance(x, float) and math.isnan(x))
    )
