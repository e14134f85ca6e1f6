"""The reconciliation engine: one template row per frame, one kind of noise or finding per case."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from arsync.common.errors import SchemaError
from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS, PORTAL_RECORDS, WORKLIST
from arsync.config.settings import ReconcileSettings
from arsync.jobs.engine.priority import BASE
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports import vocabulary as V

AS_OF = date(2026, 11, 23)
CUST = "0000001001"
OTHER = "0000001002"


def item(**kw) -> dict:
    row = dict(
        company_code="1000",
        fiscal_year="2026",
        document_no="0090000001",
        line_item="001",
        customer=CUST,
        doc_type="RV",
        reference="12345678",
        assignment="PO-2026-001",
        document_date="2026-09-01",
        posting_date="2026-09-01",
        baseline_date="2026-09-01",
        due_date="2026-10-01",
        amount=123456,
        currency="CNY",
        local_amount=None,
        local_currency="CNY",
        dunning_level=0,
        dunning_block="",
        payment_block="",
        special_gl="",
        invoice_ref="",
        text="",
    )
    row.update(kw)
    if row["local_amount"] is None:
        row["local_amount"] = row["amount"]
    return row


def cleared(**kw) -> dict:
    row = item(**{"document_no": "0090000099", **kw})
    row.setdefault("clearing_date", "2026-11-01")
    row.setdefault("clearing_doc", "1400000001")
    return row


def rec(**kw) -> dict:
    row = dict(
        portal="hosp-sh",
        account="acc1",
        record_id="JS000000000001",
        buyer="某某医院",
        customer=CUST,
        invoice_no="12345678",
        order_no="",
        contract_no="",
        amount=123456,
        paid_amount=0,
        currency="CNY",
        status="UNDER_REVIEW",
        status_text="审核中",
        status_column="结算状态",
        action_by="BUYER",
        status_date="2026-11-01",
        expected_pay_date=None,
        paid_date=None,
        payment_ref="",
        reason="",
        fetched_at="2026-11-23 06:00:00",
        evidence="",
    )
    row.update(kw)
    return row


def cust(**kw) -> dict:
    row = dict(
        customer=CUST,
        name="上海市某某医院",
        segment="hospital",
        city="上海",
        tax_id="12310000425000000X",
        collector="C1",
        portals="hosp-sh",
        credit_limit=0,
        credit_exposure=0,
        credit_currency="CNY",
        risk_class="",
        credit_blocked=False,
    )
    row.update(kw)
    return row


def frames(items, recs=(), custs=None, clear=()):
    custs = [cust(), cust(customer=OTHER, name="另一家医院")] if custs is None else custs
    return (
        OPEN_ITEMS.coerce(pd.DataFrame(list(items), columns=OPEN_ITEMS.names)),
        CLEARED_ITEMS.coerce(pd.DataFrame(list(clear), columns=CLEARED_ITEMS.names)),
        CUSTOMERS.coerce(pd.DataFrame(list(custs), columns=CUSTOMERS.names)),
        PORTAL_RECORDS.coerce(pd.DataFrame(list(recs), columns=PORTAL_RECORDS.names)),
    )


def run(items, recs=(), custs=None, clear=(), **kw) -> pd.DataFrame:
    kw.setdefault("as_of", AS_OF)
    return reconcile(*frames(items, recs, custs, clear), **kw)


def one(items, recs=(), **kw) -> pd.Series:
    wl = run(items, recs, **kw)
    assert len(wl) == len(items)
    return wl.iloc[0]


# --- invoice-number noise: each spelling still finds the record ------------------------------


@pytest.mark.parametrize(
    "sap, portal",
    [
        ("12345678", "No.12345678"),
        ("12345678", "NO:12345678"),
        ("12345678", "发票号:12345678"),
        ("12345678", "发票号码：12345678"),
        ("01234567", "1234567"),
        ("1234567", "01234567"),
        ("12345678", "１２３４５６７８"),
        ("12345678", "1234 5678"),
        ("12345678", " 12345678 "),
        ("26442000000050000001", "2644 2000 0000 5000 0001"),
    ],
)
def test_invoice_number_spellings_match(sap, portal):
    r = one([item(reference=sap)], [rec(invoice_no=portal)])
    assert (r.finding, r.match_rule, r.record_id) == ("IN_PROCESS", "invoice_no", "JS000000000001")
    assert r.match_confidence == 1.0


@pytest.mark.parametrize(
    "sap, portal",
    [
        (
            "50000001",
            "26442000000050000001",
        ),  # SAP holds the tail in XBLNR, the portal the 20 digits
        ("26442000000050000001", "50000001"),  # the portal shows only the last 8
        ("26442000000050000001", "No.5000 0001"),
    ],
)
def test_twenty_digit_number_matches_its_tail(sap, portal):
    r = one([item(reference=sap)], [rec(invoice_no=portal)])
    assert (r.finding, r.match_rule) == ("IN_PROCESS", "invoice_tail")
    assert 0 < r.match_confidence < 1


def test_two_long_numbers_with_the_same_tail_are_two_invoices():
    r = one([item(reference="26442000000050000001")], [rec(invoice_no="26312000000050000001")])
    assert r.finding == "NOT_SUBMITTED"


@pytest.mark.parametrize("sep", [";", "、", ",", "/", " ", "；", "，"])
def test_several_invoices_in_one_record_split_the_amount(sep):
    items = [item(), item(document_no="0090000002", reference="23456789", amount=200000)]
    wl = run(items, [rec(invoice_no=f"12345678{sep}23456789", amount=323456)])
    assert list(wl.finding) == ["IN_PROCESS", "IN_PROCESS"]
    assert list(wl.portal_amount) == [123456, 200000]
    assert set(wl.record_id) == {"JS000000000001"}


def test_split_shares_add_up_to_the_record_amount():
    items = [
        item(document_no=f"00900000{i:02d}", reference=f"1234567{i}", amount=100) for i in range(3)
    ]
    wl = run(items, [rec(invoice_no="12345670;12345671;12345672", amount=100)])
    assert wl.portal_amount.sum() == 100
    assert set(wl.finding) == {"AMOUNT_MISMATCH"}


def test_split_counts_invoices_already_cleared():
    """The record pays A (open) and B (already cleared): A's share is A's amount, not the total."""
    r = one(
        [item()],
        [rec(invoice_no="12345678;23456789", amount=323456)],
        clear=[cleared(reference="23456789", amount=200000)],
    )
    assert (r.finding, r.portal_amount) == ("IN_PROCESS", 123456)


def test_another_customers_record_with_the_same_number_never_matches():
    r = one([item()], [rec(customer=OTHER)])
    assert (r.finding, r.record_id) == ("NOT_SUBMITTED", "")


def test_unmapped_record_matches_by_unique_number_on_the_customers_portal():
    r = one([item()], [rec(customer="")])
    assert (r.finding, r.match_rule, r.match_confidence) == ("IN_PROCESS", "invoice_no", 0.9)


def test_unmapped_record_on_a_portal_the_customer_does_not_use_is_ignored():
    assert one([item()], [rec(customer="", portal="gov-gd")]).finding == "NOT_SUBMITTED"


def test_unmapped_record_whose_number_fits_two_customers_is_ignored():
    custs = [cust(), cust(customer=OTHER, name="另一家")]
    wl = run(
        [item(), item(document_no="0090000002", customer=OTHER)], [rec(customer="")], custs=custs
    )
    assert list(wl.finding) == ["NOT_SUBMITTED", "NOT_SUBMITTED"]


# --- the other rules -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["order_no", "contract_no"])
def test_order_or_contract_number_when_the_portal_has_no_invoice_number_yet(field):
    r = one([item()], [rec(invoice_no="", **{field: "po-2026-001"})])
    assert (r.finding, r.match_rule, r.match_confidence) == ("IN_PROCESS", "order_no", 0.8)


@pytest.mark.parametrize("shown", ["HT-PO-2026-001", "po_2026 001", "PO2026001"])
def test_order_number_written_differently_or_with_a_prefix_still_matches(shown):
    r = one([item()], [rec(invoice_no="", order_no=shown)])
    assert (r.finding, r.match_rule) == ("IN_PROCESS", "order_no")


def test_order_number_that_only_shares_its_digits_is_no_match():
    r = one([item()], [rec(invoice_no="", order_no="PX-2026-001", status_date="2026-11-20")])
    assert r.finding == "NOT_SUBMITTED"


def test_order_only_resubmission_wins_over_the_rejected_record():
    recs = [
        rec(invoice_no="", order_no="PO-2026-001", status="REJECTED", reason="缺少验收单"),
        rec(
            invoice_no="",
            order_no="PO-2026-001",
            record_id="JS000000000002",
            status_date="2026-10-01",
        ),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id) == ("IN_PROCESS", "JS000000000002")


def test_one_order_split_into_two_equal_records_is_ambiguous():
    items = [item(), item(document_no="0090000002", reference="23456789")]
    recs = [
        rec(
            invoice_no="",
            order_no="PO-2026-001",
            status="PAID",
            paid_amount=123456,
            paid_date="2026-11-10",
        ),
        rec(
            invoice_no="",
            order_no="po2026001",
            record_id="JS000000000002",
            status="PAID",
            paid_amount=123456,
            paid_date="2026-11-10",
        ),
    ]
    wl = run(items, recs)
    assert list(wl.finding) == ["AMBIGUOUS", "AMBIGUOUS"] and list(wl.record_id) == ["", ""]
    assert wl.reason.iloc[0].startswith(
        "2 candidate records: hosp-sh/JS000000000001, hosp-sh/JS000000000002"
    )


def test_two_records_of_one_order_are_told_apart_by_amount():
    items = [item(), item(document_no="0090000002", reference="23456789", amount=50000)]
    recs = [
        rec(invoice_no="", order_no="PO-2026-001", amount=50000),
        rec(invoice_no="", order_no="PO-2026-001", record_id="JS000000000002"),
    ]
    wl = run(items, recs)
    assert list(wl.finding) == ["IN_PROCESS", "IN_PROCESS"]
    assert list(wl.record_id) == ["JS000000000002", "JS000000000001"]


def test_mapped_record_beats_an_unmapped_one_with_the_same_number():
    recs = [
        rec(),
        rec(
            customer="",
            buyer="上海市某某医院（本部）",
            record_id="JS000000000002",
            status="PAID",
            status_date="2026-11-20",
            paid_amount=123456,
        ),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id, r.match_confidence) == ("IN_PROCESS", "JS000000000001", 1.0)


def test_unmapped_record_of_another_buyer_is_a_decoy():
    r = one([item()], [rec(customer="", buyer="另一家医院（本部）")])
    assert r.finding == "NOT_SUBMITTED"


def test_unmapped_record_whose_buyer_is_a_variant_of_the_name_matches():
    r = one([item()], [rec(customer="", buyer="上海某某医院(东院)")])
    assert (r.finding, r.match_rule) == ("IN_PROCESS", "invoice_no")


def test_order_number_is_not_used_when_the_record_names_other_invoices():
    r = one([item()], [rec(invoice_no="99999999", order_no="PO-2026-001")])
    assert r.finding == "NOT_SUBMITTED"


def test_amount_customer_and_date_as_a_last_resort():
    r = one([item()], [rec(invoice_no="", status_date="2026-09-20")])
    assert (r.finding, r.match_rule, r.match_confidence) == ("IN_PROCESS", "amount_date", 0.5)


def test_amount_match_outside_the_date_window_is_no_match():
    r = one([item()], [rec(invoice_no="", status_date="2026-11-20")])
    assert r.finding == "NOT_SUBMITTED"


def test_two_amount_candidates_are_ambiguous():
    recs = [
        rec(invoice_no="", status_date="2026-09-20"),
        rec(invoice_no="", status_date="2026-09-21", record_id="JS000000000002"),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id) == ("AMBIGUOUS", "")
    assert r.reason.startswith("2 candidate records: hosp-sh/JS000000000001")
    assert r.next_action == "a person decides"


# --- choosing between records --------------------------------------------------------------


def test_resubmitted_record_wins_over_the_rejected_one():
    # a resubmission comes after the rejection (a live record older than a rejection is not
    # its resubmission: see test_a_newer_rejection_is_the_state_...)
    recs = [
        rec(status="REJECTED", status_date="2026-10-01", reason="发票抬头错误"),
        rec(record_id="JS000000000002", status="SUBMITTED", status_date="2026-10-10"),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id, r.status) == ("IN_PROCESS", "JS000000000002", "SUBMITTED")


def test_most_recent_live_record_wins():
    recs = [
        rec(status_date="2026-10-10"),
        rec(record_id="JS000000000002", status="APPROVED", status_date="2026-11-10"),
    ]
    assert one([item()], recs).record_id == "JS000000000002"


def test_only_cancelled_records_mean_not_submitted():
    r = one([item()], [rec(status="CANCELLED")])
    assert (r.finding, r.record_id) == ("NOT_SUBMITTED", "JS000000000001")
    assert "cancelled" in r.reason


# --- findings ------------------------------------------------------------------------------


def test_rejected_carries_the_portals_reason():
    r = one([item()], [rec(status="REJECTED", reason="发票抬头错误")])
    assert (r.finding, r.reason) == ("REJECTED", "发票抬头错误")
    assert r.next_action.startswith("fix and resubmit")


def test_paid_in_full_and_still_open_is_paid_not_applied():
    r = one(
        [item()], [rec(status="PAID", paid_amount=123456, paid_date="2026-11-15", payment_ref="P1")]
    )
    assert r.finding == "PAID_NOT_APPLIED"
    assert r.expected_pay_date == pd.Timestamp("2026-11-15")
    assert r.reason == "paid 2026-11-15, payment ref P1"


@pytest.mark.parametrize(
    "record_amount, finding",
    [
        (123455, "IN_PROCESS"),
        (123457, "IN_PROCESS"),
        (123454, "AMOUNT_MISMATCH"),
        (120000, "AMOUNT_MISMATCH"),
    ],
)
def test_amount_tolerance(record_amount, finding):
    assert one([item()], [rec(amount=record_amount)]).finding == finding


def test_tolerance_comes_from_settings():
    r = one([item()], [rec(amount=123400)], settings=ReconcileSettings(amount_tolerance=100))
    assert r.finding == "IN_PROCESS"


def test_partial_payment_is_an_amount_mismatch():
    r = one([item()], [rec(status="PAID", paid_amount=60000, paid_date="2026-11-15")])
    assert (r.finding, r.reason) == ("AMOUNT_MISMATCH", "paid 600.00 of 1234.56")


def test_record_amount_mismatch_names_both_amounts():
    r = one([item()], [rec(amount=100000)])
    assert (r.finding, r.reason, r.portal_amount) == (
        "AMOUNT_MISMATCH",
        "portal 1000.00 vs SAP 1234.56",
        100000,
    )


def test_currency_mismatch():
    r = one([item(currency="JPY", amount=123456)], [rec()])
    assert r.finding == "AMOUNT_MISMATCH" and "currency" in r.reason


def test_residual_item_is_matched_through_the_cleared_invoice():
    clr = cleared(document_no="0090000050", reference="12345678", amount=123456)
    resid = item(
        document_no="1400000007", doc_type="DZ", reference="", amount=6000, invoice_ref="0090000050"
    )
    r = one([resid], [rec(status="PAID", paid_amount=117456, paid_date="2026-11-10")], clear=[clr])
    assert (r.finding, r.match_rule) == ("AMOUNT_MISMATCH", "invoice_ref:invoice_no")
    assert "residual of 1000/2026/0090000050/001" in r.reason


def test_a_paid_remainder_whose_invoice_was_cleared_before_the_window_is_a_short_payment():
    # The invoice itself is not among the cleared items read; the remainder carries its number.
    resid = item(
        document_no="1400000007",
        doc_type="DZ",
        reference="12345678",
        amount=6000,
        invoice_ref="0090000050",
    )
    r = one([resid], [rec(amount=6000, status="PAID", paid_amount=6000, paid_date="2026-11-10")])
    assert r.finding == "AMOUNT_MISMATCH"
    assert "remainder of a short payment of invoice 0090000050" in r.reason
    # An ordinary invoice with the same record is cash waiting to be applied.
    plain = one([item(amount=6000)], [rec(amount=6000, status="PAID", paid_amount=6000)])
    assert plain.finding == "PAID_NOT_APPLIED"


def test_open_credit_items_are_unapplied_credit():
    wl = run(
        [
            item(document_no="1400000001", doc_type="DZ", reference="", amount=-5000),
            item(document_no="1400000002", doc_type="DG", reference="", amount=-700),
            item(document_no="1400000003", doc_type="DZ", amount=-900, invoice_ref="0090000001"),
        ],
        [rec()],
    )
    assert set(wl.finding) == {"UNAPPLIED_CREDIT"}
    assert list(wl.reason) == ["payment on account", "credit memo", "credit for invoice 0090000001"]
    assert set(wl.next_action) == {"apply it to the invoice it belongs to / refund"}
    assert set(wl.record_id) == {""}


def test_customer_without_portals_is_no_portal():
    r = one([item()], [], custs=[cust(portals="")])
    assert (r.finding, r.reason) == ("NO_PORTAL", "")


def test_portal_customer_without_record_is_not_submitted():
    r = one([item()], [], custs=[cust(portals="hosp-sh;gov-gd")])
    assert (r.finding, r.reason) == ("NOT_SUBMITTED", "no record on hosp-sh, gov-gd")


def test_item_of_a_stale_portal_shows_the_last_known_status_with_its_age():
    r = one(
        [item()], [rec(status="APPROVED")], stale_portals={"hosp-sh": datetime(2026, 11, 20, 6)}
    )
    assert (r.finding, r.status, r.status_age_days) == ("STALE", "APPROVED", 3)
    assert r.reason == "hosp-sh not read; last read 2026-11-20"


def test_item_last_seen_rejected_on_a_stale_portal_keeps_the_rejection_reason():
    stale = {"hosp-sh": datetime(2026, 11, 20, 6)}
    r = one([item()], [rec(status="REJECTED", reason="发票抬头错误")], stale_portals=stale)
    assert (r.finding, r.status) == ("STALE", "REJECTED")
    assert r.reason == "hosp-sh not read; last read 2026-11-20; last known: rejected — 发票抬头错误"
    bare = one([item()], [rec(status="REJECTED")], stale_portals=stale)
    assert bare.reason.endswith("last known: rejected — the portal shows no reason")


def test_unmatched_item_of_a_stale_portal_is_stale_not_unsubmitted():
    r = one([item()], [], stale_portals={"hosp-sh": datetime(2026, 11, 20, 6)})
    assert (r.finding, r.portal, r.status_age_days) == ("STALE", "hosp-sh", 3)


def test_status_unchanged_too_long_is_stuck():
    r = one([item()], [rec(status_date="2026-10-01", status_text="审核中")])
    assert (r.finding, r.stuck, r.status_age_days) == ("IN_PROCESS", True, 53)
    assert r.reason == "审核中 for 53 days"
    assert not one([item()], [rec(status_date="2026-11-01")]).stuck


# --- cash application proposals ------------------------------------------------------------


def paid_rec(**kw):
    return rec(status="PAID", paid_amount=kw.get("amount", 123456), paid_date="2026-11-15", **kw)


def test_payment_on_account_is_proposed_for_paid_not_applied():
    pays = [
        item(
            document_no="1400000001",
            doc_type="DZ",
            reference="",
            amount=-123456,
            posting_date="2026-11-16",
        ),
        item(
            document_no="1400000002",
            doc_type="DZ",
            reference="",
            amount=-123456,
            posting_date="2026-08-01",
        ),
        item(
            document_no="1400000003",
            doc_type="DZ",
            reference="",
            amount=-99999,
            posting_date="2026-11-15",
        ),
    ]
    wl = run([item(), *pays], [paid_rec()])
    inv = wl.loc[wl.document_no == "0090000001"].iloc[0]
    assert (inv.finding, inv.proposed_clearing) == ("PAID_NOT_APPLIED", "1000/2026/1400000001/001")


def test_payment_of_a_split_record_is_proposed_for_all_its_items():
    items = [
        item(),
        item(document_no="0090000002", reference="23456789", amount=200000),
        item(
            document_no="1400000001",
            doc_type="DZ",
            reference="",
            amount=-323456,
            posting_date="2026-11-16",
        ),
    ]
    wl = run(items, [paid_rec(invoice_no="12345678;23456789", amount=323456)])
    paid = wl.loc[wl.finding == "PAID_NOT_APPLIED"]
    assert len(paid) == 2 and set(paid.proposed_clearing) == {"1000/2026/1400000001/001"}


def test_one_payment_is_proposed_once():
    items = [
        item(),
        item(document_no="0090000002", reference="23456789"),
        item(
            document_no="1400000001",
            doc_type="DZ",
            reference="",
            amount=-123456,
            posting_date="2026-11-16",
        ),
    ]
    recs = [paid_rec(), paid_rec(record_id="JS000000000002", invoice_no="23456789")]
    wl = run(items, recs)
    assert sorted(wl.loc[wl.finding == "PAID_NOT_APPLIED", "proposed_clearing"]) == [
        "",
        "1000/2026/1400000001/001",
    ]


# --- aging, priority, contract -------------------------------------------------------------


@pytest.mark.parametrize(
    "due, days, bucket",
    [
        ("2026-12-01", -8, "not due"),
        ("2026-11-23", 0, "not due"),
        ("2026-11-22", 1, "1-30"),
        ("2026-10-24", 30, "1-30"),
        ("2026-10-23", 31, "31-60"),
        ("2026-08-25", 90, "61-90"),
        ("2026-05-27", 180, "91-180"),
        ("2025-11-23", 365, "181-365"),
        ("2025-11-22", 366, ">365"),
    ],
)
def test_days_overdue_and_aging_bucket(due, days, bucket):
    r = one([item(due_date=due)], [rec()])
    assert (r.days_overdue, r.aging_bucket) == (days, bucket)


def test_aging_limits_come_from_settings():
    r = one(
        [item(due_date="2026-10-23")], [rec()], settings=ReconcileSettings(aging_limits=[0, 45])
    )
    assert r.aging_bucket == "1-45"


@pytest.mark.parametrize(
    "kw, rkw, expected",
    [
        (
            dict(due_date="2026-07-01", amount=50_000_000),
            dict(status="REJECTED", amount=50_000_000),
            1,
        ),
        (dict(due_date="2026-12-20"), dict(), 5),  # in process, not yet due
        (dict(), dict(), 4),  # in process, overdue
        (dict(), dict(status_date="2026-09-01"), 3),  # stuck
        (dict(), dict(status="PAID", paid_amount=123456), 2),
        (dict(due_date="2026-07-01"), dict(status="PAID", paid_amount=123456), 1),
    ],
)
def test_priority_rule(kw, rkw, expected):
    assert one([item(**kw)], [rec(**rkw)]).priority == expected


def test_worklist_follows_its_schema_and_is_independent_of_input_order():
    items = [
        item(document_no=f"00900000{i:02d}", reference=f"123456{i:02d}", amount=1000 + i)
        for i in range(12)
    ]
    recs = [
        rec(
            record_id=f"JS0000000000{i:02d}",
            invoice_no=f"No.123456{i:02d}",
            amount=1000 + i,
            status=["SUBMITTED", "PAID", "REJECTED"][i % 3],
            paid_amount=(1000 + i) * (i % 3 == 1),
        )
        for i in range(0, 12, 2)
    ]
    a = run(items, recs)
    b = run(items[::-1], recs[::-1])
    WORKLIST.validate(a)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.document_no) == sorted(a.document_no)


def test_empty_inputs_give_an_empty_worklist():
    wl = run([], [], custs=[])
    assert len(wl) == 0 and list(wl.columns) == WORKLIST.names


def test_bad_input_frame_is_refused_with_its_name():
    oi, ci, cu, pr = frames([item()], [rec()])
    with pytest.raises(SchemaError, match=r"portal_records.*missing status"):
        reconcile(oi, ci, cu, pr.drop(columns="status"), as_of=AS_OF)


def test_record_naming_an_invoice_sap_does_not_have_yet_keeps_the_known_share():
    r = one([item()], [rec(invoice_no="12345678;23456789", amount=323456)])
    assert (r.finding, r.portal_amount) == ("IN_PROCESS", 123456)
    r = one([item()], [rec(invoice_no="12345678;23456789", amount=100000)])
    assert (r.finding, r.portal_amount) == ("AMOUNT_MISMATCH", 100000)


# --- issue 8.14–16: records as they really come --------------------------------------------
# 14: the newest record by status date is the invoice's state; older rejections are history

LIVE = "JS000000000002"


# --- 14: the newest record by status date is the invoice's state; older rejections are history


@pytest.mark.parametrize(
    "live",
    [
        dict(invoice_no="12345678"),  # the same number again
        dict(invoice_no="No.１２３４５６７８"),  # spelled otherwise
        dict(invoice_no="", order_no="PO-2026-001"),  # order number only, before the invoice
    ],
    ids=["same-number", "spelling", "order-only"],
)
@pytest.mark.parametrize("status", ["SUBMITTED", "UNDER_REVIEW", "PAYING"])
def test_a_resubmission_is_the_state_and_the_rejection_is_history(live, status):
    recs = [
        rec(status="REJECTED", status_date="2026-10-01", reason="发票抬头错误"),
        rec(record_id=LIVE, status=status, status_date="2026-10-08", **live),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id, r.status) == ("IN_PROCESS", LIVE, status)
    assert "JS000000000001 rejected 2026-10-01 (发票抬头错误)" in r.reason
    zh, known = V.reason_zh(r.reason)
    assert known and "其他记录：hosp-sh/JS000000000001 已退回 2026-10-01 (发票抬头错误)" in zh


def test_a_resubmission_by_a_buyer_nobody_mapped_beats_the_mapped_rejection():
    recs = [
        rec(status="REJECTED", status_date="2026-10-01", reason="缺少验收单"),
        rec(record_id=LIVE, customer="", buyer="上海市某某医院(本部)", status_date="2026-10-09"),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id) == ("IN_PROCESS", LIVE)
    assert "rejected 2026-10-01 (缺少验收单)" in r.reason


def test_a_newer_rejection_is_the_state_and_the_older_record_is_history():
    recs = [
        rec(status="SUBMITTED", status_date="2026-09-05"),
        rec(record_id=LIVE, status="REJECTED", status_date="2026-10-10", reason="重复提交"),
    ]
    r = one([item()], recs)
    assert (r.finding, r.record_id) == ("REJECTED", LIVE)
    assert r.reason.startswith("重复提交") and "JS000000000001 SUBMITTED 2026-09-05" in r.reason
    assert "hosp-sh/JS000000000001 已提交 2026-09-05" in V.reason_zh(r.reason)[0]


def test_without_status_dates_a_live_record_still_wins_over_a_rejection():
    recs = [
        rec(status="REJECTED", status_date=None, reason="发票抬头错误"),
        rec(record_id=LIVE, status="ACCEPTED", status_date=None),
    ]
    assert one([item()], recs).record_id == LIVE


def test_a_rejected_record_never_reaches_for_another_invoices_amount():
    """An item with only a rejection waits for its resubmission by number, never by amount."""
    items = [item(), item(document_no="0090000002", reference="87654321", assignment="")]
    recs = [
        rec(status="REJECTED", status_date="2026-10-01", reason="x"),
        rec(record_id=LIVE, invoice_no="", amount=123456, status_date="2026-09-02"),
    ]
    wl = run(items, recs).set_index("document_no")
    assert wl.loc["0090000001", "finding"] == "REJECTED"


# --- 15: buyer names that differ only by spaces, brackets or punctuation map to the customer


@pytest.mark.parametrize(
    "buyer",
    [
        "上海市某某医院(总院)",
        "上海市 某某医院（总院）",
        "上海市某某医院·总院",
        "上海市某某医院 总院",
    ],
)
def test_an_unmapped_buyer_spelled_like_the_master_data_maps(buyer):
    custs = [cust(name="上海市某某医院 (总院)"), cust(customer="0000001002", name="另一家医院")]
    # an order-only record: no invoice number to reach the item through
    r = one(
        [item()],
        [rec(customer="", buyer=buyer, invoice_no="", order_no="PO-2026-001")],
        custs=custs,
    )
    assert (r.finding, r.match_rule) == ("IN_PROCESS", "order_no")


@pytest.mark.parametrize("kind", ["invoice", "order"])
def test_buyer_names_differing_by_width_and_punctuation_map(kind):
    custs = [cust(name="复旦大学附属中山医院 (财务处)")]
    shown = "复旦大学附属中山医院（财务处）"
    r = rec(customer="", buyer=shown)
    if kind == "order":
        r = rec(customer="", buyer=shown, invoice_no="", order_no="PO-2026-001")
    got = one([item()], [r], custs=custs)
    assert got.finding == "IN_PROCESS" and got.record_id == "JS000000000001"


def test_a_buyer_name_two_customers_share_maps_to_neither():
    custs = [
        cust(name="某某医院"),
        cust(customer="0000001002", name="某某 医院", portals="hosp-sh"),
    ]
    r = one(
        [item()],
        [rec(customer="", buyer="某某医院", invoice_no="", order_no="PO-2026-001")],
        custs=custs,
    )
    assert r.finding == "NOT_SUBMITTED"


def test_a_different_name_is_not_mapped():
    custs = [cust(name="上海市某某医院")]
    r = one(
        [item()],
        [rec(customer="", buyer="上海市某某医院东院", invoice_no="", order_no="PO-2026-001")],
        custs=custs,
    )
    assert r.finding == "NOT_SUBMITTED"


# --- 16: a red-letter credit memo that reverses an invoice in full; a partial one


def credit_memo(amount: int, **kw) -> dict:
    row = dict(
        document_no="0190000001",
        doc_type="DG",
        reference="",
        assignment="",
        amount=-amount,
        invoice_ref="0090000001",
    )
    return item(**{**row, **kw})


@pytest.mark.parametrize(
    "records",
    [[], [rec(status="CANCELLED", status_text="已红冲")], [rec()]],
    ids=["no-record", "portal-red-flushed", "portal-still-live"],
)
def test_a_full_red_letter_credit_memo_pairs_with_its_invoice(records):
    wl = run([item(due_date="2026-06-01"), credit_memo(123456)], records)
    inv, cm = (
        wl.set_index("document_no").loc["0090000001"],
        wl.set_index("document_no").loc["0190000001"],
    )
    assert (inv.finding, cm.finding) == ("REVERSED", "REVERSED")
    assert "0190000001" in inv.reason and "0090000001" in cm.reason
    assert inv.next_action.startswith("clear the invoice against its credit memo")
    # not overdue: no aging, no urgency
    assert (inv.days_overdue, inv.aging_bucket) == (0, "not due")
    assert inv.priority == cm.priority == 5 and "REVERSED" in BASE
    assert V.reason_zh(inv.reason) == ("已由贷项凭证 0190000001 全额红冲；无需催收", True)
    assert V.reason_zh(cm.reason) == ("冲销发票 0090000001 的红字贷项凭证", True)


def test_two_credit_memos_that_together_reverse_the_invoice():
    wl = run([item(), credit_memo(100000), credit_memo(23456, document_no="0190000002")])
    assert set(wl.finding) == {"REVERSED"}
    assert "0190000001, 0190000002" in wl.set_index("document_no").loc["0090000001", "reason"]


def test_a_partial_credit_memo_reduces_what_is_owed_and_says_so():
    # the portal pays the invoice less the credit: what is owed, not a short payment
    paid = rec(status="PAID", amount=123456, paid_amount=103456, paid_date="2026-11-15")
    wl = run([item(), credit_memo(20000)], [paid]).set_index("document_no")
    inv, cm = wl.loc["0090000001"], wl.loc["0190000001"]
    assert inv.finding == "PAID_NOT_APPLIED"
    assert "credit memo 0190000001 -200.00; owed 1034.56" in inv.reason
    assert V.reason_zh(inv.reason)[1]
    assert (cm.finding, cm.reason) == ("UNAPPLIED_CREDIT", "credit memo for invoice 0090000001")
    # a portal that shows the invoice in full is no mismatch either
    wl = run([item(), credit_memo(20000)], [rec()]).set_index("document_no")
    assert wl.loc["0090000001", "finding"] == "IN_PROCESS"
    assert "owed 1034.56" in wl.loc["0090000001", "reason"]


def test_a_payment_against_the_invoice_is_not_a_credit_memo():
    pay = credit_memo(123456, doc_type="DZ")
    wl = run([item(), pay], [rec()]).set_index("document_no")
    assert wl.loc["0190000001", "finding"] == "UNAPPLIED_CREDIT"
    assert wl.loc["0090000001", "finding"] == "IN_PROCESS"
