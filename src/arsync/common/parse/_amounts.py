"""Amounts as people and portals write them → Decimal in the major unit → exact minor units."""

from __future__ import annotations

import numbers
import re
from decimal import Context, Decimal, localcontext

from arsync.common.money import decimals

from ._numerals import cn_amount
from ._text import DASHES, ParseError, is_missing, is_placeholder, normalize_text

#: Units a cell or its header may carry, as powers of ten of the yuan.
UNIT_EXPONENT = {"": 0, "元": 0, "圆": 0, "千元": 3, "万": 4, "万元": 4, "亿": 8, "亿元": 8}
_CODE = {"RMB": "CNY", "CNY": "CNY", "人民币": "CNY"}  # ¥ names yuan and yen alike: no code
_MAX_DIGITS = 24  # more is a typo or a pasted id; int64 minor units end at 19 digits anyway
_EXACT = Context(prec=64)  # no arithmetic here may round: 24 digits + 8 (亿) + 3 (KWD) fit

_AMOUNT = re.compile(
    r"(?P<s1>[-+])?\s*(?P<c1>¥|RMB|CNY|人民币)?\s*(?P<s2>[-+])?\s*"
    r"(?:(?P<en>\d{1,3}(?:,\d{3})+(?:\.\d*)?)"  # 1,234.56
    r"|(?P<eu>\d{1,3}(?:\.\d{3})+,\d*|\d{1,3}(?:\.\d{3}){2,})"  # 1.234,56 / 1.234.567 (SAP ' ')
    r"|(?P<sp>\d{1,3}(?: \d{3})+(?:[.,]\d+)?)"  # 1 234 567,89 (SAP decimal notation Y)
    r"|(?P<dc>\d+,\d{1,2})"  # 1234,5: a decimal comma (a grouping comma takes three digits)
    r"|(?P<pl>\d+(?:\.\d*)?|\.\d+))"
    r"\s*(?P<s3>-)?\s*(?P<unit>千元|万元|亿元|[元圆万亿])?\s*(?P<c2>RMB|CNY)?",
    re.IGNORECASE,
)


def unit_from_header(header: str) -> str | None:
    """The unit a column header declares: ``金额(万元)`` → ``"万元"``; none ⇒ ``None``."""
    m = re.search(r"\(\s*(千元|万元|亿元|元|万|亿)\s*\)", normalize_text(header))
    return m.group(1) if m else None


def _digits(m: re.Match[str]) -> str:
    if m["en"]:
        return m["en"].replace(",", "")
    if m["eu"]:
        return m["eu"].replace(".", "").replace(",", ".")
    if m["sp"]:
        return m["sp"].replace(" ", "").replace(",", ".")
    if m["dc"]:
        return m["dc"].replace(",", ".")
    return m["pl"]


def read_amount(text: object, unit: str | None = None) -> tuple[Decimal | None, str | None]:
    """``(value in the major unit, ISO code the text names or None)``; see :func:`parse_amount`."""
    with localcontext(_EXACT):
        return _read(text, unit)


def _read(text: object, unit: str | None) -> tuple[Decimal | None, str | None]:
    if is_missing(text):
        return None, None
    if isinstance(text, bool):
        raise ParseError("an amount", text, "a boolean")
    if isinstance(text, float):  # a JSON or Excel number: its shortest repr is what was sent
        if abs(text) >= 1e15:
            raise ParseError(
                "an amount", text, "float beyond exact digits; read the column as text"
            )
        s = repr(float(text))
    elif isinstance(text, numbers.Integral):
        s = str(int(text))
    elif isinstance(text, Decimal):
        s = format(text, "f")
    else:
        s = str(text)
    s = normalize_text(s).translate(DASHES)
    if is_placeholder(s):
        return None, None
    exp = UNIT_EXPONENT.get(normalize_text(unit or "").strip("()[] "))
    if exp is None:
        raise ParseError("an amount", text, f"unknown unit {unit!r}")
    neg = len(s) > 2 and s[0] == "(" and s[-1] == ")"
    s = s[1:-1].strip() if neg else s
    m = _AMOUNT.fullmatch(s)
    if m is None:
        try:
            v = cn_amount(s)
        except ValueError as e:
            raise ParseError("an amount", text, str(e)) from None
        if v is None:
            raise ParseError("an amount", text)
        return (-v if neg else v), None
    if len([x for x in m.group("s1", "s2", "s3") if x]) + neg > 1:
        raise ParseError("an amount", text, "more than one sign")
    codes = [_CODE.get(c.upper(), "") for c in m.group("c1", "c2") if c]
    if len(codes) > 1:
        raise ParseError("an amount", text, "more than one currency sign")
    num = _digits(m)
    if sum(c.isdigit() for c in num) > _MAX_DIGITS:
        raise ParseError("an amount", text, "too many digits")
    v = Decimal(num).scaleb(UNIT_EXPONENT[m["unit"]] if m["unit"] else exp)
    if v.as_tuple().exponent > 0:  # type: ignore[operator]  # finite: the regex said digits
        v = v.quantize(Decimal(1))  # 1.2亿 reads 120000000, not 1.2E+8
    negative = neg or "-" in m.group("s1", "s2", "s3")
    return (-v if negative else v), (codes[0] or None) if codes else None


