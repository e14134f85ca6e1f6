"""The aging report: buckets as on the worksheets, totals per currency that equal the open items
exactly (on the medium world), never CNY added to JPY, and a native Excel chart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from arsync.common.money import to_major
from arsync.jobs.engine.priority import bucket_labels
from arsync.jobs.engine.reconcile import reconcile
from arsync.reports.aging import aging_table, aging_xlsx
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)
BUCKETS = bucket_labels([0, 30, 60, 90, 180, 365])


@pytest.fixture(scope="module")
def medium():
    f = world_frames(World(size="medium", as_of=AS_OF))
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=AS_OF
    )
    return f["open_items"], wl


@pytest.mark.slow
@pytest.mark.parametrize("by", ["customer", "collector", "segment", "company-code"])
def test_totals_per_currency_equal_the_open_items_exactly(medium, by, tmp_path):
    open_items, wl = medium
    assert len(wl) == len(open_items) > 20_000
    data = aging_xlsx(wl, by=by, buckets=BUCKETS, as_of=AS_OF, language="both")
    path = tmp_path / "aging.xlsx"
    path.write_bytes(data)
    wb = openpyxl.load_workbook(path)
    aging, totals = wb.worksheets
    expected = {
        cur: to_major(int(total), cur)
        for cur, total in open_items.groupby("currency")["amount"].sum().items()
    }
    assert set(expected) == {"CNY", "JPY"}
    # the Totals sheet: one row per currency, its buckets add up to its total
    head = [c.value for c in totals[1]]
    got = {}
    for row in totals.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        buckets = [Decimal(str(v)) for v in row[1 : len(BUCKETS) + 1]]
        got[row[0]] = Decimal(str(row[len(head) - 1]))
        assert sum(buckets) == got[row[0]]
    assert got == expected
    # the Aging sheet: its groups add up to the same total per currency, currency by currency
    heads = [c.value for c in aging[2]]
    cur_col, total_col = heads.index("币种 Currency"), len(heads) - 1
    sums: dict[str, Decimal] = {}
    total_rows = {}
    for row in aging.iter_rows(min_row=3, values_only=True):
        if row[0] == "合计 Total":
            total_rows[row[cur_col]] = Decimal(str(row[total_col]))
        else:
            sums[row[cur_col]] = sums.get(row[cur_col], Decimal(0)) + Decimal(str(row[total_col]))
    assert sums == total_rows == expected
    assert len(totals._charts) == 2  # a native bar chart per currency


def test_buckets_are_the_worksheets_and_credits_count_with_their_sign(medium):
    _, wl = medium
    small = wl[wl["customer"].isin(sorted(set(wl["customer"]))[:5])]
    t = aging_table(small, "customer", BUCKETS)
    assert [c for c in t.columns if c in BUCKETS] == BUCKETS  # all, in the worksheets' order
    for rec in t.to_dict("records"):
        rows = small[(small["customer"] == rec["key"]) & (small["currency"] == rec["currency"])]
        for b in BUCKETS:
            assert rec[b] == rows.loc[rows["aging_bucket"] == b, "amount"].sum()
        assert rec["total"] == rows["amount"].sum() and rec["items"] == len(rows)
