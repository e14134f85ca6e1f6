"""Per-cell reading of file columns (arsync.common.parse ``*_cells``): values beside problems.

Each variant must read a cell exactly as its scalar parser does (the vectorised fast paths
are checked against the scalar by property), and say what is wrong with every bad cell.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from arsync.common.parse import (
    ParseError,
    amount_cells,
    cell_text,
    currency_cells,
    date_cells,
    flag_cells,
    id_cells,
    integer_cells,
    minor_cells,
    parse_amount,
    parse_date,
    parse_id,
    text_cells,
)

PROPS = settings(derandomize=True, deadline=None, max_examples=150)
D = Decimal


def S(*cells: object) -> pd.Series:
    return pd.Series(list(cells), dtype=object)


def test_text_cells():
    got = text_cells(S(" a ", None, float("nan"), 12.0, 1.5, dt.datetime(2026, 9, 1), 7))
    assert list(got) == ["a", "", "", "12", "1.5", "2026-09-01", "7"]
    assert cell_text(pd.Timestamp("2026-09-01 08:30")) == "2026-09-01 08:30:00"


def test_id_cells_pad_keep_text_and_report_lost_digits():
    cells = S(
        "90000001", 90000001.0, " 1001 ", "１００１", "C-1", "", "—", 2.644200000005e19, "2.6E+19"
    )
    vals, problems = id_cells(cells, width=10, required=True, excel=True)
    assert list(vals[:5]) == ["0090000001", "0090000001", "0000001001", "0000001001", "C-1"]
    assert list(problems[:5]) == [""] * 5
    assert list(problems[5:7]) == ["missing value", "missing value"]
    assert "format the column as text" in problems[7]
    assert "scientific notation" in problems[8]
    assert problems[7].startswith("not an id: ")
    _, from_json = id_cells(S(90000001.0))  # not from a workbook: a float is never an id
    assert "arrived as a float" in from_json[0]


def test_id_cells_keep_the_index():
    cells = pd.Series(["1", 2.5, "3"], index=[10, 20, 30], dtype=object)
    vals, problems = id_cells(cells, width=3, excel=True)
    assert vals.to_dict() == {10: "001", 20: "", 30: "003"}
    assert problems[20].startswith("not an id") and problems[10] == problems[30] == ""


def test_date_cells_read_every_form_and_name_bad_ones():
    cells = S(
        "2026-11-23",
        "2026/11/23",
        "2026年11月23日",
        "20261123",
        "23.11.2026",
        " 2026-11-23 ",
        "２０２６-１１-２３",
        "2026-11-23 14:05",
        dt.datetime(2026, 11, 23, 0, 0),
        dt.date(2026, 11, 23),
        20261123.0,
        "",
        "2026-13-01",
        "x",
    )
    vals, problems = date_cells(cells, required=True)
    day = pd.Timestamp("2026-11-23")
    assert list(vals[:11]) == [day] * 11 and list(problems[:11]) == [""] * 11
    assert vals[11:].isna().all()
    assert problems[11] == "missing date"
    assert problems[12] == "not a date (use ISO 2026-11-23): month must be in 1..12"
    assert problems[13] == "not a date (use ISO 2026-11-23)"
    assert str(vals.dtype) == "datetime64[ns]"


def test_date_cells_excel_serials_year_and_patterns():
    vals, problems = date_cells(S(46349.0, 46349, "46349"), excel=True)
    assert list(vals) == [pd.Timestamp("2026-11-23")] * 3 and set(problems) == {""}
    _, problems = date_cells(S(46349.0))
    assert "Excel" in problems[0]
    vals, _ = date_cells(S("12月5日"), year=2026)
    assert vals[0] == pd.Timestamp("2026-12-05")
    vals, _ = date_cells(S("2026-05-12"), formats=("%Y-%d-%m",))  # patterns come first
    assert vals[0] == pd.Timestamp("2026-12-05")
    vals, problems = date_cells(S("1500-01-01", "2026-01-01"))
    assert pd.isna(vals[0]) and "1677" in problems[0] and vals[1] == pd.Timestamp("2026-01-01")


def test_amount_and_minor_cells():
    cells = S("1,234.56", "1.234,00-", "(5)", 1234.56, 7, "12.34万元", "", "—", "12x", "0.005")
    amounts, problems = amount_cells(cells, required=True)
    assert list(amounts[:6]) == [D("1234.56"), D("-1234"), D(-5), D("1234.56"), D(7), D(123400)]
    assert list(problems[6:9]) == ["missing amount", "missing amount", "not an amount"]
    minor, too_fine = minor_cells(amounts, pd.Series(["CNY"] * len(cells)))
    assert list(minor[:6]) == [123456, -123400, -500, 123456, 700, 12340000]
    assert minor[6:].isna().all()
    assert too_fine[9] == "not an amount: more decimals than CNY has (2); never rounded"
    assert set(too_fine[:9]) == {""}
    yen, p = minor_cells(S(D("1.5"), D("15"), D("1"), D("1")), S("JPY", "JPY", "XYZ", "人民币"))
    assert list(p) == ["not an amount: more decimals than JPY has (0); never rounded", "", "", ""]
    assert pd.isna(yen[0]) and yen[1] == 15 and yen[2] == 100  # XYZ: a key, 2 decimals
    assert pd.isna(yen[3])  # 人民币 is no currency key: reported on the currency column


def test_currency_integer_and_flag_cells():
    vals, problems = currency_cells(S("cny", "JPY", "RMB", "人民币", "¥", ""))
    assert list(vals) == ["CNY", "JPY", "RMB", "人民币", "¥", ""]
    bad = "not a currency key (such as CNY)"
    assert list(problems) == ["", "", "", bad, bad, "missing currency"]
    _, p = currency_cells(S("XAU"), table={"XAU": 2})
    assert p[0] == ""
    vals, problems = integer_cells(S("3", 2.0, "", "x", "-1"))
    assert list(vals) == [3, 2, 0, 0, -1] and problems[3] == "not a whole number"
    vals, problems = flag_cells(S("X", "", "是", "否", "maybe"))
    assert list(vals) == [True, False, True, False, False]
    assert problems[4] == "not a yes/no flag (use X or blank)"


# ------------------------------------------------------------------ properties
def _scalar_date(v: object) -> object:
    try:
        d = parse_date(v)
    except ParseError:
        return "error"
    if d is None:
        return pd.NaT
    if not pd.Timestamp.min < pd.Timestamp(d) <= pd.Timestamp.max:
        return "error"  # a frame holds datetime64[ns]: 1677-09-22 to 2262-04-11
    return pd.Timestamp(d)


date_like = st.one_of(
    st.from_regex(r"[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?", fullmatch=True),
    st.from_regex(r"[0-9]{8}", fullmatch=True),
    st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}", fullmatch=True),
    st.text(alphabet="0123456789-/.年月日 ", max_size=12),
)


@PROPS
@given(st.lists(date_like, max_size=20))
def test_date_cells_read_each_cell_as_parse_date_does(texts):
    vals, problems = date_cells(pd.Series(texts, dtype=object))
    for text, v, p in zip(texts, vals, problems):
        want = _scalar_date(text)
        if want == "error":
            assert p.startswith("not a date") and pd.isna(v), text
        else:
            assert p == "" and (v == want or (pd.isna(v) and pd.isna(want))), text


@PROPS
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[0-9]{1,20}", fullmatch=True),
            st.text(alphabet="0123456789.E+-A ", max_size=12),
            st.integers(min_value=0, max_value=10**20),
        ),
        max_size=20,
    ),
    st.sampled_from([0, 3, 10]),
)
def test_id_cells_read_each_cell_as_parse_id_does(cells, width):
    vals, problems = id_cells(pd.Series(cells, dtype=object), width=width)
    for cell, v, p in zip(cells, vals, problems):
        try:
            want = parse_id(cell)
        except ParseError:
            assert p.startswith("not an id") and v == "", cell
            continue
        if width and want.isascii() and want.isdigit():
            want = want.zfill(width)
        assert (v, p) == (want, ""), cell


@PROPS
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"-?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]{1,3})?-?", fullmatch=True),
            st.text(alphabet="0123456789,.-()¥元万 ", max_size=12),
            st.integers(min_value=-(10**12), max_value=10**12),
        ),
        max_size=20,
    ),
    st.sampled_from([None, "万元"]),
)
def test_amount_cells_read_each_cell_as_parse_amount_does(cells, unit):
    vals, problems = amount_cells(pd.Series(cells, dtype=object), unit=unit)
    for cell, v, p in zip(cells, vals, problems):
        try:
            want = parse_amount(cell, unit=unit)
        except ParseError:
            assert p.startswith("not an amount") and v is None, cell
            continue
        assert p == "" and v == want, cell
