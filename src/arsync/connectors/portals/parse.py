"""Turn the text Chinese payment portals show into typed values: amounts, dates, IDs.

Portals mix full-width and ASCII characters, units in cells or in headers (万元),
uppercase contract amounts, epoch stamps in JSON and Excel serials in exports
(reference/portals-cn.md §6).  Every parser answers ``None`` for a placeholder
and raises :class:`ParseError` quoting the text for anything it does not know,
so a bad cell becomes a visible exception row instead of a wrong number.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from arsync.common.errors import DataError
from arsync.common.money import to_minor

__all__ = [
    "ParseError",
    "amount_to_minor",
    "clean_id",
    "normalize_text",
    "parse_amount",
    "parse_date",
    "unit_from_header",
]


class ParseError(DataError, ValueError):
    """Portal text that is not a value we understand (a data error and a ValueError)."""


# China has kept UTC+8 without DST since 1991: a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Dash look-alikes NFKC leaves alone; portals use them for minus signs and blanks.
_DASHES = str.maketrans({c: "-" for c in "\u2212\u2012\u2013\u2014\u2015\u2500\ufe58"})
_PLACEHOLDER = re.compile(r"[-/]*|-*无-*|N/?A|null|None", re.IGNORECASE)


def normalize_text(s: str) -> str:
    """NFKC (full-width → ASCII, 　 → space, ￥ → ¥), drop zero-width chars, collapse spaces."""
    s = unicodedata.normalize("NFKC", str(s)).translate(_ZERO_WIDTH)
    return " ".join(s.split())


def _is_placeholder(s: str) -> bool:
    return _PLACEHOLDER.fullmatch(s.replace(" ", "").translate(_DASHES)) is not None


def _missing(x: object) -> bool:
    """None, NaN and pandas' NA/NaT: what an empty cell becomes once a frame has held it."""
    return (
        x is None
        or type(x).__name__ in ("NAType", "NaTType")
        or (isinstance(x, float) and math.isnan(x))
    )


def _fail(what: str, text: object, why: str = "") -> ParseError:
    return ParseError(f"cannot read {what} from {text!r}" + (f": {why}" if why else ""))


# ---------------------------------------------------------------- Chinese numerals
_CN_DIGITS = {c: i % 10 for i, c in enumerate("〇一二三四五六七八九零壹贰叁肆伍陆柒捌玖")}
_CN_DIGITS.update({"○": 0, "O": 0, "两": 2, "貳": 2, "陸": 6, "參": 3})
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}


def _cn_int(s: str) -> int:
    """Chinese-numeral integer (一千二百三十四, 壹亿贰仟万, 十一); ValueError if malformed."""
    if not s:
        raise ValueError("empty numeral")
    total = section = num = 0
    last_small, prev_digit = 10**5, False  # units inside a section must fall: 千 > 百 > 十
    for ch in s:
        if ch in _CN_DIGITS:
            if prev_digit and num:
                raise ValueError(f"two digits in a row at {ch!r}")
            num, prev_digit = _CN_DIGITS[ch], True
        elif ch in _CN_SMALL:
            u = _CN_SMALL[ch]
            if u >= last_small or (not prev_digit and (section or total)):
                raise ValueError(f"misplaced {ch!r}")
            section += (num if prev_digit else 1) * u
            num, prev_digit, last_small = 0, False, u
        elif ch in _CN_BIG:
            section += num
            if not section and not total:
                raise ValueError(f"misplaced {ch!r}")
            total = (total + section) * 10**8 if _CN_BIG[ch] == 10**8 else total + section * 10**4
            section = num = 0
            prev_digit, last_small = False, 10**5
        else:
            raise ValueError(f"not a numeral: {ch!r}")
    return total + section + num


def _cn_digit_string(s: str) -> int:
    """Digit-by-digit numerals as in years: 二〇二六 → 2026."""
    if not s or any(c not in _CN_DIGITS for c in s):
        raise ValueError(f"not a digit string: {s!r}")
    return int("".join(str(_CN_DIGITS[c]) for c in s))


# ---------------------------------------------------------------- amounts
_UNITS = {
    "": 1,
    "元": 1,
    "圆": 1,
    "千元": 10**3,
    "万": 10**4,
    "万元": 10**4,
    "亿": 10**8,
    "亿元": 10**8,
}
_AMOUNT = re.compile(
    r"(?P<s1>[-+])?\s*(?:¥|RMB|CNY|人民币)?\s*(?P<s2>[-+])?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)"
    r"\s*(?P<s3>-)?\s*(?P<unit>千元|万元|亿元|[元圆万亿])?",
    re.IGNORECASE,
)
_CN_AMOUNT = re.compile(
    r"(?P<neg>负)?(?:人民币)?(?:\(?大写\)?:?)?(?:(?P<yuan>[^元圆角分整正]+)[元圆])?"
    r"零?(?:(?P<jiao>[^角分]+)角)?零?(?:(?P<fen>[^分]+)分)?[整正]?"
)


