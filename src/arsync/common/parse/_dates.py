"""Dates as people, portals and SAP exports write them → the calendar day in ``runs.timezone``
(:mod:`arsync.common.clock`; Asia/Shanghai by default)."""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from arsync.common import clock

from ._numerals import cn_digit_string, cn_int
from ._text import ParseError, is_missing, is_placeholder, normalize_text

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is folded in
_EXCEL_END = 2958466  # serial of 10000-01-01, the first day Excel cannot show
_TIME = (
    r"(?:[T\s]*(?P<H>\d{1,2})[:时](?P<M>\d{1,2})(?:[:分](?P<S>\d{1,2})(?:\.\d+)?秒?)?分?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_YEAR_FIRST = (
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?" + _TIME),
    re.compile(
        r"(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})" + _TIME
    ),
    re.compile(
        r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})" + _TIME
    ),  # SAP GUI, German: 23.11.2026
)
_MONTH_DAY = re.compile(r"(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?" + _TIME)
_CN_DATE = re.compile(r"(?:(?P<y>\S{4})年)?(?P<m>\S{1,3})月(?P<d>\S{1,3})[日号]")
_NUMERIC = re.compile(r"\d+(?:\.\d+)?")


def _make(y: int, mo: int, d: int, m: re.Match[str] | None, text: object) -> date:
    try:
        if m is not None and m["tz"]:  # an explicit offset: the Shanghai day may differ
            off = datetime.strptime(m["tz"], "%z").tzinfo
            at = datetime(
                y, mo, d, int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0), tzinfo=off
            )
            return at.astimezone(clock.zone()).date()
        if m is not None and m["H"] is not None and _bad_time(m):
            raise ValueError("time out of range")
        return date(y, mo, d)
    except (ValueError, OverflowError) as e:
        raise ParseError("a date", text, str(e)) from None


def _bad_time(m: re.Match[str]) -> bool:
    return int(m["H"]) > 23 or int(m["M"]) > 59 or int(m["S"] or 0) > 59


def _from_number(s: str, text: object, excel: bool) -> date:
    if s.isdigit() and len(s) == 8:  # SAP DATS and people: 20261123
        return _make(int(s[:4]), int(s[4:6]), int(s[6:]), None, text)
    if s.isdigit() and len(s) in (10, 13):  # epoch seconds / milliseconds from a JSON API
        return datetime.fromtimestamp(
            int(s) // 1000 if len(s) == 13 else int(s), clock.zone()
        ).date()
    if excel:
        serial = Decimal(s)
        if not 1 <= serial < _EXCEL_END:
            raise ParseError("a date", text, "Excel serial out of range")
        return EXCEL_EPOCH + timedelta(days=int(serial))
    raise ParseError(
        "a date", text, "a bare number; Excel serials only where the cell came from Excel (excel)"
    )


def parse_date(
    text: object,
    formats: Sequence[str] | None = None,
    *,
    excel: bool = False,
    year: int | None = None,
) -> date | None:
    """Date text → ``datetime.date``, the calendar day in ``runs.timezone``; blanks → None.

    Reads ``2026-11-23``, ``2026/11/23``, ``2026.11.23``, ``2026-1-5``, ``20261123``,
    ``2026年11月23日`` (also 号, spaces, full-width digits), ``二〇二六年十一月二十三日``,
    ``23.11.2026`` (SAP GUI), each with an optional time (``14:05:09``, ``14时05分``) and
    offset (``Z``, ``+08:00``: converted to the Shanghai day), and epoch seconds or
    milliseconds (10 / 13 digits, as JSON APIs send them).  ``12月5日`` needs ``year``,
    the year the page or file gives by context.  ``date`` / ``datetime`` values pass
    through (an aware datetime as its Shanghai day).

    ``formats``: strptime patterns tried first.  ``excel=True`` (or ``"excel"`` among
    ``formats``) says the cell came from Excel: a bare number, also a float, is then a
    serial day (46349 → 2026-11-23); otherwise a bare number or a float is an error.

    Raises :class:`ParseError` quoting the text: impossible days (``2026-02-30``), times
    past 23:59:59, a month without a year, mixed separators (``2026-11/23``), anything else.
    """
    formats = tuple(formats or ())
    excel = excel or "excel" in formats
    if is_missing(text):
        return None
    if isinstance(text, datetime):
        return text.astimezone(clock.zone()).date() if text.tzinfo else text.date()
    if isinstance(text, date):
        return text
    if isinstance(text, bool):
        raise ParseError("a date", text, "a boolean")
    if isinstance(text, (numbers.Integral, float, Decimal)):
        if not isinstance(text, float):
            return _from_number(str(text), text, excel)
        if not excel:
            raise ParseError("a date", text, "a float; only Excel serials come as floats")
        return _from_number(repr(float(text)), text, excel)
    s = normalize_text(str(text))
    if is_placeholder(s):
        return None
    for fmt in (f for f in formats if f != "excel"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    if _NUMERIC.fullmatch(s):
        return _from_number(s, text, excel)
    for rx in _YEAR_FIRST:
        m = rx.fullmatch(s)
        if m:
            return _make(int(m["y"]), int(m["m"]), int(m["d"]), m, text)
    m = _MONTH_DAY.fullmatch(s)
    if m:
        return _make(_year(year, text), int(m["m"]), int(m["d"]), m, text)
    m = _CN_DATE.fullmatch(s.replace(" ", ""))
    if m:
        try:
            y = cn_digit_string(m["y"]) if m["y"] else None
            mo, d = cn_int(m["m"]), cn_int(m["d"])
        except ValueError as e:
            raise ParseError("a date", text, str(e)) from None
        return _make(_year(year, text) if y is None else y, mo, d, None, text)
    raise ParseError("a date", text)


def _year(year: int | None, text: object) -> int:
    if year is None:
        raise ParseError("a date", text, "no year; give the year the page or file shows")
    return year
