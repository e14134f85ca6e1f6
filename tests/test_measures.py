"""The AR measures on the reference's worked example and on a small hand-checked portfolio.

The portfolio (CNY; the report date 2026-03-31, Q1 = 90 days) is the reference's worked example
built from items, so that every figure can be checked by hand:

    item  customer (collector)  posted      due         amount     cleared
    A     K1 (C1)               2025-11-10  2025-12-10  1 000 000  2026-01-20
    B     K1 (C1)               2025-12-05  2026-01-04    700 000  open (86 days past due)
    C     K2 (C2)               2026-01-15  2026-02-14  1 000 000  2026-03-10
    D     K2 (C2)               2026-02-10  2026-03-12    800 000  2026-03-25
    E     K2 (C2)               2026-03-20  2026-04-19  1 100 000  open (current)
    F     K2 (C2)               2026-03-05  2026-03-20    100 000  open (11 days past due)
    P     K2 (C2)               2026-01-20  2026-01-20 −1 000 000  2026-01-20 (the payment of A)

Sales Jan 1.0 m (C), Feb 0.8 m (D), Mar 1.2 m (E + F); AR on 2025-12-31 1.7 m (A + B); on
2026-03-31 1.9 m (B + E + F), of which current 1.1 m (E).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd
import pytest

from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS
from arsync.jobs.engine import measures as m
from arsync.jobs.engine import portfolio as pf

END = date(2026, 3, 31)
START = date(2025, 12, 31)
LIMITS = [0, 30, 60, 90, 180, 365]
Y = 100  # minor units per yuan


def exactly(x: Fraction | int):
    return pytest.approx(float(x), rel=1e-12, abs=1e-9)


# --- the formulas on the reference's worked example (collections-kpis.md §1) ---------------

Q1 = [m.Window(31, 1_200_000), m.Window(28, 800_000), m.Window(31, 1_000_000)]  # newest first


def test_dso_by_the_simple_average_sales_method():
    assert m.dso_simple(1_900_000, 3_000_000, 90) == exactly(57)
    assert m.dso_average_balance(1_700_000, 1_900_000, 3_000_000, 90) == exactly(54)


def test_dso_by_countback_walks_back_month_by_month():
    # March whole (700 000 left), then 0.7 / 0.8 of February's 28 days
    assert m.countback(1_900_000, Q1) == m.Countback(31 + Fraction(7, 8) * 28, True)
    assert m.countback(1_900_000, Q1).days == exactly(Fraction(111, 2))


def test_countback_that_runs_out_of_months_is_a_lower_bound():
    assert m.countback(5_000_000, Q1) == m.Countback(90, False)
    assert m.countback(0, Q1) == m.Countback(0, True)
    assert m.countback(-5, Q1) == m.Countback(0, True)


def test_best_possible_dso_and_average_days_delinquent_by_both_methods():
    assert m.best_possible_dso(1_100_000, 3_000_000, 90) == exactly(33)
    bp = m.best_possible_countback(1_100_000, Q1).days
    assert bp == exactly(Fraction(11, 12) * 31)
    assert m.average_days_delinquent(57.0, 33.0) == exactly(24)
    assert m.average_days_delinquent(55.5, bp) == exactly(Fraction(111, 2) - Fraction(341, 12))
    assert m.average_days_delinquent(None, 3.0) is None


def test_cei_total_sales_form_and_crf_form():
    assert m.cei(1_700_000, 3_000_000, 1_900_000, 1_100_000) == exactly(Fraction(2800, 3600) * 100)
    assert m.cei(1_700_000, 3_000_000, 1_900_000, 1_100_000, months=3) == exactly(50)


def test_percent_current():
    assert m.percent_current(1_100_000, 1_900_000) == exactly(Fraction(11, 19) * 100)
    assert m.percent_current(0, 0) is None


def test_no_sales_gives_no_ratio():
    assert m.dso_simple(100, 0, 30) is None
    assert m.cei(0, 0, 0, 0) is None


# --- the same on a portfolio of items ------------------------------------------------------


def _item(doc, customer, posted, due, yuan, cleared=None, doc_type="RV", special_gl=""):
    row = {c: "" for c in CLEARED_ITEMS.names}
    row |= dict(
        company_code="1000",
        fiscal_year=posted[:4],
        document_no=doc,
        line_item="001",
        customer=customer,
        doc_type=doc_type,
        document_date=posted,
        posting_date=posted,
        baseline_date=posted,
        due_date=due,
        amount=yuan * Y,
        currency="CNY",
        local_amount=yuan * Y,
        local_currency="CNY",
        dunning_level=0,
        special_gl=special_gl,
        clearing_date=cleared,
    )
    return row


ITEMS = [
    _item("A", "K1", "2025-11-10", "2025-12-10", 1_000_000, "2026-01-20"),
    _item("B", "K1", "2025-12-05", "2026-01-04", 700_000),
    _item("C", "K2", "2026-01-15", "2026-02-14", 1_000_000, "2026-03-10"),
    _item("D", "K2", "2026-02-10", "2026-03-12", 800_000, "2026-03-25"),
    _item("E", "K2", "2026-03-20", "2026-04-19", 1_100_000),
    _item("F", "K2", "2026-03-05", "2026-03-20", 100_000),
    _item("P", "K2", "2026-01-20", "2026-01-20", -1_000_000, "2026-01-20", doc_type="DZ"),
]


def _frames(items=ITEMS):
    rows = pd.DataFrame(items)
    is_open = rows["clearing_date"].isna()
    open_items = OPEN_ITEMS.coerce(rows[is_open].drop(columns=["clearing_date", "clearing_doc"]))
    cleared = CLEARED_ITEMS.coerce(rows[~is_open])
    custs = pd.DataFrame(
        [
            {c: "" for c in CUSTOMERS.names} | dict(customer="K1", name="甲大学", collector="C1"),
            {c: "" for c in CUSTOMERS.names} | dict(customer="K2", name="乙医院", collector="C2"),
        ]
    )
    custs = CUSTOMERS.coerce(custs.assign(credit_limit=0, credit_exposure=0, credit_blocked=False))
    return open_items, cleared, custs


def _ledger(items=ITEMS):
    o, c, cu = _frames(items)
    return pf.with_collector(pf.ledger(o, c), cu), cu


def _value(frame, measure, scope=""):
    sel = frame[(frame["scope"] == scope) & (frame["measure"] == measure)]
    assert len(sel) == 1, (scope, measure)
    return sel["value"].iloc[0]


def test_ar_on_a_date_counts_items_posted_by_then_and_not_yet_cleared():
    led, _ = _ledger()
    assert led.loc[pf.open_on(led, START), "local_amount"].sum() == 1_700_000 * Y
    assert led.loc[pf.open_on(led, END), "local_amount"].sum() == 1_900_000 * Y
    # the payment P was posted and cleared the same day: never open
    assert not pf.open_on(led, date(2026, 1, 20))[led["document_no"] == "P"].any()


def test_sales_windows_are_the_calendar_months_back_from_the_report_date():
    led, _ = _ledger()
    got = pf.windows(led, END, 3)
    assert got == [
        m.Window(31, 1_200_000 * Y),
        m.Window(28, 800_000 * Y),
        m.Window(31, 1_000_000 * Y),
    ]
    # windows before the first day cleared items were read for are not used
    assert len(pf.windows(led, END, 12, complete_from=date(2026, 1, 1))) == 3


def test_position_of_the_team_is_the_worked_example():
    led, _ = _ledger()
    pos = pf.position(led, END, limits=LIMITS, months=12)
    assert _value(pos, "ar") == 1_900_000 * Y
    assert _value(pos, "current") == 1_100_000 * Y
    assert _value(pos, "overdue") == 800_000 * Y
    assert _value(pos, "dso") == exactly(Fraction(111, 2))
    assert _value(pos, "dso_complete") == 1
    assert _value(pos, "dso_simple") == exactly(57)
    assert _value(pos, "bpdso") == exactly(Fraction(341, 12))
    assert _value(pos, "bpdso_simple") == exactly(33)
    assert _value(pos, "add") == exactly(Fraction(111, 2) - Fraction(341, 12))
    assert _value(pos, "add_simple") == exactly(24)
    assert _value(pos, "pct_current") == exactly(Fraction(1100, 1900) * 100)
    assert _value(pos, "pct_over_90") == 0
    # B is 86 days past due, F 11 days, E not due
    assert _value(pos, "aging:not due") == 1_100_000 * Y
    assert _value(pos, "aging:1-30") == 100_000 * Y
    assert _value(pos, "aging:61-90") == 700_000 * Y
    assert _value(pos, "aging:31-60") == 0


def test_position_per_collector():
    led, _ = _ledger()
    pos = pf.position(led, END, limits=LIMITS, months=12)
    # C1: only B open; no sales Jan–Mar, December's sales are B itself: 31+28+31 + 31 days
    assert _value(pos, "ar", "C1") == 700_000 * Y
    assert _value(pos, "dso", "C1") == 121
    assert _value(pos, "bpdso", "C1") == 0
    assert "dso_simple" not in set(pos.loc[pos["scope"] == "C1", "measure"])  # no sales: no ratio
    # C2: E + F open, 1.2 m, exactly March's sales: 31 days; current 1.1 m: 1.1/1.2 of March
    assert _value(pos, "ar", "C2") == 1_200_000 * Y
    assert _value(pos, "dso", "C2") == 31
    assert _value(pos, "bpdso", "C2") == exactly(Fraction(11, 12) * 31)
    assert _value(pos, "pct_current", "C2") == exactly(Fraction(11, 12) * 100)


def test_countback_short_of_history_is_flagged():
    led, _ = _ledger()
    pos = pf.position(led, END, limits=LIMITS, months=12, complete_from=date(2026, 3, 1))
    # only March is complete: 1.9 m outlasts its 1.2 m of sales
    assert _value(pos, "dso") == 31
    assert _value(pos, "dso_complete") == 0


def test_flows_of_the_quarter_collected_sales_and_cei():
    led, _ = _ledger()
    fl = pf.flows(led, START, END)
    assert _value(fl, "collected") == 2_800_000 * Y  # A + C + D, the debit items cleared
    assert _value(fl, "collected_items") == 3
    assert _value(fl, "sales") == 3_000_000 * Y
    assert _value(fl, "opening_ar") == 1_700_000 * Y
    assert _value(fl, "ending_ar") == 1_900_000 * Y
    assert _value(fl, "ending_current") == 1_100_000 * Y
    assert _value(fl, "cei") == exactly(Fraction(28, 36) * 100)
    # opening + sales − collected = ending: nothing else moved
    assert 1_700_000 + 3_000_000 - 2_800_000 == 1_900_000
    # C2 started the quarter with nothing open: CEI = (0 + 3.0 − 1.2) / (0 + 3.0 − 1.1)
    assert _value(fl, "collected", "C2") == 1_800_000 * Y
    assert _value(fl, "cei", "C2") == exactly(Fraction(18, 19) * 100)
    assert _value(fl, "collected", "C1") == 1_000_000 * Y


def test_flows_of_one_week_count_only_what_cleared_in_it():
    led, _ = _ledger()
    fl = pf.flows(led, date(2026, 3, 18), date(2026, 3, 25))
    assert _value(fl, "collected") == 800_000 * Y  # D on 03-25 (the end is inside)
    fl = pf.flows(led, date(2026, 3, 25), date(2026, 4, 1))
    assert _value(fl, "collected") == 0  # the start is outside
    assert _value(pf.flows(led, START, END, complete_from=date(2026, 1, 1)), "complete") == 0


def test_open_credits_net_the_ar_and_special_gl_items_are_left_out():
    items = [
        *ITEMS,
        _item("G", "K2", "2026-03-28", "2026-03-28", -50_000, doc_type="DZ"),  # on account
        _item("H", "K2", "2026-03-01", "2026-03-01", 999_999, special_gl="A"),  # down payment
    ]
    led, _ = _ledger(items)
    pos = pf.position(led, END, limits=LIMITS)
    assert _value(pos, "ar") == 1_850_000 * Y
    assert _value(pos, "aging:1-30") == 50_000 * Y  # the credit is 3 days "past due"


def test_top_overdue_customers():
    led, cu = _ledger()
    top = pf.top_overdue(led, END, cu, n=5)
    assert top[["customer", "name", "collector", "overdue", "items", "oldest_days"]].to_dict(
        "records"
    ) == [
        dict(
            customer="K1",
            name="甲大学",
            collector="C1",
            overdue=700_000 * Y,
            items=1,
            oldest_days=86,
        ),
        dict(
            customer="K2",
            name="乙医院",
            collector="C2",
            overdue=100_000 * Y,
            items=1,
            oldest_days=11,
        ),
    ]
    assert len(pf.top_overdue(led, END, cu, n=1)) == 1
