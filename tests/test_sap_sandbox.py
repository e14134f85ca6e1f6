"""The sandbox SAP speaks pyrfc: parameter names, types, structures, errors and quirks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arsync.sandbox import pyrfc_errors as E
from arsync.sandbox._rfc_tinyworld import tiny_world
from arsync.sandbox.sap import SandboxSap

C = ["0000001000", "0000001001", "0000001002"]


@pytest.fixture(scope="module")
def system():
    return SandboxSap(tiny_world())


@pytest.fixture
def conn(system):
    with system.connect(user="RFC_AR", passwd="pw", client="100") as c:
        yield c


def test_exception_attributes_and_str_format(conn):
    with pytest.raises(E.ABAPApplicationError) as ei:
        conn.call("RFC_READ_TABLE", QUERY_TABLE="T008X")
    e = ei.value
    assert (e.code, e.key, e.msg_class, e.msg_type, e.msg_number, e.msg_v1) == (
        5,
        "TABLE_NOT_AVAILABLE",
        "SV",
        "E",
        "029",
        "T008X",
    )
    assert str(e) == (
        "5 (rc=5): key=TABLE_NOT_AVAILABLE, message=ID:SV Type:E Number:029 T008X "
        "[MSG: class=SV, type=E, number=029, v1-4:=T008X;;;]"
    )


def test_types_and_unknown_parameters(conn, system):
    with pytest.raises(TypeError) as ei:
        conn.call("BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE=1000, CUSTOMER=C[0], KEYDATE="20261123")
    assert "COMPANYCODE" in ei.value.args
    with pytest.raises(E.ExternalRuntimeError) as ei:
        conn.call("BAPI_AR_ACC_GETOPENITEMS", COMPANY="1000")
    assert (ei.value.code, ei.value.key, ei.value.message) == (
        20,
        "RFC_INVALID_PARAMETER",
        "field 'COMPANY' not found",
    )
    with pytest.raises(E.ABAPApplicationError, match="FU_NOT_FOUND"):
        conn.call("BAPI_AR_ACC_GETCLEAREDITEMS")
    with pytest.raises(E.RFCError, match="must be a string"):
        system.connect(user="u", sysnr=0)
    with pytest.raises(E.RFCError, match="parameters missing"):
        system.connect()


def test_open_items_bapi_formats(conn):
    r = conn.call(
        "BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="3000", CUSTOMER=C[2], KEYDATE=date(2026, 11, 23)
    )
    assert r["RETURN"]["TYPE"] == ""
    (item,) = r["LINEITEMS"]
    assert item["AMT_DOCCUR"] == Decimal("1000000.0000")  # JPY in external format, not 10000.00
    assert item["CLEAR_DATE"] == "" and item["PSTNG_DATE"] == "20261005"  # DATS, '' when initial
    assert item["ITEM_NUM"] == "001" and item["INV_YEAR"] == "0000"  # NUMC keeps zeros
    assert item["DSCT_DAYS2"] == Decimal("30")


def test_return_messages(conn):
    r = conn.call(
        "BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER="1000", KEYDATE="20261123"
    )
    assert (r["RETURN"]["TYPE"], r["RETURN"]["CODE"]) == ("E", "FN502")  # no ALPHA conversion
    r = conn.call("BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER=C[0], KEYDATE="20200101")
    assert (r["RETURN"]["TYPE"], r["RETURN"]["CODE"], r["LINEITEMS"]) == ("I", "FN517", [])


def test_open_at_key_date_includes_items_cleared_later(conn):
    r = conn.call("BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER=C[2], KEYDATE="20261110")
    docs = {i["DOC_NO"]: i for i in r["LINEITEMS"]}
    assert docs["0090000006"]["CLEAR_DATE"] == "20261120"  # open on the key date, cleared after
    noted = conn.call(
        "BAPI_AR_ACC_GETOPENITEMS",
        COMPANYCODE="1000",
        CUSTOMER=C[1],
        KEYDATE="20261123",
        NOTEDITEMS="X",
    )
    plain = conn.call(
        "BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER=C[1], KEYDATE="20261123"
    )
    assert len(noted["LINEITEMS"]) == len(plain["LINEITEMS"]) + 1


def _rows(conn, options, fields=("BELNR", "WRBTR", "SHKZG")):
    r = conn.call(
        "RFC_READ_TABLE",
        QUERY_TABLE="BSID",
        FIELDS=[{"FIELDNAME": f} for f in fields],
        OPTIONS=[{"TEXT": t} for t in options],
    )
    return r


def test_read_table_where_subset_and_wa_layout(conn):
    r = _rows(
        conn,
        [
            "BUKRS = '1000' AND ( KUNNR IN ( '0000001000' ,",
            "'0000001001' ) OR",
            "WRBTR BETWEEN 1000.00 AND 2000.00 ) AND SHKZG <> 'X'",
        ],
    )
    f = {x["FIELDNAME"]: x for x in r["FIELDS"]}
    assert (f["WRBTR"]["OFFSET"], f["WRBTR"]["LENGTH"], f["WRBTR"]["TYPE"]) == (
        "000010",
        "000013",
        "P",
    )
    was = sorted(d["WA"] for d in r["DATA"])
    assert "0190000001     1200.00 H" in was  # credit memo 1200.00 (via BETWEEN), sign slot blank
    assert "1400000002    30000.00 H" in was  # the payment of customer 1001 (via IN)
    assert all(len(w) == 24 for w in was)


def test_read_table_errors(conn, system):
    with pytest.raises(E.ABAPApplicationError, match="DATA_BUFFER_EXCEEDED"):
        conn.call("RFC_READ_TABLE", QUERY_TABLE="BSID")  # SELECT * is wider than 512
    assert conn.call("RFC_READ_TABLE", QUERY_TABLE="BSID", NO_DATA="X")["DATA"] == []
    with pytest.raises(E.ABAPApplicationError, match="OPTION_NOT_VALID"):
        _rows(conn, ["BUKRS = '10", "00'"])  # a literal may not straddle two rows
    with pytest.raises(E.ABAPApplicationError, match="OPTION_NOT_VALID"):
        _rows(
            conn, ["BUKRS = '1000' AND KUNNR IN ( '0000001000' , '0000001001' , '0000001002' ) X"]
        )
    with pytest.raises(E.ABAPApplicationError, match="FIELD_NOT_VALID"):
        _rows(conn, [], fields=("NOPE",))
    with pytest.raises(TypeError):
        conn.call("RFC_READ_TABLE", QUERY_TABLE="BSID", ROWCOUNT="10")


def test_knobs_latency_errors_logon(system):
    slept = []
    s = SandboxSap(tiny_world(), latency=0.02, sleep=slept.append, comm_errors_first=1)
    c = s.connect(user="u")
    with pytest.raises(E.CommunicationError) as ei:
        c.ping()
    assert ei.value.code == 1 and c.alive  # pyrfc reopens before it raises
    c.ping()
    assert slept == [0.02, 0.02] and s.calls["RFC_PING"] == 2 and s.injected_errors == 1
    s.logon_error = True
    with pytest.raises(E.LogonError) as ei:
        s.connect(user="u", passwd="bad")
    assert (ei.value.code, ei.value.key) == (2, "RFC_LOGON_FAILURE")
    c.close()
    with pytest.raises(E.RFCError, match="connection is closed"):
        c.ping()
    assert c.get_connection_attributes()["sysId"] == "SBX"
