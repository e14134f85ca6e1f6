"""Conversions from SAP's external and internal formats to arsync's types (reference §2.4, §7).

Everything here is pure and vectorised where it matters; a value that cannot be read raises
:class:`DataError` naming the field and the value.  SAP's ALPHA padding of IDs is
:func:`arsync.common.parse.alpha` (files and worksheets pad the same way).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from arsync.common.errors import DataError
from arsync.common.money import decimals, to_minor

INITIAL_DATES = ("", "00000000")


def dats(text: str, what: str = "date") -> date | None:
    """DATS text ('YYYYMMDD') to a date; initial ('' / '00000000' / blanks) is None."""
    t = (text or "").strip()
    if t in INITIAL_DATES:
        return None
    try:
        if len(t) != 8 or not t.isdigit():
            raise ValueError(t)
        return date(int(t[:4]), int(t[4:6]), int(t[6:8]))
    except ValueError:
        raise DataError(f"{what}: {text!r} is not a SAP date (YYYYMMDD)") from None


def dats_series(s: pd.Series, what: str) -> pd.Series:
    """Vectorised :func:`dats` → datetime64[ns] with NaT for initial dates."""
    t = s.astype(str).str.strip()
    # pandas-stubs: None is a valid `other` (a missing value).
    t = t.where(~t.isin(INITIAL_DATES), None)  # type: ignore[call-overload]
    out = pd.to_datetime(t, format="%Y%m%d", errors="coerce")
    bad = out.isna() & t.notna()
    if bad.any():
        raise DataError(f"{what}: {t[bad].iloc[0]!r} is not a SAP date (YYYYMMDD)")
    return out.astype("datetime64[ns]")


def wa_number(text: str, what: str) -> Decimal:
    """RFC_READ_TABLE number text: right-aligned, trailing minus, '*' in front on overflow."""
    t = text.strip()
    if "*" in t:
        raise DataError(
            f"{what}: value {text.strip()!r} overflowed its column in RFC_READ_TABLE "
            "(read it with the BAPI strategy)"
        )
    neg = t.endswith("-")
    if neg:
        t = t[:-1].strip()
    try:
        d = Decimal(t or "0")
    except InvalidOperation:
        raise DataError(f"{what}: {text!r} is not a number") from None
    return -d if neg else d


def wa_scaled(text, places: int) -> np.ndarray | None:
    """RFC_READ_TABLE number texts × 10^places as int64, vectorised; None when any is not plain.

    Plain is ``[digits][.digits]`` with at most ``places`` decimals and an optional trailing minus;
    anything else (overflow '*', more decimals, junk) returns None so that the caller takes the
    per-value path of :func:`wa_number`, which rounds exactly or names the bad value.
    """
    t = np.strings.strip(np.asarray(text, dtype=str))
    if not t.size:
        return np.zeros(0, dtype=np.int64)
    neg = np.strings.endswith(t, "-")
    t = np.strings.strip(np.strings.rstrip(t, "-"))
    whole, _, frac = np.strings.partition(t, ".")
    whole = np.where(whole == "", "0", whole)
    frac = np.strings.ljust(frac, places, "0") if places else frac
    ok = (
        np.strings.isdigit(whole)
        & (np.strings.str_len(whole) <= 15)
        & (np.strings.str_len(frac) == places)
        & (np.strings.isdigit(frac) | (frac == ""))
    )
    if not ok.all():
        return None
    v = whole.astype(np.int64) * 10**places + (frac.astype(np.int64) if places else 0)
    return np.where(neg, -v, v)


def internal_to_minor(value: Decimal, currency: str, table: dict[str, int] | None = None) -> int:
    """Table CURR value (internal, 2 decimals) → minor units: external = internal × 10^(2 − dec)."""
    d = decimals(currency, table)
    return to_minor(value.scaleb(2 - d), currency, table)


def external_to_minor(value: Decimal, currency: str, table: dict[str, int] | None = None) -> int:
    """BAPI amount (external format, e.g. JPY 1000 is 1000) → minor units."""
    return to_minor(value, currency, table)


def sign(shkzg: pd.Series, what: str) -> np.ndarray:
    """+1 for S (debit: owed to us), −1 for H (credit)."""
    bad = ~shkzg.isin(["S", "H"])
    if bad.any():
        raise DataError(f"{what}: debit/credit indicator {shkzg[bad].iloc[0]!r} is neither S nor H")
    return np.where(shkzg.to_numpy() == "S", 1, -1).astype(np.int64)


def net_due(
    baseline: pd.Series,
    doc_date: pd.Series,
    zbd1t: pd.Series,
    zbd2t: pd.Series,
    zbd3t: pd.Series,
    shkzg: pd.Series,
    rebzg: pd.Series,
) -> pd.Series:
    """Net due date (reference §2.4): baseline (or document date) + net days, else discount days.

    A credit item without an invoice reference is due on its baseline date.  A credit that
    references an invoice keeps its own terms here (SAP would take the invoice's due date).
    """
    base = baseline.where(baseline.notna(), doc_date)
    d3, d2, d1 = (x.astype(np.int64) for x in (zbd3t, zbd2t, zbd1t))
    days = np.where(d3 != 0, d3, np.where(d2 != 0, d2, d1))
    days = np.where((shkzg.to_numpy() == "H") & (rebzg.str.strip().to_numpy() == ""), 0, days)
    return (base + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")
