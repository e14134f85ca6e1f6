"""Conversions from SAP formats, WHERE packing and field-group planning."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arsync.common.errors import DataError
from arsync.connectors.sap import convert as cv
from arsync.connectors.sap.read_table import lit, options, plan_groups
from arsync.sandbox._rfc_ddic import Field
from arsync.sandbox._rfc_tables import render
from arsync.sandbox._rfc_where import where_mask

CURS = st.sampled_from(["CNY", "JPY", "KWD", "USD"])
DEC = {"JPY": 0, "KWD": 3}


@given(minor=st.integers(min_value=-(10**10), max_value=10**10), cur=CURS)
def test_table_amount_text_round_trips_to_minor_units(minor, cur):
    # SAP stores CURR with 2 decimals whatever the currency: JPY 1000 is 10.00, KWD 1.234 is 12.34
    text = render([minor], Field("WRBTR", "P", 16, 2))[0]
    assert text.endswith("-") == (minor < 0)  # trailing minus
    assert cv.internal_to_minor(cv.wa_number(text, "WRBTR"), cur, DEC) == minor


@given(minor=st.integers(min_value=0, max_value=10**12), cur=CURS)
def test_bapi_external_amount_to_minor(minor, cur):
    d = DEC.get(cur, 2)
    external = (Decimal(minor).scaleb(-d)).quantize(Decimal("0.0001"))  # DEC23,4 as pyrfc gives it
    assert cv.external_to_minor(external, cur, DEC) == minor


def test_overflowing_table_amount_is_a_clear_error():
    text = render([123456789012], Field("WRBTR", "P", 13, 2))[0]
    assert text.startswith("*")
    with pytest.raises(DataError, match=r"WRBTR of 0090000001.*overflowed"):
        cv.wa_number(text, "WRBTR of 0090000001")


@given(d=st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)))
def test_dats_round_trip(d):
    assert cv.dats(d.strftime("%Y%m%d")) == d
    s = cv.dats_series(pd.Series([d.strftime("%Y%m%d"), "", "00000000"]), "BUDAT")
    assert s.iloc[0].date() == d and s.iloc[1:].isna().all()


def test_bad_date_names_the_field():
    with pytest.raises(DataError, match=r"BUDAT.*20261340"):
        cv.dats_series(pd.Series(["20261340"]), "BUDAT")


def test_sign_and_unknown_indicator():
    assert list(cv.sign(pd.Series(["S", "H"]), "x")) == [1, -1]
    with pytest.raises(DataError, match=r"'X'"):
        cv.sign(pd.Series(["S", "X"]), "DB_CR_IND")


def test_net_due_date_rules():
    b = pd.Series(pd.to_datetime(["2026-01-01", None, "2026-01-01", "2026-01-01", "2026-01-01"]))
    doc = pd.Series(pd.to_datetime(["2025-12-31"] * 5))
    z1, z2, z3 = (
        pd.Series([10, 0, 10, 0, 0]),
        pd.Series([30, 0, 0, 0, 0]),
        pd.Series([0, 45, 0, 30, 30]),
    )
    shkzg = pd.Series(["S", "S", "S", "H", "H"])
    rebzg = pd.Series(["", "", "", "", "V"])
    due = cv.net_due(b, doc, z1, z2, z3, shkzg, rebzg).dt.date.tolist()
    assert due == [
        date(2026, 1, 31),  # discount days 2 when no net days
        date(2025, 12, 31) + timedelta(45),  # baseline falls back to document date
        date(2026, 1, 11),  # only discount days 1
        date(2026, 1, 1),  # credit without invoice reference: baseline
        date(2026, 1, 31),
    ]  # 'V' credit memo keeps its terms


@settings(max_examples=50)
@given(
    vals=st.lists(
        st.text(alphabet="0123456789AB'", min_size=1, max_size=10), min_size=1, max_size=40
    )
)
def test_options_rows_fit_72_and_split_between_tokens(vals):
    rows = options("BUKRS = '1000'", "KUNNR IN ( " + " , ".join(lit(v) for v in vals) + " )")
    assert all(len(r["TEXT"]) <= 72 for r in rows)
    df = pd.DataFrame({"BUKRS": ["1000"] * len(vals), "KUNNR": [v.rstrip() for v in vals]})
    lay = {"BUKRS": Field("BUKRS", "C", 4), "KUNNR": Field("KUNNR", "C", 10)}
    assert where_mask([r["TEXT"] for r in rows], df, lay).all()


def test_plan_groups_keeps_key_in_every_group_and_fits():
    widths = {"K1": 4, "K2": 10, **{f"F{i}": 50 for i in range(20)}}
    groups = plan_groups(widths, ["K1", "K2"], ["K1", "K2"] + [f"F{i}" for i in range(20)], 512)
    assert len(groups) == 3
    assert all(g[:2] == ["K1", "K2"] and sum(widths[f] for f in g) <= 512 for g in groups)
    assert sorted(f for g in groups for f in g[2:]) == sorted(f"F{i}" for i in range(20))
    with pytest.raises(DataError, match=r"does not fit"):
        plan_groups({"K": 10, "WIDE": 600}, ["K"], ["K", "WIDE"], 512)
