"""Accuracy of the reconciliation against the sandbox world's ground truth (small world)."""

from __future__ import annotations

from datetime import date

import pytest

from arsync.jobs.engine.reconcile import reconcile
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import scores, vlookup_baseline, world_frames

KEY_FINDINGS = ("PAID_NOT_APPLIED", "NOT_SUBMITTED", "REJECTED")


@pytest.fixture(scope="module", params=[date(2026, 11, 23), date(2026, 3, 31)], ids=str)
def world(request):
    w = World(size="small", as_of=request.param)
    return w, world_frames(w)


def test_precision_and_recall_per_finding_against_the_truth(world):
    w, f = world
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=w.as_of
    )
    ours = scores(w.truth, wl)
    base = scores(w.truth, vlookup_baseline(f["open_items"], f["customers"], f["portal_records"]))
    print(f"\n{w}: reconcile\n{ours.round(4)}\nVLOOKUP baseline\n{base.round(4)}")
    assert len(wl) == len(w.truth)
    for finding in KEY_FINDINGS:
        assert ours.loc[finding, "truth"] > 0, finding
        assert ours.loc[finding, "precision"] >= 0.99, (finding, ours.loc[finding].to_dict())
        assert ours.loc[finding, "recall"] >= 0.97, (finding, ours.loc[finding].to_dict())
    assert ours["correct"].sum() / ours["truth"].sum() >= 0.99
    # one order split into two equal records without invoice numbers: a person decides
    assert ours.loc["AMBIGUOUS", "truth"] > 0 and ours.loc["AMBIGUOUS", "recall"] >= 0.9
    assert ours.loc["AMBIGUOUS", "precision"] >= 0.9
    # The baseline is what people do today; the engine must do clearly better.
    assert ours["correct"].sum() > base["correct"].sum()


def test_matched_record_is_the_live_record_of_the_truth(world):
    w, f = world
    wl = reconcile(
        f["open_items"], f["cleared_items"], f["customers"], f["portal_records"], as_of=w.as_of
    )
    key = ["company_code", "fiscal_year", "document_no", "line_item"]
    m = w.truth.merge(wl, on=key, suffixes=("_t", ""))
    shown = m["record_id_t"].ne("")
    assert shown.sum() > 100
    assert (m.loc[shown, "record_id"] == m.loc[shown, "record_id_t"]).mean() >= 0.99
    paid = m["finding"].eq("PAID_NOT_APPLIED")
    assert (m.loc[paid, "paid_date"] == m.loc[paid, "paid_date_t"]).all()
