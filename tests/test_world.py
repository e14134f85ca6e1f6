"""The sandbox world keeps its contract (sandbox/WORLD.md): determinism, time, ledger, truth, noise."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from arsync.common.frames import PROGRESS_RANK
from arsync.sandbox._calendar import holidays
from arsync.sandbox._names import uscc_valid
from arsync.sandbox.world import World

D = date(2026, 11, 23)
KEY = ["BUKRS", "GJAHR", "BELNR", "BUZEI"]

LEDGER_COLS = [
    "BUKRS",
    "KUNNR",
    "UMSKS",
    "UMSKZ",
    "AUGDT",
    "AUGBL",
    "ZUONR",
    "GJAHR",
    "BELNR",
    "BUZEI",
    "BUDAT",
    "BLDAT",
    "CPUDT",
    "WAERS",
    "HWAER",
    "XBLNR",
    "XBLNR_LONG",
    "BLART",
    "MONAT",
    "BSCHL",
    "SHKZG",
    "GSBER",
    "MWSKZ",
    "DMBTR",
    "WRBTR",
    "SGTXT",
    "ZFBDT",
    "ZTERM",
    "ZBD1T",
    "ZBD2T",
    "ZBD3T",
    "ZLSPR",
    "REBZG",
    "REBZJ",
    "REBZZ",
    "MANSP",
    "MANST",
    "MADAT",
    "BSTAT",
    "HKONT",
    "VBELN",
]
RECORD_COLS = [
    "portal",
    "account",
    "record_id",
    "buyer",
    "customer",
    "invoice_no",
    "order_no",
    "contract_no",
    "amount",
    "paid_amount",
    "currency",
    "status",
    "status_date",
    "submitted_on",
    "accepted_on",
    "review_on",
    "approved_on",
    "paying_on",
    "paid_on",
    "expected_pay_date",
    "payment_ref",
    "reason",
    "invoices",
]
TRUTH_COLS = [
    "company_code",
    "fiscal_year",
    "document_no",
    "line_item",
    "finding",
    "portal",
    "record_id",
    "status",
    "paid_on_portal",
    "paid_date",
]


@pytest.fixture(scope="module")
def world() -> World:
    return World(size="small", as_of=D)


def _fresh(**kw) -> World:
    World.clear_cache()  # a real regeneration, not the cached facts
    return World(**kw)


def test_columns_and_dtypes_follow_the_contract(world):
    assert list(world.ledger.columns) == LEDGER_COLS
    assert list(world.portal_records.columns) == RECORD_COLS
    assert list(world.truth.columns) == TRUTH_COLS
    led = world.ledger
    for c in ("DMBTR", "WRBTR", "ZBD3T"):
        assert led[c].dtype == np.int64
    for c in ("AUGDT", "BUDAT", "ZFBDT", "MADAT"):
        assert str(led[c].dtype) == "datetime64[ns]"
    assert (
        led["BELNR"].str.fullmatch(r"\d{10}").all() and led["GJAHR"].str.fullmatch(r"\d{4}").all()
    )
    assert led["BUZEI"].str.fullmatch(r"\d{3}").all() and led["KUNNR"].str.len().eq(10).all()
    assert led["XBLNR"].str.len().max() <= 16 and led["XBLNR_LONG"].str.len().max() <= 35
    rec = world.portal_records
    assert rec["amount"].dtype == np.int64 and rec["paid_amount"].dtype == np.int64
    assert set(rec["status"]) <= set(PROGRESS_RANK) | {"REJECTED", "CANCELLED"}


def test_master_data(world):
    k = world.kna1
    assert len(k) == 50 and k["KUNNR"].is_unique
    assert k["STCEG"].map(uscc_valid).all()
    assert set(k["BRSCH"]) == {"GOVT", "HOSP", "ACAD", "COMM"}
    assert (k["NAME1"] + k["NAME2"]).is_unique
    assert k["NAME1"].str.contains("院|大学|局|厅|委员会|公司|中心|研究所|馆").all()
    assert set(world.knb1["BUKRS"]) == {"1000", "2000", "3000"}
    assert world.knb1["BUSAB"].str.fullmatch(r"C\w").all()
    assert world.company_codes.set_index("BUKRS")["WAERS"].to_dict() == {
        "1000": "CNY",
        "2000": "CNY",
        "3000": "JPY",
    }
    kk = world.knkk
    assert kk["KLIMK"].dtype == np.int64 and kk["SKFOR"].dtype == np.int64
    assert set(kk["CRBLB"]) == {"", "X"}
    assert len(world.portal_accounts) == 6 and set(world.portals["family"]) == {
        "government",
        "hospital",
        "university",
    }


def test_small_size_is_as_specified(world):
    open_items = world.ledger["AUGDT"].isna().sum()
    assert 1500 <= open_items <= 2600


def test_same_seed_same_world_and_other_seed_differs():
    a = _fresh(seed=7, size="tiny", as_of=D)
    b = _fresh(seed=7, size="tiny", as_of=D)
    for name in ("kna1", "ledger", "portal_records", "truth", "knkk"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = _fresh(seed=8, size="tiny", as_of=D)
    assert not a.kna1["NAME1"].equals(c.kna1["NAME1"])
    assert not a.ledger["DMBTR"].equals(c.ledger["DMBTR"])


def test_at_equals_a_world_built_on_that_date():
    later = _fresh(seed=3, size="tiny", as_of=D + timedelta(days=70))
    earlier = later.at(D)
    direct = _fresh(seed=3, size="tiny", as_of=D)
    for name in ("ledger", "portal_records", "truth", "knkk"):
        pd.testing.assert_frame_equal(getattr(earlier, name), getattr(direct, name))


def test_a_week_later_items_move_on_and_nothing_moves_back(world):
    later = world.at(D + timedelta(days=7))
    a, b = world.ledger, later.ledger
    m = a.merge(b, on=KEY, how="left", suffixes=("", "_2"), indicator=True)
    assert (m["_merge"] == "both").all()
    was = m["AUGDT"].notna()
    assert m.loc[was, "AUGDT_2"].eq(m.loc[was, "AUGDT"]).all()
    assert m.loc[was, "AUGBL_2"].eq(m.loc[was, "AUGBL"]).all()
    assert (m["AUGDT"].isna() & m["AUGDT_2"].notna()).sum() > 0
    assert len(b) > len(a)
    r = world.portal_records.merge(
        later.portal_records, on=["portal", "account", "record_id"], suffixes=("", "_2"), how="left"
    )
    assert r["status_2"].notna().all()

    def rank(s):
        return s.map(PROGRESS_RANK).fillna(99)

    moved = r["status"] != r["status_2"]
    assert moved.sum() > 0
    side = r["status_2"].isin(["REJECTED", "CANCELLED"])
    assert (rank(r["status_2"]) >= rank(r["status"]))[~side].all()
    final = r[r["status"].isin(["REJECTED", "CANCELLED"])]
    assert len(final) and (final["status_2"] == final["status"]).all()
    assert (later.portal_records["submitted_on"] <= pd.Timestamp(D + timedelta(days=7))).all()


def test_ledger_is_consistent_like_sap(world):
    led = world.ledger
    assert not led.duplicated(KEY).any()
    assert (led["BUDAT"] <= pd.Timestamp(D)).all()
    prefix = {"RV": "009", "DZ": "0014", "DG": "0016", "DR": "0018"}
    for blart, p in prefix.items():
        assert led.loc[led["BLART"] == blart, "BELNR"].str.startswith(p).all(), blart
    cleared = led[led["AUGBL"] != ""]
    signed = np.where(cleared["SHKZG"] == "S", 1, -1) * cleared["WRBTR"]
    sums = signed.groupby([cleared["BUKRS"], cleared["AUGBL"], cleared["WAERS"]]).sum()
    assert len(sums) > 100 and (sums == 0).all()
    dz = set(zip(led.loc[led["BLART"] == "DZ", "BUKRS"], led.loc[led["BLART"] == "DZ", "BELNR"]))
    inv = cleared[cleared["BLART"].isin(["RV", "DR"])]
    assert len(inv) and all(k in dz for k in zip(inv["BUKRS"], inv["AUGBL"]))
    assert (cleared["AUGDT"] >= cleared["BUDAT"]).all()
    docs = led.set_index(["BUKRS", "GJAHR", "BELNR"])
    # residual items: open S line of a DZ, REBZG = the (cleared) original invoice
    res = led[(led["BLART"] == "DZ") & (led["SHKZG"] == "S")]
    assert len(res) and (res["REBZG"] != "").all()
    orig = docs.loc[list(zip(res["BUKRS"], res["REBZJ"], res["REBZG"]))]
    assert orig["AUGDT"].notna().all() and orig["BLART"].isin(["RV", "DR"]).all()
    # partial payments: open H with REBZG to an invoice that is still open
    part = led[
        (led["BLART"] == "DZ") & (led["SHKZG"] == "H") & led["AUGDT"].isna() & (led["REBZG"] != "")
    ]
    assert (
        len(part)
        and docs.loc[list(zip(part["BUKRS"], part["REBZJ"], part["REBZG"]))]["AUGDT"].isna().all()
    )
    on_account = led[
        (led["BLART"] == "DZ") & (led["SHKZG"] == "H") & led["AUGDT"].isna() & (led["REBZG"] == "")
    ]
    assert len(on_account) > 0
    assert ((led["BLART"] == "DG") & (led["SHKZG"] == "H") & (led["BSCHL"] == "11")).sum() > 0
    assert (
        (led["BSTAT"] == "S").sum() > 0
        and (led["ZLSPR"] != "").sum() > 0
        and (led["MANSP"] != "").sum() > 0
    )
    assert (led["MANST"] != "0").sum() > 0
    long = led[led["XBLNR_LONG"] != ""]
    assert long["XBLNR_LONG"].str.fullmatch(r"\d{20}").all()
    assert (long["XBLNR"] == long["XBLNR_LONG"].str[-8:]).all()
    legacy = led[(led["BLART"].isin(["RV", "DR"])) & (led["XBLNR_LONG"] == "")]
    assert legacy["XBLNR"].str.fullmatch(r"\d{8}").all() and len(legacy)
    jpy = led[led["BUKRS"] == "3000"]
    assert len(jpy) and (jpy["WAERS"] == "JPY").all()


def test_dates_fall_on_chinese_working_days(world):
    hol = pd.to_datetime(holidays())
    rec = world.portal_records
    for col in ("submitted_on", "approved_on", "paid_on"):
        d = rec[col].dropna()
        assert not d.isin(hol).any() and (d.dt.dayofweek < 5).all(), col
    aug = world.ledger["AUGDT"].dropna()
    assert not aug.isin(hol).any() and (aug.dt.dayofweek < 5).all()


def test_payment_behaviour_by_segment_and_season(world):
    led, k = world.ledger, world.kna1.set_index("KUNNR")["BRSCH"]
    inv = led[led["BLART"].isin(["RV", "DR"]) & led["AUGDT"].notna()]
    days = (inv["AUGDT"] - inv["BLDAT"]).dt.days.groupby(inv["KUNNR"].map(k)).median()
    assert days["HOSP"] > days["GOVT"] > days["COMM"] and days["ACAD"] > days["COMM"]
    month = inv["AUGDT"].dt.to_period("M")
    assert (month == "2025-12").sum() > (month == "2026-02").sum()


def test_truth_covers_every_finding_and_every_open_item(world):
    t, led = world.truth, world.ledger
    assert set(t["finding"]) == {
        "NO_PORTAL",
        "NOT_SUBMITTED",
        "REJECTED",
        "PAID_NOT_APPLIED",
        "AMOUNT_MISMATCH",
        "IN_PROCESS",
        "UNAPPLIED_CREDIT",
        "AMBIGUOUS",
    }
    open_ = led[led["AUGDT"].isna() & (led["BSTAT"] != "S")]
    assert (
        len(t) == len(open_)
        and not t.duplicated(["company_code", "fiscal_year", "document_no", "line_item"]).any()
    )
    keyed = t.merge(
        open_, left_on=["company_code", "fiscal_year", "document_no", "line_item"], right_on=KEY
    )
    assert ((keyed["finding"] == "UNAPPLIED_CREDIT") == (keyed["SHKZG"] == "H")).all()
    rec = world.portal_records.set_index(["portal", "record_id"])
    linked = t[t["record_id"] != ""]
    shown = rec.loc[list(zip(linked["portal"], linked["record_id"]))]
    assert (shown["status"].to_numpy() == linked["status"].to_numpy()).all()
    pna = t["finding"] == "PAID_NOT_APPLIED"
    assert (t.loc[pna, "status"] == "PAID").all() and t.loc[pna, "paid_on_portal"].all()
    assert t.loc[pna, "paid_date"].notna().all()
    assert (t.loc[t["finding"] == "REJECTED", "status"] == "REJECTED").all()
    assert (shown.loc[shown["status"] == "REJECTED", "reason"] != "").all()
    no_portal = set(keyed.loc[keyed["finding"] == "NO_PORTAL", "KUNNR"])
    assert not no_portal & set(world.portal_customers["customer"])


def test_portal_records_carry_the_noise_a_matcher_must_survive(world):
    rec = world.portal_records
    assert rec.set_index(["portal", "account", "record_id"]).index.is_unique
    fam = rec["portal"].map(world.portals.set_index("portal")["family"])
    ids = {"government": r"\d{19}", "hospital": r"JS\d{12}", "university": r"YY\d{13}"}
    for f, pat in ids.items():
        assert rec.loc[fam == f, "record_id"].str.fullmatch(pat).all(), f
    no = rec["invoice_no"]
    assert no.str.startswith("No.").any() and no.str.startswith("发票号:").any()
    assert no.map(lambda s: s != unicodedata.normalize("NFKC", s)).any()
    assert no.str.contains(r"\d{4} \d{4} ").any()
    multi = rec[no.str.contains("[;、]")]
    assert len(multi) and (multi["invoices"].str.count(";") >= 1).all()
    led = world.ledger
    inv = led[led["BLART"].isin(["RV", "DR"])]
    long_tail = set(inv.loc[inv["XBLNR_LONG"] != "", "XBLNR"])
    assert no.isin(long_tail).any()  # 8 of 20 digits
    numbers = dict(
        zip(np.where(inv["XBLNR_LONG"] != "", inv["XBLNR_LONG"], inv["XBLNR"]), inv["KUNNR"])
    )
    decoys = rec[(rec["invoices"] == "") & rec["invoice_no"].isin(numbers)]
    assert len(decoys) and (decoys["customer"] != decoys["invoice_no"].map(numbers)).all()
    paid = rec[rec["status"] == "PAID"]
    assert ((paid["paid_amount"] - paid["amount"]).abs() > 1).any()  # short payments
    assert ((paid["amount"] - paid["paid_amount"]).abs() == 0).mean() > 0.8
    covered = rec.loc[rec["invoices"] != "", "invoices"].str.split(";").explode()
    keys = set(led["BUKRS"] + "/" + led["GJAHR"] + "/" + led["BELNR"] + "/" + led["BUZEI"])
    assert covered.isin(keys).all()
    buyers = world.portal_customers
    assert set(rec["customer"]) <= set(buyers["customer"]) | {""}
    full = buyers["customer"].map(world.kna1.set_index("KUNNR").eval("NAME1 + NAME2"))
    assert (buyers["buyer"] != full).any()  # portals spell some buyers differently


def _owner(world) -> pd.Series:
    """The true customer of each record: the KUNNR of the first SAP item it covers."""
    led = world.ledger
    kunnr = dict(
        zip(
            led["BUKRS"] + "/" + led["GJAHR"] + "/" + led["BELNR"] + "/" + led["BUZEI"],
            led["KUNNR"],
        )
    )
    return world.portal_records["invoices"].str.split(";").str[0].map(kunnr).fillna("")


def test_records_without_invoice_number_are_found_by_order_number(world):
    rec = world.portal_records
    fam = rec["portal"].map(world.portals.set_index("portal")["family"])
    bare = rec[rec["invoice_no"] == ""]
    assert 0.01 < len(bare) / len(rec) < 0.08
    assert (fam[bare.index] != "university").all()  # a search-only portal could not find them
    assert (bare["invoices"] != "").all() and (bare["order_no"] != "").all()
    led = world.ledger
    zuonr = dict(
        zip(
            led["BUKRS"] + "/" + led["GJAHR"] + "/" + led["BELNR"] + "/" + led["BUZEI"],
            led["ZUONR"],
        )
    )
    sap = bare["invoices"].str.split(";").str[0].map(zuonr)
    canon = bare["order_no"].str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
    assert (canon == sap).mean() > 0.5 and (canon == "HT" + sap).any()
    assert (bare["order_no"] != sap).any() and bare["order_no"].str.contains("[a-z]").any()
    assert all(c.endswith(s) for c, s in zip(canon, sap))


def test_variant_buyer_names_leave_the_customer_unmapped(world):
    rec = world.portal_records
    known = set(zip(world.portal_customers["portal"], world.portal_customers["buyer"]))
    shown = pd.Series(list(zip(rec["portal"], rec["buyer"])), index=rec.index).isin(known)
    assert ((rec["customer"] == "") == ~shown).all()
    odd = rec[~shown]
    assert 0.01 < len(odd) / len(rec) < 0.08
    real = odd[odd["invoices"] != ""]
    assert (real["invoice_no"] != "").all()  # the invoice number is the only way in
    mapped = world.portal_customers.set_index("customer")["buyer"]
    assert all(
        b.startswith(m) and b != m
        for b, m in zip(real["buyer"], _owner(world)[real.index].map(mapped))
    )
    assert (odd["invoices"] == "").any()  # a decoy with a variant name too


def test_ambiguous_splits_are_in_step_and_found_ambiguous(world):
    t = world.truth
    amb = t[t["finding"] == "AMBIGUOUS"]
    assert len(amb) >= 2 and (amb["record_id"] == "").all()
    rec = world.portal_records
    bare = rec[rec["invoice_no"] == ""].assign(owner=_owner(world))
    order = (
        bare["order_no"]
        .str.upper()
        .str.replace(r"[^0-9A-Z]", "", regex=True)
        .str.removeprefix("HT")
    )
    # two records of one order covering two different invoices (not a rejection and its resubmission)
    twins = (
        bare.assign(order=order)
        .groupby(["owner", "order"])
        .filter(lambda g: g["invoices"].nunique() == 2)
    )
    assert len(twins) >= 2
    same = twins.groupby(["owner", "order"]).agg(lambda s: s.nunique())
    assert same[["amount", "status", "submitted_on", "paid_on"]].max(axis=None) == 1
    docs = set(twins["invoices"].str.split(";").explode())
    keys = set(
        amb["company_code"]
        + "/"
        + amb["fiscal_year"]
        + "/"
        + amb["document_no"]
        + "/"
        + amb["line_item"]
    )
    assert keys <= docs


def test_noise_is_the_same_on_every_date():
    early = _fresh(size="small", as_of=D)
    later = early.at(D + timedelta(days=60))
    cols = ["buyer", "customer", "invoice_no", "order_no"]
    m = early.portal_records.merge(
        later.portal_records, on=["portal", "account", "record_id"], suffixes=("", "_2")
    )
    assert len(m) == len(early.portal_records)
    for c in cols:
        assert (m[c] == m[c + "_2"]).all(), c


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="unknown size 'huge'"):
        World(size="huge")
    with pytest.raises(ValueError, match="before the epoch"):
        World(as_of=date(2024, 1, 1))
    assert World.tiny(as_of=D).size == "tiny"


def test_tiny_world_is_small_but_complete():
    w = World.tiny(as_of=D)
    assert len(w.kna1) == 12 and 80 <= len(w.open_items()) <= 600
    assert w.truth["finding"].nunique() >= 7
    assert w == World(size="tiny", as_of=D) and w != w.at(D + timedelta(days=1))
