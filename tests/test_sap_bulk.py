"""The vectorised paths (bulk BAPI conversion, WA cutting and rendering) agree with the per-value rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arsync.common.errors import DataError
from arsync.common.frames import OPEN_ITEMS
from arsync.connectors.sap import convert as cv
from arsync.connectors.sap.assemble import ItemBatches, items_frame
from arsync.connectors.sap.bapi import fetch_customer, lineitems_raw
from arsync.connectors.sap.read_table import TableReader
from arsync.sandbox._rfc_ddic import Field, layout
from arsync.sandbox._rfc_tables import read_table, render
from arsync.sandbox._rfc_tinyworld import tiny_world
from arsync.sandbox.sap import SandboxSap


@given(
    st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=30),
    st.sampled_from([(16, 2), (3, 0), (8, 3)]),
)
def test_wa_scaled_matches_wa_number(values, spec):
    f = Field("X", "P", *spec)
    texts = render(values, f)
    got = cv.wa_scaled(texts, f.decimals)
    if any("*" in t for t in texts):
        assert got is None  # overflow marks go to the per-value path and its clear error
    else:
        assert (
            got.tolist() == [int(cv.wa_number(t, "X").scaleb(f.decimals)) for t in texts] == values
        )


def test_wa_scaled_refuses_what_it_cannot_read_exactly():
    assert cv.wa_scaled(["1.234"], 2) is None  # more decimals than the field: exact path rounds
    assert cv.wa_scaled(["1,5"], 2) is None and cv.wa_scaled(["-5"], 0) is None
    assert cv.wa_scaled([" 12.5-", "", ".07"], 2).tolist() == [-1250, 0, 7]


def _item(doc: str, amount, cur: str = "CNY", **kw) -> dict:
    item = {
        "COMP_CODE": "1000",
        "CUSTOMER": "0000001000",
        "SP_GL_IND": "",
        "CLEAR_DATE": "",
        "CLR_DOC_NO": "",
        "ALLOC_NMBR": "",
        "FISC_YEAR": "2026",
        "DOC_NO": doc,
        "ITEM_NUM": "001",
        "PSTNG_DATE": "20261001",
        "DOC_DATE": "20261001",
        "CURRENCY": cur,
        "LOC_CURRCY": "CNY",
        "REF_DOC_NO": "",
        "REF_DOC_NO_LONG": "",
        "DOC_TYPE": "DR",
        "DB_CR_IND": "S",
        "AMT_DOCCUR": amount,
        "LC_AMOUNT": Decimal("1.0000"),
        "ITEM_TEXT": "设备款",
        "BLINE_DATE": "",
        "DSCT_DAYS1": Decimal("0"),
        "DSCT_DAYS2": Decimal("0"),
        "NETTERMS": Decimal("30"),
        "PMNT_BLOCK": "",
        "INV_REF": "",
        "DUNN_BLOCK": "",
        "DUNN_LEVEL": "0",
        "DOC_STATUS": "",
    }
    item.update(kw)
    return item


def test_bulk_lineitems_exact_amounts_and_clear_errors():
    dec = {"JPY": 0, "KWD": 3}
    items = [
        _item("1", Decimal("1234.5650")),
        _item("2", Decimal("1000000.0000"), "JPY"),
        _item("3", Decimal("0.0005"), "KWD"),
        _item("4", Decimal("1.23456")),
    ]  # 5 places
    raw = lineitems_raw(items, dec, "test")
    assert raw["WRBTR"].tolist() == [123457, 1000000, 1, 123]  # half up, per currency
    assert raw["ZBD3T"].tolist() == [30] * 4 and raw["SGTXT"].iloc[0] == "设备款"
    old = [{k: v for k, v in _item("5", Decimal("2.0000")).items() if k != "REF_DOC_NO_LONG"}]
    assert lineitems_raw(old, dec, "test")["XBLNR_LONG"].tolist() == [""]  # older release
    with pytest.raises(DataError, match=r"WRBTR: amount -5 of document 6 \(customer 0000001000"):
        lineitems_raw([*items, _item("6", Decimal("-5.0000"))], dec, "test")
    # a key TCURX does not list has 2 decimals (issue 8.3); a blank one names its document
    assert lineitems_raw([_item("7", Decimal("1.0000"), "RMB")], {}, "test")["WRBTR"][0] == 100
    with pytest.raises(
        DataError, match=r"WRBTR: currency of document 8 \(customer 0000001000 in company code"
    ):
        lineitems_raw([_item("8", Decimal("1.0000"), "")], {}, "test")
    with pytest.raises(DataError, match="lacks DOC_NO"):
        lineitems_raw([{k: v for k, v in items[0].items() if k != "DOC_NO"}], dec, "test")


def test_read_table_rows_equal_the_per_value_rendering_and_cut_back():
    system = SandboxSap(tiny_world(extra=5))
    bsid = system.tables["BSID"]
    fields = ["BELNR", "SGTXT", "WRBTR", "ZBD3T", "BUDAT", "BUZEI", "XBLNR", "ZLSPR"]
    idx = np.arange(len(bsid))
    for delim in ("", "|"):
        want = [
            delim.join(t).rstrip()
            for t in zip(*[render(np.asarray(bsid[f])[idx], layout("BSID")[f]) for f in fields])
        ]
        assert [d["WA"] for d in read_table(bsid, "BSID", idx, fields, delim)] == want
    conn = system.connect(user="u")
    df = TableReader().read(
        type("C", (), {"call": lambda self, f, w="", **p: conn.call(f, **p)})(),
        "BSID",
        fields,
        [],
        ["BELNR", "BUZEI"],
    )
    got = df.set_index("BELNR").loc[bsid["BELNR"][0]]
    assert got["SGTXT"] == bsid["SGTXT"][0] and got["BUDAT"] == bsid["BUDAT"][0]


def test_a_release_without_a_field_fails_naming_the_call():
    class Client:
        def call(self, func, where="", **params):
            return {
                "RETURN": {"TYPE": "", "CODE": ""},
                "LINEITEMS": [{k: v for k, v in _item("1", Decimal(1)).items() if k != "DOC_NO"}],
            }

    with pytest.raises(
        DataError,
        match="GETOPENITEMS customer 0000001000 in company code 1000: LINEITEMS lacks DOC_NO",
    ):
        fetch_customer(Client(), "1000", "0000001000", date(2026, 11, 23), date(2026, 10, 1), False)


def test_item_batches_keep_repeated_text_once_and_equal_one_frame():
    def fresh(v):  # pyrfc gives a new str for every field of every row
        return v.encode().decode() if isinstance(v, str) else v

    rows = [
        {
            k: fresh(v)
            for k, v in _item(f"{90000000 + (n * 7919) % 1000}", Decimal("1.0000")).items()
        }
        for n in range(1000)
    ]
    whole = items_frame(lineitems_raw(rows, {}, "t"), OPEN_ITEMS, noted=False, where="t")
    b = ItemBatches(OPEN_ITEMS, noted=False, where="t")
    for i in range(0, len(rows), 64):
        b.add(lineitems_raw(rows[i : i + 64], {}, "t"))
    got = b.frame()
    pd.testing.assert_frame_equal(got, whole, check_exact=True)
    assert got["document_no"].is_monotonic_increasing
    # repeated text is one object for all batches; the document numbers stay their own
    assert len({id(v) for v in got["currency"]}) == 1
    assert len({id(v) for v in got["customer"]}) == 1
    assert len({id(v) for v in got["text"]}) == 1
    assert len({id(v) for v in got["document_no"]}) == 1000
    assert len(ItemBatches(OPEN_ITEMS, noted=False, where="t").frame()) == 0
