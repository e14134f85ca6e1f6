"""Money as integer minor units beside an ISO currency code; Decimal only while parsing.

SAP keeps the decimals of odd currencies in TCURX; ISO 4217 says the same for the
currencies we meet.  ``DECIMALS`` is the fallback when no TCURX was read.  A currency key
that neither lists has 2 decimals, as in SAP (TCURX holds only the currencies whose
decimals differ from 2; a company code may well keep ``RMB`` beside ``CNY``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .errors import DataError

#: ISO 4217 minor-unit digits for currencies that differ from 2, plus the common 2s.
DECIMALS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "HKD": 2,
    "GBP": 2,
    "SGD": 2,
    "TWD": 2,
    "CHF": 2,
    "AUD": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}


#: SAP currency keys (TCURC-WAERS, CUKY 5): a letter, then letters or digits
CURRENCY_KEY = re.compile(r"[A-Z][A-Z0-9]{1,4}")


def decimals(currency: str, table: dict[str, int] | None = None, what: str = "") -> int:
    """Digits after the point for ``currency``: ``table`` (TCURX) first, then ISO 4217, else 2.

    Raises :class:`DataError` only when ``currency`` is not a currency key at all (blank,
    ``人民币``); the message starts with ``what`` (table, field and key of the value)."""
    cur = currency.strip().upper()
    if table is not None and cur in table:
        return table[cur]
    if cur in DECIMALS:
        return DECIMALS[cur]
    if not CURRENCY_KEY.fullmatch(cur):
        at = f"{what}: " if what else ""
        raise DataError(f"{at}{currency!r} is not a currency key (such as CNY)")
    return 2


def to_minor(
    amount: Decimal | str | int, currency: str, table: dict[str, int] | None = None
) -> int:
    """External (major-unit) amount → integer minor units, rounding half up."""
    d = decimals(currency, table)
    q = Decimal(amount).scaleb(d).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(q)


def to_major(minor: int, currency: str, table: dict[str, int] | None = None) -> Decimal:
    """Integer minor units → Decimal in the major unit (``123456`` CNY → ``1234.56``)."""
    d = decimals(currency, table)
    return Decimal(int(minor)).scaleb(-d)


def format_major(minor: int, currency: str) -> str:
    """Minor units as the plain decimal text people read in CSV/XLSX (``1234.56``)."""
    d = decimals(currency)
    v = to_major(minor, currency)
    return f"{v:.{d}f}"


def format_amount(minor: int, currency: str) -> str:
    """Minor units as people read an amount on a console, the way the workbooks show it
    (``#,##0.00``, the currency's own decimals): ``123456789`` CNY → ``1,234,567.89 CNY``,
    ``-1965812`` JPY → ``-1,965,812 JPY``."""
    return f"{to_major(minor, currency):,} {currency}"
