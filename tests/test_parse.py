"""Reading people's text (arsync.common.parse): every listed format by example, then round trips
by property.  The per-cell variants over a Series are in test_parse_cells.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arsync.common.errors import DataError
from arsync.common.parse import (
    ParseError,
    alpha,
    alpha_series,
    amount_to_minor,
    exact_minor,
    normalize_text,
    parse_amount,
    parse_date,
    parse_id,
    unit_from_header,
)

# Seeded: the same examples on every run and every machine.
PROPS = settings(derandomize=True, deadline=None, max_examples=150)
D = Decimal
CST = timezone(timedelta(hours=8))


def fullwidth(s: str) -> str:
    """ASCII → full-width forms, as portals built on Chinese input methods show them."""
    return "".join(
        "\u3000"
        if c == " "
        else "￥"
        if c == "¥"
        else chr(ord(c) + 0xFEE0)
        if "!" <= c <= "~"
        else c
        for c in s
    )


_UP = "零壹贰叁肆伍陆柒捌玖"


def _four(n: int) -> str:
    out, zero = "", False
    for p, u in ((3, "仟"), (2, "佰"), (1, "拾"), (0, "")):
        d = n // 10**p % 10
        if d == 0:
            zero = bool(out)
            continue
        out += ("零" if zero else "") + _UP[d] + u
        zero = False
    return out


def cn_upper(n: int) -> str:
    """Integer → formal uppercase numerals, written the way invoices write them."""
    if n == 0:
        return "零"
    groups = [n // 10 ** (4 * i) % 10**4 for i in range(3)]
    out, need_zero = "", False
    for i in (2, 1, 0):
        sec = groups[i]
        if sec == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or sec < 1000):
            out += "零"
        out += _four(sec) + ("", "万", "亿")[i]
        need_zero = False
    return out


def cn_upper_amount(v: Decimal) -> str:
    fen_total = int(v * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    head = f"{cn_upper(yuan)}元" if yuan or not (jiao or fen) else ""
    if not (jiao or fen):
        return head + "整"
    jiao_part = f"{_UP[jiao]}角" if jiao else "零" if head else ""
    return head + jiao_part + (f"{_UP[fen]}分" if fen else "")


_LOWER = "〇一二三四五六七八九"


def cn_small(n: int) -> str:
    """1..31 as in formal dates: 十一, 二十三, 三十."""
    tens, ones = divmod(n, 10)
    head = (_LOWER[tens] if tens > 1 else "") + ("十" if tens else "")
    return head + (_LOWER[ones] if ones else "")


# ------------------------------------------------------------------ examples
@pytest.mark.parametrize(
    "text, unit, want",
    [
        ("¥1,234.56", None, D("1234.56")),
        ("￥1,234.56", None, D("1234.56")),
        ("1,234.56元", None, D("1234.56")),
        ("1234.5", None, D("1234.5")),
        ("12.34万元", None, D("123400")),
        ("12.34万", None, D("123400")),
        ("1.2亿元", None, D("120000000")),
        ("３.５千元", None, D("3500")),
        ("１，２３４．５６", None, D("1234.56")),
        ("-1,234.56", None, D("-1234.56")),
        ("(1,234.56)", None, D("-1234.56")),
        ("（1,234.56）", None, D("-1234.56")),
        ("－¥1,234.56", None, D("-1234.56")),
        ("¥-1,234.56", None, D("-1234.56")),
        ("1,234.56-", None, D("-1234.56")),
        ("−88.00", None, D("-88")),
        ("人民币 1,234.56 元", None, D("1234.56")),
        ("RMB1234.56", None, D("1234.56")),
        ("\u00a01\u200b234.56\u3000", None, D("1234.56")),
        ("壹仟贰佰叁拾肆元伍角陆分", None, D("1234.56")),
        ("壹仟贰佰叁拾肆元整", None, D("1234")),
        ("人民币壹拾万零伍元整", None, D("100005")),
        ("(大写)壹亿贰仟万元正", None, D("120000000")),
        ("壹元零陆分", None, D("1.06")),
        ("伍角", None, D("0.5")),
        ("负叁佰元整", None, D("-300")),
        ("12.34", "万元", D("123400")),
        ("12.34元", "万元", D("12.34")),  # the cell's own unit wins over the header's
        ("1,234.56", "元", D("1234.56")),
        (1234, None, D("1234")),
        (D("12.5"), "万元", D("125000")),
        (1234.56, None, D("1234.56")),
    ],
)
def test_parse_amount_formats(text, unit, want):
    assert parse_amount(text, unit=unit) == want


@pytest.mark.parametrize(
    "text", [None, "", "  ", "—", "——", "--", "-", "/", "－", "\u3000", "无", "N/A", float("nan")]
)
def test_amount_placeholders_are_none(text):
    assert parse_amount(text) is None
    assert amount_to_minor(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1,23.4",
        "12,3456.00",
        "1.2.3",
        "--5",
        "-(5)",
        "(-5)",
        "¥¥5",
        "5美元",
        "1e5",
        "壹壹元",
        "壹佰仟元",
        "伍拾角",
        "壹亿亿亿亿元",
        "1234元5角",
        "12 34",
        "1" * 30,
    ],
)
def test_amount_garbage_raises_quoting_text(text):
    with pytest.raises(ValueError) as e:
        parse_amount(text)
    assert repr(text) in str(e.value)
    assert isinstance(e.value, DataError)


def test_amount_bad_inputs():
    with pytest.raises(ParseError, match="unknown unit"):
        parse_amount("5", unit="美元")
    with pytest.raises(ParseError, match="boolean"):
        parse_amount(True)
    with pytest.raises(ParseError, match="read the column as text"):
        parse_amount(1.2345678901234567e19)
    with pytest.raises(ParseError):
        parse_amount(float("inf"))
    with pytest.raises(ParseError):
        parse_amount(D("NaN"))
    assert parse_amount(float("nan")) is None  # an empty cell once pandas held it


def test_amount_to_minor_and_header_unit():
    assert amount_to_minor("¥1,234.56") == 123456
    assert amount_to_minor("12.34万元") == 12340000
    with pytest.raises(ParseError, match=r"more decimals than CNY has \(2\); never rounded"):
        amount_to_minor("(0.005)")  # was rounded half up to -1: now refused, never rounded
    assert amount_to_minor("1,234", "JPY") == 1234
    assert isinstance(amount_to_minor("1.2亿元"), int)
    assert unit_from_header("金额（万元）") == "万元"
    assert unit_from_header("合同金额(元)") == "元"
    assert unit_from_header("发票金额") is None
    assert amount_to_minor("3.5", unit=unit_from_header("金额(万元)")) == 3500000


@pytest.mark.parametrize(
    "text, want",
    [
        ("1.234,00-", D("-1234")),  # SAP, decimal notation ' ': trailing minus
        ("1.234,56", D("1234.56")),
        ("1.234.567", D("1234567")),  # two dot groups: grouping, whatever the decimals
        ("1 234 567,89", D("1234567.89")),  # SAP decimal notation 'Y'
        ("500,00-", D("-500")),
        ("1234,5", D("1234.5")),  # a comma with one or two digits after it is a decimal comma
        ("1,234", D("1234")),  # with three it groups
        ("1,234.56 CNY", D("1234.56")),
        ("CNY 1,234.56", D("1234.56")),
        ("￥１，２３４．５６元", D("1234.56")),
        ("1,234.56元-", None),
        ("1.234", D("1.234")),  # one dot group reads as a decimal point (the currency decides)
    ],
)
def test_amounts_as_sap_and_people_write_them(text, want):
    if want is None:
        with pytest.raises(ParseError):
            parse_amount(text)
    else:
        assert parse_amount(text) == want


def test_minor_units_are_exact_or_an_error_never_rounded():
    assert amount_to_minor("1.234,00-", "CNY") == -123400
    assert amount_to_minor("1234.5600", "CNY") == 123456  # trailing zeros are not decimals
    assert amount_to_minor("1.234", "KWD") == 1234
    assert amount_to_minor("1.234.567", "JPY") == 1234567
    assert amount_to_minor("12.345678万元", "CNY") == 12345678
    assert amount_to_minor("1.5", "XAU", table={"XAU": 1}) == 15
    for text, cur in [
        ("1.234", "CNY"),
        ("1.5", "JPY"),
        ("1.2345", "KWD"),
        ("1.2345678万元", "CNY"),
    ]:
        with pytest.raises(ParseError, match=f"more decimals than {cur}") as e:
            amount_to_minor(text, cur)
        assert repr(text) in str(e.value)
    with pytest.raises(ParseError, match="the text says CNY"):
        amount_to_minor("CNY 5", "USD")
    assert amount_to_minor("¥500", "JPY") == 500  # ¥ is the yen sign too
    assert amount_to_minor("5", "XYZ") == 500  # a key neither TCURX nor ISO lists: 2, as in SAP
    with pytest.raises(DataError, match="not a currency key"):
        amount_to_minor("5", "人民币")
    assert exact_minor(D("12.30"), "CNY") == 1230
    with pytest.raises(ParseError, match="int64"):
        exact_minor(D("1" * 20), "CNY")
    with pytest.raises(ParseError, match="finite"):
        exact_minor(D("NaN"), "CNY")


@pytest.mark.parametrize(
    "text, formats, want",
    [
        ("2026年11月23日", None, date(2026, 11, 23)),
        ("2026年1月5日", None, date(2026, 1, 5)),
        ("2026 年 1 月 5 日", None, date(2026, 1, 5)),
        ("２０２６年１１月２３日", None, date(2026, 11, 23)),
        ("2026-11-23", None, date(2026, 11, 23)),
        ("2026/11/23", None, date(2026, 11, 23)),
        ("2026.11.23", None, date(2026, 11, 23)),
        ("2026-1-5", None, date(2026, 1, 5)),
        ("20261123", None, date(2026, 11, 23)),
        ("2026-11-23 14:05:09", None, date(2026, 11, 23)),
        ("2026-11-23T14:05", None, date(2026, 11, 23)),
        ("2026-11-23 14:05:09.123", None, date(2026, 11, 23)),
        ("2026年11月23日 14时05分09秒", None, date(2026, 11, 23)),
        ("2026-11-23T20:00:00Z", None, date(2026, 11, 24)),  # 04:00 next day in Shanghai
        ("2026-11-23T20:00:00+08:00", None, date(2026, 11, 23)),
        ("1795363200000", None, date(2026, 11, 23)),  # 2026-11-22T16:00Z = midnight in Shanghai
        ("1795363199999", None, date(2026, 11, 22)),
        ("1795363200", None, date(2026, 11, 23)),
        (1795363200000, None, date(2026, 11, 23)),
        ("二〇二六年十一月二十三日", None, date(2026, 11, 23)),
        ("二〇二六年一月五日", None, date(2026, 1, 5)),
        ("二〇二六年十二月三十一日", None, date(2026, 12, 31)),
        ("46349", ("excel",), date(2026, 11, 23)),
        (46349, ["excel"], date(2026, 11, 23)),
        (46349.75, ["excel"], date(2026, 11, 23)),
        ("23/11/2026", ("%d/%m/%Y",), date(2026, 11, 23)),
        ("2026-11-23", ("%d/%m/%Y",), date(2026, 11, 23)),  # patterns first, built-ins after
        (date(2026, 11, 23), None, date(2026, 11, 23)),
        (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), None, date(2026, 11, 23)),
    ],
)
def test_parse_date_formats(text, formats, want):
    assert parse_date(text, formats) == want


def test_dates_with_context_sap_gui_and_excel():
    assert parse_date("23.11.2026") == date(2026, 11, 23)  # SAP GUI, German user settings
    assert parse_date("1.2.2026 08:00") == date(2026, 2, 1)
    assert parse_date("12月5日", year=2026) == date(2026, 12, 5)
    assert parse_date("１２月５号", year=2026) == date(2026, 12, 5)
    assert parse_date("十二月五日", year=2026) == date(2026, 12, 5)
    assert parse_date("2025年12月5日", year=2026) == date(2025, 12, 5)  # the text's year wins
    with pytest.raises(ParseError, match="no year") as e:
        parse_date("12月5日")
    assert "'12月5日'" in str(e.value)
    with pytest.raises(ParseError, match="no year"):
        parse_date("十二月五日")
    with pytest.raises(ParseError, match="day is out of range"):
        parse_date("2月30日", year=2026)
    assert parse_date(46349, excel=True) == parse_date("46349", ["excel"]) == date(2026, 11, 23)
    assert parse_date(20261123, excel=True) == date(2026, 11, 23)  # 8 digits stay a date
    with pytest.raises(ParseError, match="Excel"):
        parse_date("46349")


@pytest.mark.parametrize("text", [None, "", "—", "--", "-", "/", " － "])
def test_date_placeholders_are_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "text, formats, hint",
    [
        ("2026-02-30", None, "day is out of range"),
        ("2026年13月1日", None, "month must be"),
        ("20260230", None, "day is out of range"),
        ("2026-11-23 25:00", None, "time out of range"),
        ("46349", None, "excel"),
        (46349.0, None, "float"),
        ("0", ("excel",), "out of range"),
        ("二〇二六年十三月一日", None, "month"),
        ("二〇二X年一月一日", None, "not a digit"),
        ("2026-11/23", None, None),
        ("next tuesday", None, None),
        ("2026年11月", None, None),
    ],
)
def test_date_errors_quote_text(text, formats, hint):
    with pytest.raises(ValueError, match=hint) as e:
        parse_date(text, formats)
    assert repr(text) in str(e.value)


@pytest.mark.parametrize(
    "value, want",
    [
        (" 26442000000012345678 ", "26442000000012345678"),
        ("２６４４２０００００００１２３４５６７８", "26442000000012345678"),
        ("1234567890123456789", "1234567890123456789"),
        (1234567890123456789, "1234567890123456789"),
        ("00012345", "00012345"),
        ("HT-2026-001", "HT-2026-001"),
        ("\u200bZCY\u00a02026", "ZCY 2026"),
        ("12345678.0", "12345678"),
        (D("12345678901234567890"), "12345678901234567890"),
        (None, ""),
        ("—", ""),
    ],
)
def test_parse_id(value, want):
    assert parse_id(value) == want


@pytest.mark.parametrize(
    "value, hint",
    [
        (1.2345678901234567e19, "arrived as a float; read the column as text"),
        (12345.0, "arrived as a float"),
        ("2.64420000000123E+19", "scientific notation"),
        ("26442000000012345678.0", "passed through a float"),
        (D("1E+19"), "not an integer"),
        (True, "boolean"),
        ([1], "expected text"),
    ],
)
def test_parse_id_refuses_lossy_inputs(value, hint):
    with pytest.raises(ParseError, match=hint):
        parse_id(value)


def test_ids_from_excel_number_cells():
    assert parse_id(90000001.0, excel=True) == "90000001"
    assert parse_id(999999999999999.0, excel=True) == "999999999999999"
    with pytest.raises(ParseError, match="lost digits; format the column as text"):
        parse_id(2.644200000005e19, excel=True)
    with pytest.raises(ParseError, match="fraction"):
        parse_id(1001.5, excel=True)
    with pytest.raises(ParseError, match="arrived as a float"):
        parse_id(90000001.0)  # not from Excel: a float is never an id
    with pytest.raises(ParseError, match="a date"):
        parse_id(date(2026, 11, 1), excel=True)


def test_alpha_padding():
    assert alpha("1001") == "0000001001"
    assert alpha(" 1 ", 3) == "001"
    assert alpha("C-1001") == "C-1001"
    assert alpha("") == ""
    with pytest.raises(ParseError, match="longer than 10 digits") as e:
        alpha("12345678901")
    assert isinstance(e.value, DataError)
    pd = pytest.importorskip("pandas")
    got = alpha_series(pd.Series(["1001", " 42 ", "C-1", "", "12345678901"]))
    assert list(got) == ["0000001001", "0000000042", "C-1", "", "12345678901"]


def test_parse_error_keeps_what_value_and_why():
    import pickle

    with pytest.raises(ParseError) as e:
        parse_date("2026-02-30")
    err = e.value
    assert (err.what, err.value) == ("a date", "2026-02-30") and "out of range" in err.why
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and isinstance(again, DataError)


def test_values_a_dataframe_held():
    np, pd = pytest.importorskip("numpy"), pytest.importorskip("pandas")
    assert parse_amount(np.int64(5), unit="万元") == 50000
    assert parse_amount(np.float64(12.5)) == D("12.5")
    assert parse_amount(pd.NA) is None
    assert parse_date(pd.NaT) is None
    assert parse_date(np.int64(20261123)) == date(2026, 11, 23)
    assert parse_date(pd.Timestamp("2026-11-23 20:00", tz="UTC")) == date(2026, 11, 24)
    assert parse_id(np.int64(1234567890123456789)) == "1234567890123456789"
    assert parse_id(np.nan) == ""
    with pytest.raises(ParseError, match="float"):
        parse_id(np.float64(1.0))


def test_normalize_text():
    assert (
        normalize_text("\ufeff ＡＢＣ　１２３，（￥）\u00a0\u200d x \t\n y ") == "ABC 123,(¥) x y"
    )
    assert normalize_text("二〇二六、。") == "二〇二六、。"


def test_the_scalar_parsers_load_no_pandas_and_no_connector():
    heavy = ("pandas", "pyarrow", "sqlalchemy", "playwright", "pyrfc", "arsync.connectors")
    code = (
        "import sys\nfrom arsync.common.parse import parse_amount, parse_date, parse_id, alpha\n"
        f"print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


# ------------------------------------------------------------------ properties
money = st.decimals(min_value=D("-999999999999.99"), max_value=D("999999999999.99"), places=2)


@PROPS
@given(money)
def test_amount_round_trips_in_every_style(v):
    a = abs(v)
    sign = "-" if v < 0 else ""
    styles = [
        f"{sign}¥{a:,.2f}",
        f"{sign}{a:,.2f}元",
        f"{v:.2f}",
        f"{sign}{a.scaleb(-4):f}万元",
        f"{sign}{a.scaleb(-8):f}亿元",
        fullwidth(f"{sign}¥{a:,.2f}"),
        fullwidth(f"{v:,.2f}元"),
    ]
    if v < 0:
        styles += [f"({a:,.2f})", f"（{a:,.2f}）", fullwidth(f"(¥{a:,.2f})"), f"{a:,.2f}-"]
    for text in styles:
        assert parse_amount(text) == v, text
    assert parse_amount(f"{v.scaleb(-4):f}", unit="万元") == v
    assert amount_to_minor(f"{sign}¥{a:,.2f}") == int(v * 100)


@PROPS
@given(st.decimals(min_value=0, max_value=D("999999999999.99"), places=2))
def test_uppercase_amount_round_trips(v):
    text = cn_upper_amount(v)
    assert parse_amount(text) == v, text
    assert parse_amount("人民币" + text) == v


def _outcome(parse, text):
    try:
        return parse(text)
    except ParseError:
        return "error"


@PROPS
@given(st.text(alphabet="0123456789,.-()¥元万亿 ", max_size=14))
def test_fullwidth_and_ascii_amounts_parse_alike(text):
    assert _outcome(parse_amount, fullwidth(text)) == _outcome(parse_amount, text)
    assert _outcome(parse_id, fullwidth(text)) == _outcome(parse_id, text)


@PROPS
@given(
    st.from_regex(
        r"20[0-9]{2}[-/.年][01]?[0-9][-/.月][0-3]?[0-9]日?( [0-2][0-9]:[0-5][0-9])?", fullmatch=True
    )
)
def test_fullwidth_and_ascii_dates_parse_alike(text):
    assert _outcome(parse_date, fullwidth(text)) == _outcome(parse_date, text)


@PROPS
@given(st.text(max_size=30))
def test_any_text_parses_or_raises_parse_error(text):
    for parse in (parse_amount, parse_date, parse_id):
        try:
            parse(text)
        except ParseError as e:
            assert repr(text) in str(e) or "id " in str(e)
    assert normalize_text(normalize_text(text)) == normalize_text(text)


@PROPS
@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 86399))
def test_dates_round_trip_in_every_style(d, second):
    y, m, dd = d.year, d.month, d.day
    styles = [
        f"{y}年{m}月{dd}日",
        f"{y}年{m:02d}月{dd:02d}日",
        f"{d:%Y-%m-%d}",
        f"{d:%Y/%m/%d}",
        f"{d:%Y.%m.%d}",
        f"{y}-{m}-{dd}",
        f"{d:%Y%m%d}",
        fullwidth(f"{d:%Y-%m-%d}"),
        fullwidth(f"{y}年{m}月{dd}日"),
        "".join(_LOWER[int(c)] for c in str(y)) + f"年{cn_small(m)}月{cn_small(dd)}日",
    ]
    at = datetime(y, m, dd, tzinfo=CST) + timedelta(seconds=second)
    styles += [
        f"{at:%Y-%m-%d %H:%M:%S}",
        f"{at:%Y/%m/%d %H:%M}",
        at.isoformat(),
        at.astimezone(UTC).isoformat(),
    ]
    if len(str(int(at.timestamp()))) == 10:  # epoch stamps are 10/13 digits from 2001-09-09 on
        styles += [str(int(at.timestamp())), str(int(at.timestamp()) * 1000 + second % 1000)]
    for text in styles:
        assert parse_date(text) == d, text
    serial = (d - date(1899, 12, 30)).days
    assert parse_date(str(serial), ("excel",)) == d
    assert parse_date(serial + second / 86400, ("excel",)) == d


@PROPS
@given(st.from_regex(r"[0-9]{19,20}", fullmatch=True))
def test_long_ids_never_change(s):
    assert parse_id(s) == s
    assert parse_id(f" {fullwidth(s)}\u3000") == s
    assert parse_id(int(s)) == str(int(s))
    if s[0] != "0":
        assert parse_id(int(s)) == s


@PROPS
@given(money)
def test_amounts_round_trip_in_sap_styles(v):
    a = abs(v)
    en = f"{a:,.2f}"
    de = en.replace(",", " ").replace(".", ",").replace(" ", ".")  # 1.234.567,89
    y = en.replace(",", " ").replace(".", ",")  # 1 234 567,89
    for text in (de, y):
        want = a if v >= 0 else -a
        assert parse_amount(text + ("-" if v < 0 else "")) == want, text
    assert amount_to_minor(de + ("-" if v < 0 else ""), "CNY") == int(v * 100)


@PROPS
@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_alpha_pads_numeric_ids_only(n):
    assert alpha(str(n)) == f"{n:010d}"
    assert alpha(f"{n:010d}") == f"{n:010d}"
    assert alpha(f"A{n}"[:10]) == f"A{n}"[:10]


@PROPS
@given(
    money,
    st.sampled_from(["CNY", "JPY", "KWD"]),
)
def test_minor_units_never_round(v, cur):
    places = {"CNY": 2, "JPY": 0, "KWD": 3}[cur]
    text = f"{v:f}"
    if v == v.quantize(D(1).scaleb(-places)):
        assert amount_to_minor(text, cur) == int(v.scaleb(places))
    else:
        with pytest.raises(ParseError, match="never rounded"):
            amount_to_minor(text, cur)
