"""The engine's fast paths give what the plain paths give (issue 15, reconciliation at scale)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.test_reconcile import AS_OF, OTHER, cust, frames, item, rec, run

from arsync.common.errors import SchemaError
from arsync.jobs.engine.invoice_no import TAIL_DIGITS, invoice_keys, key_codes
from arsync.jobs.engine.reconcile import _ties, reconcile

# --- inputs already in key order are not sorted again ----------------------------------------


def _rows(by):
    values = ["", "1000", "1000", "2000", "0999", "10", "9", "ä", "a"]
    return pd.DataFrame(
        list(itertools.product(values[:4], values[3:7], values[5:])), columns=by
    ).astype(object)


@pytest.mark.parametrize("seed", range(6))
def test_rows_are_in_order_exactly_when_sorting_would_not_move_them(seed):
    by = ["company_code", "fiscal_year", "document_no"]
    df = _rows(by)
    rng = np.random.default_rng(seed)
    for frame in (
        df,
        df.iloc[rng.permutation(len(df))],
        df.iloc[::-1],
        df.sort_values(by, kind="stable"),
        df.sort_values(by[::-1], kind="stable"),
    ):
        frame = frame.reset_index(drop=True)
        expected = frame.sort_values(by, kind="stable", ignore_index=True).equals(frame)
        assert (_ties(frame, by) is not None) == expected


def test_ties_on_the_first_columns_are_decided_by_the_later_ones():
    by = ["a", "b"]
    df = pd.DataFrame({"a": ["x", "x", "y"], "b": ["2", "1", "0"]}, dtype=object)
    assert _ties(df, by) is None
    assert _ties(df.iloc[[1, 0, 2]].reset_index(drop=True), by).tolist() == []
    assert _ties(df.iloc[:0], by).tolist() == [] and _ties(df.iloc[:1], by).tolist() == []
    assert _ties(df.iloc[[1, 1, 0, 2, 2]].reset_index(drop=True), by).tolist() == [0, 3]


def _world():
    items = [
        item(document_no=f"00900000{i:02d}", line_item=f"00{i % 3 + 1}", reference=f"5566{i:04d}")
        for i in range(9)
    ]
    recs = [
        rec(record_id=f"R{i:03d}", invoice_no=f"5566{i:04d}", amount=123456, portal=p)
        for i, p in zip(range(0, 9, 2), ["hosp-sh", "gov-gd", "hosp-sh", "uni-bj", "gov-gd"])
    ]
    return items, recs


def test_sorted_and_unsorted_inputs_give_the_same_worklist():
    items, recs = _world()
    oi, ci, cu, pr = frames(items, recs)
    key = ["company_code", "fiscal_year", "document_no", "line_item"]
    oi_sorted = oi.sort_values(key, ignore_index=True)
    pr_sorted = pr.sort_values(["portal", "account", "record_id"], ignore_index=True)
    assert _ties(oi_sorted, key) is not None
    assert _ties(pr, ["portal", "account", "record_id"]) is None
    a = reconcile(oi_sorted, ci, cu, pr_sorted, as_of=AS_OF)
    b = reconcile(oi.iloc[::-1], ci, cu, pr.iloc[::-1], as_of=AS_OF)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["finding"]) >= {"IN_PROCESS", "NOT_SUBMITTED"}


def test_the_worklist_shares_no_array_with_the_inputs():
    items, recs = _world()
    oi, ci, cu, pr = frames(items, recs)
    before_oi, before_pr = oi.copy(), pr.copy()
    wl = reconcile(oi, ci, cu, pr, as_of=AS_OF)
    for c in ("document_no", "customer", "amount", "reference"):
        wl.loc[:, c] = wl[c].iloc[::-1].to_numpy()
    wl.loc[0, "customer"] = OTHER
    pd.testing.assert_frame_equal(oi, before_oi)
    pd.testing.assert_frame_equal(pr, before_pr)
    assert list(pr.columns) == list(before_pr.columns)  # no rpos added to the caller's frame


# --- invoice-number keys as integer codes give the keys as text ------------------------------

field = st.one_of(
    st.sampled_from(["", " ", "0", "000", "No.", "NOV-12", "FP2026001", "fp2026001", "A;B;A"]),
    st.integers(0, 10**25).map(str),  # every length: 18 digits and fewer are numbers, more text
    st.integers(0, 10**21).map(lambda n: f"{n:020d}"),  # leading zeros
    st.integers(10**19, 10**20 - 1).map(lambda n: f"No.{n};{n % 10**8:08d}"),  # long and tail
    st.text(alphabet="0１2;、 AbNo.-", max_size=24),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(field, max_size=8), min_size=1, max_size=3))
def test_key_codes_are_equal_exactly_when_the_keys_are(columns):
    series = [pd.Series(c, dtype=object) for c in columns]
    coded = key_codes(series)
    texts, codes = [], []
    for s, k in zip(series, coded):
        plain = invoice_keys(s)
        assert k["pos"].tolist() == plain["pos"].tolist()
        assert k["long"].tolist() == [len(x) > TAIL_DIGITS for x in plain["key"]]
        texts += [*plain["key"], *plain["tail"]]
        codes += [*k["key"], *k["tail"]]
    pairs = pd.DataFrame({"text": texts, "code": codes}).drop_duplicates()
    assert pairs["text"].is_unique and pairs["code"].is_unique


def test_numbers_around_eighteen_digits_keep_their_own_codes():
    nums = ["9" * 18, "1" + "0" * 17, "1" + "0" * 18, "9" * 19, "1" + "0" * 19, "0" * 20]
    (k,) = key_codes([pd.Series(nums)])
    assert len(set(k["key"])) == len(nums)
    assert k["key"].iloc[0] == 10**18 - 1 and k["key"].iloc[-1] == 0  # "000…0" is the key "0"


# --- matching on codes: what matching on text did ---------------------------------------------


def test_the_same_number_at_two_customers_matches_each_its_own_record():
    items = [
        item(document_no="0090000001", reference="26312000000050000001", amount=100),
        item(
            document_no="0090000002", reference="26312000000050000001", amount=200, customer=OTHER
        ),
    ]
    recs = [rec(record_id="R1", invoice_no="No.26312000000050000001", amount=200, customer=OTHER)]
    wl = run(items, recs, custs=[cust(), cust(customer=OTHER, name="另一家医院")])
    assert wl["finding"].tolist() == ["NOT_SUBMITTED", "IN_PROCESS"]
    assert wl["record_id"].tolist() == ["", "R1"]


def test_a_number_two_items_share_gives_the_record_to_both():
    items = [
        item(document_no="0090000001", reference="50000001", amount=100),
        item(document_no="0090000002", reference="0050000001", amount=100),
    ]
    wl = run(items, [rec(invoice_no="50000001", amount=200)])
    assert wl["record_id"].tolist() == ["JS000000000001"] * 2
    assert wl["match_rule"].tolist() == ["invoice_no"] * 2


def test_an_empty_reference_matches_no_record_by_number():
    wl = run([item(reference="", assignment="")], [rec(invoice_no="", amount=999)])
    assert wl["match_rule"].tolist() == [""]


def test_long_numbers_differing_above_their_tail_are_two_invoices():
    long_a, long_b = "1234567890123456789", "234567890123456789"  # 19 and 18 digits, one tail
    wl = run(
        [item(reference=long_a), item(document_no="0090000002", reference="90123456789")],
        [rec(invoice_no=long_b, amount=1)],
    )
    assert wl["match_rule"].tolist() == ["", ""]
    wl = run([item(reference=long_a)], [rec(invoice_no="67890123456789"[-8:], amount=123456)])
    assert wl["match_rule"].tolist() == ["invoice_tail"]


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "out-of-order"])
def test_a_duplicate_key_is_refused_whether_or_not_the_rows_are_in_order(reverse):
    items = [item(), item(document_no="0090000002"), item(document_no="0090000002")]
    recs = [rec(), rec(record_id="JS2"), rec(record_id="JS2")]
    for bad_items, bad_recs, name in ((items, recs[:1], "open_items"), (items[:1], recs, "portal")):
        oi, ci, cu, pr = frames(bad_items[::-1] if reverse else bad_items, bad_recs)
        with pytest.raises(SchemaError, match=f"{name}.*duplicate key"):
            reconcile(oi, ci, cu, pr, as_of=AS_OF)