def parse_amount(text: object, *, unit: str | None = None) -> Decimal | None:
    """Amount text → Decimal in the major unit (yuan); placeholders and blanks → None.

    Reads grouping (``1,234.56``; SAP's ``1.234,56`` and ``1 234,56``; ``1234,5``), full-width
    digits and commas, the signs ``¥ ￥ RMB CNY 人民币`` before and ``元 CNY`` after, a
    leading or trailing minus (``1.234,00-`` as SAP writes) or parentheses, the units
    千元 / 万(元) / 亿(元) in the cell, and formal numerals (壹仟贰佰叁拾肆元伍角陆分).
    ``unit`` is the header's unit (``"万元"``), applied only when the cell shows none.
    Integers and Decimals are taken as they are; a float (a JSON or Excel number) through
    its ``repr``, and refused from 10^15 on where its digits are no longer exact.

    Raises :class:`ParseError` quoting the text for anything else (``1,23.4``, ``--5``,
    ``5美元``, ``1e5``): a wrong number is worse than a visible bad cell.
    """
    return read_amount(text, unit)[0]


def exact_minor(value: Decimal, currency: str, table: dict[str, int] | None = None) -> int:
    """Major-unit Decimal → int minor units of ``currency`` (CNY 12.34 → 1234), never rounded.

    The currency's decimals come from :func:`arsync.common.money.decimals` (``table``, SAP's
    TCURX, then ISO 4217, else 2).  More decimals than the currency has (CNY 0.005, JPY 1.5)
    raise :class:`ParseError`; a text that is no currency key (``人民币``) ``DataError``.
    """
    d = decimals(currency, table)
    cur = currency.strip().upper()
    if not value.is_finite():
        raise ParseError(f"an amount in {cur}", value, "not a finite number")
    with localcontext(_EXACT):
        scaled = value.scaleb(d)
        whole = scaled == scaled.to_integral_value()
    if not whole:
        raise ParseError(
            f"an amount in {cur}", value, f"more decimals than {cur} has ({d}); never rounded"
        )
    n = int(scaled)
    if abs(n) >= 2**63:
        raise ParseError(f"an amount in {cur}", value, "too large for int64 minor units")
    return n


def amount_to_minor(
    text: object,
    currency: str = "CNY",
    *,
    unit: str | None = None,
    table: dict[str, int] | None = None,
) -> int | None:
    """Amount text → int minor units of ``currency`` (fen for CNY); blanks → None.

    :func:`parse_amount`, then :func:`exact_minor`: ``"¥1,234.56"`` → ``123456``;
    ``"0.005"`` in CNY raises :class:`ParseError` (more decimals than CNY has), as does a
    text that names another currency than ``currency`` (``"CNY 5"`` read as USD).
    """
    v, code = read_amount(text, unit)
    if v is None:
        return None
    if code is not None and code != currency.strip().upper():
        raise ParseError(f"an amount in {currency}", text, f"the text says {code}")
    try:
        return exact_minor(v, currency, table)
    except ParseError as e:
        raise ParseError(e.what, text, e.why) from None
