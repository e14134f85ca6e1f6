"""End to end: pull() over the sandbox SAP with both strategies, failures and their classes."""

from __future__ import annotations

import importlib
import logging
from datetime import date

import pandas as pd
import pytest

from arsync.common.errors import (
    AuthorizationError,
    ConfigError,
    DataError,
    LogonError,
    TransientError,
)
from arsync.config.settings import load_settings
from arsync.connectors.sap import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, pull
from arsync.connectors.sap.pull import SapPull
from arsync.sandbox._rfc_tinyworld import tiny_world
from arsync.sandbox.sap import SandboxSap

KEY = date(2026, 11, 10)
pull_module = importlib.import_module(
    "arsync.connectors.sap.pull"
)  # the package's pull is the function


def settings(**overrides):
    return load_settings(environ={}, overrides=overrides)


@pytest.fixture(scope="module")
def tiny():
    return tiny_world(extra=25)


def both(world, st, **kw):
    out = {}
    for strategy in ("bapi", "table"):
        out[strategy] = pull(
            st, key_date=KEY, strategy=strategy, rfc=SandboxSap(world, seed=3), **kw
        )
    return out["bapi"], out["table"]


def assert_same(a, b):
    for name in ("open_items", "cleared_items", "customers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_strategies_identical_on_tiny_world_and_the_expected_values(tiny):
    a, b = both(tiny, settings(), chunk=7)
    assert_same(a, b)
    assert b.stats["calls"] == {"RFC_READ_TABLE": b.stats["rfc_calls"]}
    assert (
        a.stats["calls"]["BAPI_AR_ACC_GETOPENITEMS"]
        == a.stats["calls"]["BAPI_AR_ACC_GETBALANCEDITEMS"]
    )
    (
        OPEN_ITEMS.validate(a.open_items),
        CLEARED_ITEMS.validate(a.cleared_items),
        CUSTOMERS.validate(a.customers),
    )
    o = a.open_items.set_index("document_no")
    assert o.loc["0090000005", ["amount", "currency"]].tolist() == [1000000, "JPY"]  # external yen
    assert o.loc["0090000005", "due_date"].date() == date(2026, 10, 5) + pd.Timedelta(days=30)
    assert (
        o.loc["1400000002", "amount"] == -3000000
        and o.loc["1400000002", "invoice_ref"] == "0090000003"
    )
    assert (
        o.loc["0190000001", "due_date"] == o.loc["0190000001", "baseline_date"]
    )  # credit, no REBZG
    assert (
        o.loc["0090000006", "reference"] == "26442000000000999999"
    )  # cleared after key date: open
    assert o.loc["0090000001", "reference"] == "12345678"
    assert o.loc["1400000004", "special_gl"] == "A"
    assert "0090000004" not in o.index  # noted item left out by default
    assert "0090000007" not in o.index  # posted after the key date
    c = a.cleared_items.set_index("document_no")
    assert c.loc["0090000002", ["reference", "clearing_doc"]].tolist() == [
        "26442000000000123456",
        "1400000001",
    ]
    cu = a.customers.set_index("customer")
    assert cu.loc[
        "0000001001", ["segment", "collector", "credit_blocked", "credit_exposure"]
    ].tolist() == ["hospital", "C2", True, 8800100]
    assert (cu["portals"] == "").all()  # not SAP's to say: the pipeline fills it from the portals


def test_noted_items_on_request_and_collector_mapping(tiny):
    st = settings(**{"sap.noted_items": True, "sap.collectors": {"C2": "王丽"}})
    a, b = both(tiny, st)
    assert_same(a, b)
    assert "0090000004" in set(a.open_items["document_no"])
    assert a.customers.set_index("customer").loc["0000001001", "collector"] == "王丽"


def test_strategies_identical_on_small_world(monkeypatch):
    world_mod = pytest.importorskip("arsync.sandbox.world")
    world = world_mod.World(size="small")
    a, b = both(world, settings())
    assert_same(a, b)
    assert len(a.open_items) > 500 and len(a.customers) > 20
    assert a.stats["rfc_calls"] > 2 * b.stats["rfc_calls"]
    # BAPI rows become canonical rows in batches as customers come: many small batches give
    # the same frames, in the same order, as one
    monkeypatch.setattr(pull_module, "BATCH_ROWS", 37)
    c = pull(settings(), key_date=KEY, strategy="bapi", rfc=SandboxSap(world, seed=3))
    assert_same(c, b)


def test_communication_errors_are_retried_and_counted(tiny, caplog):
    system = SandboxSap(tiny, comm_error_rate=0.2, seed=11)
    waits: list[float] = []
    with caplog.at_level(logging.WARNING, logger="arsync.retry"):
        p = pull(
            settings(**{"sap.parallel": 1}),
            key_date=KEY,
            strategy="bapi",
            rfc=system,
            sleep=waits.append,
        )
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert system.injected_errors > 3
    assert (
        len(retries)
        == len(waits)
        == system.injected_errors
        == sum(p.stats["failed_calls"].values())
    )
    ref = pull(settings(), key_date=KEY, strategy="bapi", rfc=SandboxSap(tiny))
    assert_same(p, ref)


def test_retries_give_up_after_the_configured_attempts(tiny):
    system = SandboxSap(tiny, comm_errors_first=100)
    waits: list[float] = []
    with pytest.raises(TransientError, match=r"RFC_READ_TABLE.*CommunicationError"):
        pull(settings(**{"sap.retry.attempts": 3}), key_date=KEY, rfc=system, sleep=waits.append)
    assert system.injected_errors == 3 and len(waits) == 2


def test_logon_error_is_not_retried(tiny):
    system = SandboxSap(tiny, logon_error=True)
    waits: list[float] = []
    with pytest.raises(LogonError, match=r"RFC_LOGON_FAILURE.*not retried"):
        pull(settings(), key_date=KEY, rfc=system, sleep=waits.append)
    assert system.logons == 1 and waits == [] and sum(system.calls.values()) == 0


def test_data_buffer_exceeded_is_handled_by_narrower_field_groups(tiny, caplog):
    narrow = SandboxSap(tiny, buffer_limit=120)
    with caplog.at_level(logging.WARNING, logger="arsync.sap"):
        p = pull(settings(), key_date=KEY, strategy="table", rfc=narrow)
    assert any("DATA_BUFFER_EXCEEDED" in r.getMessage() for r in caplog.records)
    ref = pull(settings(), key_date=KEY, strategy="table", rfc=SandboxSap(tiny))
    # ADR6-SMTP_ADDR (241 characters) cannot fit a 120-character row: contacts are left out,
    # with a warning, the AR data is whole
    assert any("(KNVK, ADR6) could not be read" in r.getMessage() for r in caplog.records)
    p = SapPull(
        p.open_items,
        p.cleared_items,
        p.customers.drop(columns=["contact_person", "phone", "email"]),
    )
    ref = SapPull(
        ref.open_items,
        ref.cleared_items,
        ref.customers.drop(columns=["contact_person", "phone", "email"]),
    )
    assert_same(p, ref)


def test_bapi_strategy_without_rfc_read_table(tiny, caplog):
    system = SandboxSap(tiny, forbidden=("RFC_READ_TABLE",))
    st = settings(**{"sap.customers": ["1000", "1002"], "sap.company_codes": ["1000", "3000"]})
    with caplog.at_level(logging.WARNING, logger="arsync.sap"):
        p = pull(st, key_date=KEY, strategy="bapi", rfc=system)
    assert set(p.open_items["customer"]) == {"0000001000", "0000001002"}
    assert set(p.open_items["company_code"]) == {"1000", "3000"}
    assert p.customers["name"].tolist() == ["", ""]  # master data unreadable: left empty, logged
    assert any("KNA1 could not be read" in r.getMessage() for r in caplog.records)
    with pytest.raises(AuthorizationError, match=r"RFC_READ_TABLE.*RFC_NO_AUTHORITY"):
        pull(st, key_date=KEY, strategy="table", rfc=system)


def test_bapi_error_names_function_customer_and_message(tiny):
    st = settings(**{"sap.customers": ["9999999"], "sap.company_codes": ["1000"]})
    system = SandboxSap(tiny, forbidden=("RFC_READ_TABLE",))
    with pytest.raises(
        DataError,
        match=r"BAPI_AR_ACC_GETOPENITEMS \(customer 0009999999 in company "
        r"code 1000\): FN502 Customer 0009999999 does not exist",
    ):
        pull(st, key_date=KEY, strategy="bapi", rfc=system)


def test_characters_outside_the_bmp_take_two_positions_in_wa(tiny):
    """Issue 8.1: ABAP counts 𠮷 as two positions of WA; cutting by Python characters shifted
    every later field (a blank segment, a wrong city, ZBD2T 'not a number')."""
    system = SandboxSap(tiny)
    with system.connect(user="u") as conn:
        r = conn.call(
            "RFC_READ_TABLE",
            QUERY_TABLE="KNA1",
            FIELDS=[{"FIELDNAME": f} for f in ("KUNNR", "NAME1", "ORT01")],
            OPTIONS=[{"TEXT": "KUNNR = '0000001004'"}],
        )
    (wa,) = [d["WA"] for d in r["DATA"]]
    assert wa == "0000001004𠮷城县中医院" + " " * 28 + "𠮷城"  # 35 UTF-16 units for NAME1
    a, b = both(tiny, settings())
    assert_same(a, b)
    cu = b.customers.set_index("customer").loc["0000001004"]
    assert cu[["name", "segment", "city", "tax_id"]].tolist() == [
        "𠮷城县中医院 财务处",
        "hospital",
        "𠮷城",
        "12441200MB2C45678Y",
    ]
    it = b.open_items.set_index("document_no").loc["0090000008"]
    assert it["text"] == "𠮷城县中医院 CT设备 𩸽" and it["assignment"] == "𠮷HT-2026-08"
    assert it["due_date"].date() == date(2026, 10, 12) + pd.Timedelta(days=45)
    assert it["reference"] == "44556677" and it["amount"] == 4560000


def test_a_release_without_the_long_reference_falls_back_to_xblnr(tiny, caplog):
    """Issue 8.2: BKPF without XBLNR_ALT failed the table strategy with FIELD_NOT_VALID."""
    old = ("BKPF-XBLNR_ALT", "BAPI3007_2-REF_DOC_NO_LONG")
    out = {}
    for strategy in ("bapi", "table"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="arsync.sap"):
            out[strategy] = pull(
                settings(),
                key_date=KEY,
                strategy=strategy,
                rfc=SandboxSap(tiny, missing_fields=old),
            )
        said = [r for r in caplog.records if "long reference is not read" in r.getMessage()]
        assert len(said) == 1, strategy  # once per pull, not per company code or customer
    assert_same(out["bapi"], out["table"])
    o = out["table"].open_items.set_index("document_no")
    assert o.loc["0090000006", "reference"] == "00999999"  # XBLNR: the last 8 digits
    c = out["table"].cleared_items.set_index("document_no")
    assert c.loc["0090000002", "reference"] == "00123456"


def _with_rmb_company_code(world):
    """A company code kept in RMB beside CNY: TCURX has no row for RMB (2 decimals)."""
    from dataclasses import replace

    cc = pd.concat(
        [
            pd.DataFrame({"BUKRS": ["0900"], "BUTXT": ["上海(RMB)"], "WAERS": ["RMB"]}).assign(
                KKBER="1000"
            ),
            world.company_codes,
        ],
        ignore_index=True,
    )
    knb1 = pd.concat(
        [world.knb1, world.knb1[world.knb1["KUNNR"] == "0000001000"].assign(BUKRS="0900")],
        ignore_index=True,
    )
    led = world.full_ledger
    item = led[led["BELNR"] == "0090000001"].assign(
        BUKRS="0900", BELNR="0090000901", WAERS="RMB", HWAER="RMB", WRBTR=1234599, DMBTR=1234599
    )
    return replace(
        world, company_codes=cc, knb1=knb1, full_ledger=pd.concat([led, item], ignore_index=True)
    )


def test_a_currency_missing_from_tcurx_has_two_decimals(tiny):
    """Issue 8.3: RMB failed `sap pull` with "unknown currency 'RMB'" and no context."""
    world = _with_rmb_company_code(tiny)
    assert "RMB" not in world.currency_decimals
    a, b = both(world, settings(**{"sap.company_codes": ["0900", "1000"]}))
    assert_same(a, b)
    o = b.open_items.set_index("document_no").loc["0090000901"]
    assert o[["amount", "currency", "local_amount", "local_currency"]].tolist() == [
        1234599,
        "RMB",
        1234599,
        "RMB",
    ]
    cu = b.customers.set_index("customer").loc["0000001000"]  # credit area 1000 → 0900's RMB
    assert cu[["credit_limit", "credit_exposure", "credit_currency"]].tolist() == [
        500000000,
        1734567,
        "RMB",
    ]


def test_a_currency_key_that_is_none_names_table_field_and_key():
    from arsync.common.money import decimals, format_major

    assert format_major(1234599, "RMB") == "12345.99" and decimals("JPY") == 0
    assert decimals("JPY", {"JPY": 2}) == 2  # TCURX wins over ISO
    with pytest.raises(DataError, match=r"^BSID-WAERS of document 1: '人民币' is not a currency"):
        decimals("人民币", {}, "BSID-WAERS of document 1")


@pytest.mark.parametrize("strategy", ["bapi", "table"])
def test_an_unknown_company_code_is_an_error_naming_those_that_exist(tiny, strategy):
    """Issue 8.4: --company-code 9999 returned zero rows in silence."""
    with pytest.raises(
        ConfigError, match=r"company code\(s\) 9999 not in SAP \(T001 has 1000, 2000, 3000\)"
    ):
        pull(
            settings(),
            key_date=KEY,
            strategy=strategy,
            company_codes=["1000", "9999"],
            rfc=SandboxSap(tiny),
        )


CONTACTS = ["contact_person", "phone", "email"]


def test_contact_person_phone_and_email_from_knvk_kna1_and_adr6(tiny):
    a, b = both(tiny, settings())
    assert_same(a, b)
    cu = b.customers.set_index("customer")[CONTACTS]
    assert cu.loc["0000001000"].tolist() == ["李强", "13900001111", "cwc@czj.sh.example"]
    assert cu.loc["0000001001"].tolist() == ["", "021-64041990", "cwc@zs-hospital.sh.example"]
    assert cu.loc["0000001002"].tolist() == ["Hanako Suzuki", "+81-3-1234-5678", ""]
    assert cu.loc["0000001003"].tolist() == ["", "", ""]
    assert cu.loc["0000001004"].tolist() == ["𠮷祥", "13800138000", "caiwu@jcx.example"]
    # the finance department first: its person, own extension and own e-mail
    a, b = both(tiny, settings(**{"sap.contact_departments": ["0003"]}))
    assert_same(a, b)
    assert b.customers.set_index("customer").loc["0000001000", CONTACTS].tolist() == [
        "王丽",
        "021-63201234-808",
        "wangli@czj.sh.example",
    ]


def test_contacts_without_prsnr_or_adr6_authorization(tiny, caplog):
    st = settings(**{"sap.contact_departments": ["0003"]})
    old = pull(
        st, key_date=KEY, strategy="table", rfc=SandboxSap(tiny, missing_fields=("KNVK-PRSNR",))
    )
    assert old.customers.set_index("customer").loc["0000001000", CONTACTS].tolist() == [
        "王丽",
        "021-63201234-808",
        "cwc@czj.sh.example",  # no person number: the customer's address
    ]
    for strategy in ("bapi", "table"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="arsync.sap"):
            p = pull(
                st,
                key_date=KEY,
                strategy=strategy,
                rfc=SandboxSap(tiny, forbidden_tables=("ADR6",)),
            )
        assert any("(KNVK, ADR6) could not be read" in r.getMessage() for r in caplog.records)
        c = p.customers.set_index("customer")
        assert c.loc["0000001001", CONTACTS].tolist() == ["", "021-64041990", ""]  # KNA1 still
        assert (c["email"] == "").all() and (c["contact_person"] == "").all()


def test_small_world_contacts_agree_with_its_frames():
    from arsync.sandbox.world import World
    from arsync.sandbox.world_frames import world_frames

    world = World(size="small")
    a, b = both(world, settings())
    assert_same(a, b)
    want = world_frames(world)["customers"].set_index("customer")[CONTACTS]
    got = b.customers.set_index("customer")[CONTACTS]
    pd.testing.assert_frame_equal(got, want.loc[got.index])
    assert (got["contact_person"] != "").mean() > 0.8 and (got["email"] != "").mean() > 0.5