def unit_from_header(header: str) -> str | None:
    """The unit a column header declares: ``金额(万元)`` → ``"万元"``; none ⇒ ``None``."""
    m = re.search(r"\(\s*(千元|万元|亿元|元|万|亿)\s*\)", normalize_text(header))
    return m.group(1) if m else None


def _cn_amount(s: str) -> Decimal | None:
    """Uppercase contract amounts (壹仟贰佰叁拾肆元伍角陆分, …元整); None if not that form."""
    m = _CN_AMOUNT.fullmatch(s.replace(" ", ""))
    if not m or not (m["yuan"] or m["jiao"] or m["fen"]):
        return None
    yuan = _cn_int(m["yuan"].lstrip("零") or "零") if m["yuan"] else 0
    jiao = _cn_int(m["jiao"]) if m["jiao"] else 0
    fen = _cn_int(m["fen"]) if m["fen"] else 0
    if jiao > 9 or fen > 9 or yuan >= 10**20:
        raise ValueError("角 and 分 take one digit; 元 below 10^20")
    v = Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100
    return (-v if m["neg"] else v).quantize(Decimal("0.01"))


def parse_amount(text: object, *, unit: str | None = None) -> Decimal | None:
    """Amount text → Decimal in yuan (major unit); placeholders → None.

    ``unit`` is the header's unit (``"万元"``), applied only when the cell shows none.
    Floats (JSON numbers) are read through ``repr`` and refused past 15 digits.
    """
    if _missing(text):
        return None
    if isinstance(text, bool):
        raise _fail("an amount", text, "a boolean")
    if isinstance(text, float):  # a JSON number: its shortest repr is what the portal sent
        if abs(text) >= 1e15:
            raise _fail("an amount", text, "float beyond exact digits; read the column as text")
        text = repr(float(text))
    elif isinstance(text, (numbers.Integral, Decimal)):
        text = format(Decimal(int(text)) if isinstance(text, numbers.Integral) else text, "f")
    s = normalize_text(text).translate(_DASHES)
    if _is_placeholder(s):
        return None
    header = _UNITS.get(normalize_text(unit or "").strip("()[] "))
    if header is None:
        raise _fail("an amount", text, f"unknown unit {unit!r}")
    neg = len(s) > 2 and s[0] == "(" and s[-1] == ")"
    s = s[1:-1].strip() if neg else s
    m = _AMOUNT.fullmatch(s)
    if m is None:
        try:
            v = _cn_amount(s)
        except ValueError as e:
            raise _fail("an amount", text, str(e)) from None
        if v is None:
            raise _fail("an amount", text)
        return -v if neg else v
    signs = [x for x in m.group("s1", "s2", "s3") if x]
    if len(signs) + neg > 1:
        raise _fail("an amount", text, "more than one sign")
    num = m["num"].replace(",", "")
    if len(num) > 24:  # past Decimal's 28-digit context a unit factor would round silently
        raise _fail("an amount", text, "too many digits")
    v = Decimal(num) * (_UNITS[m["unit"]] if m["unit"] else header)
    return -v if neg or signs == ["-"] else v


def amount_to_minor(text: object, currency: str = "CNY", *, unit: str | None = None) -> int | None:
    """Amount text → integer minor units (fen), rounding half up past the currency's digits."""
    v = parse_amount(text, unit=unit)
    return None if v is None else to_minor(v, currency)


# ---------------------------------------------------------------- dates
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is folded in
_TIME = (
    r"(?:[T\s]*(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?分?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_DATE_RES = (
    re.compile(r"(\d{4})\s*(年)\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _TIME),
    re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _TIME),
)
_CN_DATE = re.compile(r"(\S{4})年(\S{1,3})月(\S{1,3})[日号]")
_NUMERIC = re.compile(r"\d+(?:\.\d+)?")


