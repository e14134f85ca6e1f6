"""The engine's fast paths give what the plain paths give (issue 15, reconciliation at scale)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from tests.test_reconcile import AS_OF, OTHER, frames, item, rec

from arsync.jobs.engine.reconcile import _in_order, reconcile

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
        assert _in_order(frame, by) == expected


def test_ties_on_the_first_columns_are_decided_by_the_later_ones():
    by = ["a", "b"]
    df = pd.DataFrame({"a": ["x", "x", "y"], "b": ["2", "1", "0"]}, dtype=object)
    assert not _in_order(df, by)
    assert _in_order(df.iloc[[1, 0, 2]].reset_index(drop=True), by)
    assert _in_order(df.iloc[:0], by) and _in_order(df.iloc[:1], by)


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
    assert _in_order(oi_sorted, key) and not _in_order(pr, ["portal", "account", "record_id"])
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
