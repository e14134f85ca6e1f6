"""Chinese numerals: formal (大写) amounts and the digit-by-digit years of formal dates.

The rules are those of the People's Bank of China for writing amounts on bills
(《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》): 元 after the yuan, 角 and 分
one digit each, 整 / 正 when nothing follows 元 or 角, 零 for skipped places.
"""

from __future__ import annotations

import re
from decimal import Decimal

_DIGITS = {c: i % 10 for i, c in enumerate("〇一二三四五六七八九零壹贰叁肆伍陆柒捌玖")}
_DIGITS.update({"○": 0, "O": 0, "两": 2, "貳": 2, "陸": 6, "參": 3})
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_AMOUNT = re.compile(
    r"(?P<neg>负)?(?:人民币)?(?:\(?大写\)?:?)?(?:(?P<yuan>[^元圆角分整正]+)[元圆])?"
    r"零?(?:(?P<jiao>[^角分]+)角)?零?(?:(?P<fen>[^分]+)分)?[整正]?"
)


def cn_int(s: str) -> int:
    """Chinese-numeral integer (一千二百三十四, 壹亿贰仟万, 十一); ValueError if malformed."""
    if not s:
        raise ValueError("empty numeral")
    total = section = num = 0
    last_small, prev_digit = 10**5, False  # units inside a section must fall: 千 > 百 > 十
    for ch in s:
        if ch in _DIGITS:
            if prev_digit and num:
                raise ValueError(f"two digits in a row at {ch!r}")
            num, prev_digit = _DIGITS[ch], True
        elif ch in _SMALL:
            u = _SMALL[ch]
            if u >= last_small or (not prev_digit and (section or total)):
                raise ValueError(f"misplaced {ch!r}")
            section += (num if prev_digit else 1) * u
            num, prev_digit, last_small = 0, False, u
        elif ch in _BIG:
            section += num
            if not section and not total:
                raise ValueError(f"misplaced {ch!r}")
            total = (total + section) * 10**8 if _BIG[ch] == 10**8 else total + section * 10**4
            section = num = 0
            prev_digit, last_small = False, 10**5
        else:
            raise ValueError(f"not a numeral: {ch!r}")
    return total + section + num


def cn_digit_string(s: str) -> int:
    """Digit-by-digit numerals as in years: 二〇二六 → 2026; ValueError if not that form."""
    if not s or any(c not in _DIGITS for c in s):
        raise ValueError(f"not a digit string: {s!r}")
    return int("".join(str(_DIGITS[c]) for c in s))


def cn_amount(s: str) -> Decimal | None:
    """Formal amounts (壹仟贰佰叁拾肆元伍角陆分, …元整) → yuan; None if not that form.

    Raises ValueError for a numeral that has that form but is malformed (伍拾角).
    """
    m = _AMOUNT.fullmatch(s.replace(" ", ""))
    if not m or not (m["yuan"] or m["jiao"] or m["fen"]):
        return None
    yuan = cn_int(m["yuan"].lstrip("零") or "零") if m["yuan"] else 0
    jiao = cn_int(m["jiao"]) if m["jiao"] else 0
    fen = cn_int(m["fen"]) if m["fen"] else 0
    if jiao > 9 or fen > 9 or yuan >= 10**20:
        raise ValueError("角 and 分 take one digit; 元 below 10^20")
    v = Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100
    return (-v if m["neg"] else v).quantize(Decimal("0.01"))