def _make(y: int, mo: int, d: int, tm: tuple[str | None, ...], text: object) -> date:
    try:
        if tm[3]:  # an explicit offset: the Shanghai calendar day may differ from the text's
            off = datetime.strptime(tm[3], "%z").tzinfo
            return (
                datetime(y, mo, d, int(tm[0] or 0), int(tm[1] or 0), int(tm[2] or 0), tzinfo=off)
                .astimezone(SHANGHAI)
                .date()
            )
        if tm[0] is not None and (int(tm[0]) > 23 or int(tm[1]) > 59 or int(tm[2] or 0) > 59):
            raise ValueError("time out of range")
        return date(y, mo, d)
    except (ValueError, OverflowError) as e:
        raise _fail("a date", text, str(e)) from None


def _from_number(s: str, text: object, excel: bool) -> date:
    if s.isdigit() and len(s) == 8:
        return _make(int(s[:4]), int(s[4:6]), int(s[6:]), (None,) * 4, text)
    if s.isdigit() and len(s) in (10, 13):  # epoch seconds / milliseconds from a JSON API
        return datetime.fromtimestamp(int(s) // 1000 if len(s) == 13 else int(s), SHANGHAI).date()
    if excel:
        serial = Decimal(s)
        if not 1 <= serial < 2958466:
            raise _fail("a date", text, "Excel serial out of range")
        return _EXCEL_EPOCH + timedelta(days=int(serial))
    raise _fail("a date", text, 'a bare number; pass formats=("excel",) for Excel serials')


def parse_date(text: object, formats: tuple[str, ...] | list[str] | None = None) -> date | None:
    """Date text → ``date`` (Asia/Shanghai calendar day); placeholders → None.

    ``formats`` lists strptime patterns tried first; ``"excel"`` in it admits Excel serials.
    """
    formats = tuple(formats or ())
    excel = "excel" in formats
    if _missing(text):
        return None
    if isinstance(text, datetime):
        return text.astimezone(SHANGHAI).date() if text.tzinfo else text.date()
    if isinstance(text, date):
        return text
    if isinstance(text, bool):
        raise _fail("a date", text, "a boolean")
    if isinstance(text, (numbers.Integral, float, Decimal)):
        if not isinstance(text, float):
            return _from_number(str(text), text, excel)
        if not excel:
            raise _fail("a date", text, "a float; only Excel serials come as floats")
        return _from_number(repr(float(text)), text, excel)
    s = normalize_text(text)
    if _is_placeholder(s):
        return None
    for fmt in (f for f in formats if f != "excel"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    if _NUMERIC.fullmatch(s):
        return _from_number(s, text, excel)
    for rx in _DATE_RES:
        m = rx.fullmatch(s)
        if m:  # groups: year, separator, month, day, hour, minute, second, offset
            return _make(int(m[1]), int(m[3]), int(m[4]), m.groups()[4:], text)
    m = _CN_DATE.fullmatch(s.replace(" ", ""))
    if m:
        try:
            y, mo, d = _cn_digit_string(m[1]), _cn_int(m[2]), _cn_int(m[3])
        except ValueError as e:
            raise _fail("a date", text, str(e)) from None
        return _make(y, mo, d, (None,) * 4, text)
    raise _fail("a date", text)


# ---------------------------------------------------------------- identifiers
_SCI = re.compile(r"[-+]?\d(?:\.\d+)?E[-+]?\d+", re.IGNORECASE)
_INT_DOT_ZERO = re.compile(r"(\d+)\.0+")


def clean_id(value: object) -> str:
    """An identifier as text (invoice numbers, 19-digit portal ids); None/placeholder → ''.

    Never goes through float: a float or its traces (``1.2345E+19``, a long ``….0``)
    mean the digits were already lost upstream, so they are refused, not guessed.
    """
    if _missing(value):
        return ""
    if isinstance(value, bool):
        raise ParseError(f"id {value!r} arrived as a boolean")
    if isinstance(value, float):
        raise ParseError(f"id {value!r} arrived as a float; read the column as text")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, Decimal):
        if value.is_finite() and value.as_tuple().exponent == 0:
            return str(value)
        raise ParseError(f"id {value!r} is not an integer; read the column as text")
    if not isinstance(value, str):
        raise ParseError(f"id {value!r} arrived as {type(value).__name__}; expected text")
    s = normalize_text(value)
    if _is_placeholder(s):
        return ""
    if _SCI.fullmatch(s):
        raise ParseError(f"id {value!r} is in scientific notation (Excel); read the column as text")
    m = _INT_DOT_ZERO.fullmatch(s)
    if m:
        if len(m[1].lstrip("0")) > 15:
            raise ParseError(f"id {value!r} passed through a float; read the column as text")
        return m[1]
    return s
