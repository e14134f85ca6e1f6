"""The promise-to-pay rule on hand-made cases: full, late, partial and portal-only payments,
grace days, tolerance, and a promise made on several items of one customer."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from arsync.common.frames import CLEARED_ITEMS, OPEN_ITEMS, WORKLIST
from arsync.jobs.engine.promises import (
    Payment,
    due_flag,
    item_payments,
    judge,
    judge_group,
    paid_before,
    raise_priority,
)

PROMISED = date(2026, 12, 1)


def sap(day: int, amount: int) -> Payment:
    return Payment(date(2026, 12, day) if day > 0 else date(2026, 11, 30 + day), amount, "sap")


def portal(day: int, amount: int) -> Payment:
    return Payment(date(2026, 12, day), amount, "portal")


def j(payments, as_of_day, promised=100_000, grace=3, tol=0):
    return judge(
        promised,
        PROMISED,
        date(2026, 12, as_of_day),
        payments,
        grace_days=grace,
        tolerance=tol,
    )


def test_paid_in_full_in_sap_before_the_date_is_kept_at_once():
    r = j([sap(0, 100_000)], as_of_day=1)
    assert (r.state, r.paid, r.short) == ("kept", 100_000, 0)


def test_nothing_paid_is_open_until_the_grace_days_are_over_then_broken():
    assert j([], as_of_day=1).state == "open"
    assert j([], as_of_day=4).state == "open"  # 1 Dec + 3 grace days
    r = j([], as_of_day=5)
    assert (r.state, r.paid, r.short, r.window_end) == ("broken", 0, 100_000, date(2026, 12, 4))


def test_paid_within_the_grace_days_is_kept_paid_after_them_is_broken():
    assert j([sap(4, 100_000)], as_of_day=10).state == "kept"
    assert j([sap(5, 100_000)], as_of_day=10).state == "broken"


def test_part_paid_is_open_while_the_window_runs_then_partly_kept_with_the_shortfall():
    assert j([sap(1, 60_000)], as_of_day=2).state == "open"
    r = j([sap(1, 60_000)], as_of_day=5)
    assert (r.state, r.paid, r.short) == ("partly_kept", 60_000, 40_000)


def test_two_partial_payments_that_add_up_keep_the_promise():
    assert j([sap(-5, 30_000), sap(2, 70_000)], as_of_day=20).state == "kept"


def test_portal_paid_in_time_but_not_applied_in_sap_is_kept_pending_cash_application():
    r = j([portal(1, 100_000)], as_of_day=10)
    assert (r.state, r.short) == ("kept_pending", 0)
    # SAP applies the cash after the window: the promise was kept
    assert j([portal(1, 100_000), sap(12, 100_000)], as_of_day=12).state == "kept"


def test_the_same_money_seen_in_sap_and_on_the_portal_is_not_counted_twice():
    r = j([portal(1, 50_000), sap(2, 50_000)], as_of_day=10)
    assert (r.state, r.paid, r.short) == ("partly_kept", 50_000, 50_000)


def test_tolerance_lets_a_few_cents_short_count_as_kept():
    assert j([sap(1, 99_990)], as_of_day=10, tol=100).state == "kept"
    assert j([sap(1, 99_990)], as_of_day=10, tol=0).state == "partly_kept"


def test_money_paid_before_the_promise_was_made_does_not_count():
    r = judge(100_000, PROMISED, date(2026, 12, 10), [sap(-20, 60_000)], made_on=date(2026, 11, 25))
    assert (r.state, r.paid) == ("broken", 0)
    assert paid_before([sap(-20, 60_000), portal(1, 5)], date(2026, 11, 25)) == 60_000


def test_a_payment_after_the_as_of_date_is_not_seen():
    assert j([sap(3, 100_000)], as_of_day=2).state == "open"


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError):
        judge(-1, PROMISED, PROMISED, [])


def test_a_promise_on_several_items_is_judged_on_their_sum():
    # 30k + 70k promised for 1 Dec; the customer paid 100k, applied all to the second item
    payments = [sap(1, 100_000)]
    whole = judge_group([30_000, 70_000], PROMISED, date(2026, 12, 10), payments, grace_days=3)
    assert whole.state == "kept"
    # per item: the first saw nothing, the second got more than promised
    assert j([], 10, promised=30_000).state == "broken"
    assert j(payments, 10, promised=70_000).state == "kept"
    part = judge_group([30_000, 70_000], PROMISED, date(2026, 12, 10), [sap(1, 80_000)])
    assert (part.state, part.short) == ("partly_kept", 20_000)


def test_broken_promises_raise_priority_never_above_one():
    p = raise_priority(pd.Series([3, 1, 4]), pd.Series([True, True, False]))
    assert p.tolist() == [2, 1, 4]


def test_due_flags():
    today = date(2026, 12, 1)
    assert due_flag(today, today) == "today"
    assert due_flag(date(2026, 11, 30), today) == "overdue"
    assert due_flag(date(2026, 12, 2), today) == ""
    assert due_flag(None, today) == ""


# --- the facts from the canonical frames ----------------------------------------------------


def _item(doc, amount, *, invoice_ref="", doc_type="RV", posting=date(2026, 11, 1), **kw):
    row = dict.fromkeys(OPEN_ITEMS.names, "")
    row.update(
        company_code="1000",
        fiscal_year="2026",
        document_no=doc,
        line_item="001",
        customer="0000100001",
        doc_type=doc_type,
        document_date=posting,
        posting_date=posting,
        baseline_date=posting,
        due_date=posting,
        amount=amount,
        currency="CNY",
        local_amount=amount,
        local_currency="CNY",
        dunning_level=0,
        invoice_ref=invoice_ref,
    )
    row.update(kw)
    return row


def test_sap_partial_payments_clearing_and_residuals_become_dated_payments():
    k1, k2, k3 = (("1000", "2026", d, "001") for d in ("0090000001", "0090000002", "0090000003"))
    open_items = OPEN_ITEMS.coerce(
        pd.DataFrame(
            [
                _item("0090000001", 100_000),  # still open, a partial payment against it
                _item(
                    "0140000001",
                    -40_000,
                    invoice_ref="0090000001",
                    doc_type="DZ",
                    posting=date(2026, 11, 20),
                ),
                _item(
                    "0140000002", -5_000, invoice_ref="0090000001", doc_type="DG"
                ),  # credit memo: no payment
                _item(
                    "0140000003", 20_000, invoice_ref="0090000003", doc_type="DZ"
                ),  # residual of 3
            ]
        )
    )
    cleared = CLEARED_ITEMS.coerce(
        pd.DataFrame(
            [
                {
                    **_item("0090000002", 50_000),
                    "clearing_date": date(2026, 11, 25),
                    "clearing_doc": "1400000009",
                },
                {
                    **_item("0090000003", 80_000),
                    "clearing_date": date(2026, 11, 26),
                    "clearing_doc": "1400000010",
                },
            ]
        )
    )
    wl = WORKLIST.empty()
    pays = item_payments([k1, k2, k3], open_items, cleared, wl)
    assert pays[k1] == [Payment(date(2026, 11, 20), 40_000, "sap")]
    assert pays[k2] == [Payment(date(2026, 11, 25), 50_000, "sap")]
    assert pays[k3] == [Payment(date(2026, 11, 26), 60_000, "sap")]  # 80k less the 20k residual
