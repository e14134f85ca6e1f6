"""The expected collection date: Kaplan–Meier by hand, the rules in order, and the estimate
against the sandbox world's ground truth (it must beat the due date in every segment)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from arsync.config.settings import ReconcileSettings
from arsync.jobs.engine import paydate
from arsync.jobs.engine.reconcile import reconcile
from arsync.jobs.engine.survival import Survival
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import stage_history, world_frames

KEY = paydate.KEY


def test_kaplan_meier_by_hand():
    # 10, 20 (censored), 30, 40: S(10) = 3/4; at 30 two at risk: S(30) = 3/4 · 1/2; S(40) = 0
    s = Survival.fit(np.array([10, 20, 30, 40]), np.array([True, False, True, True]))
    assert s.at(5) == 1.0
    assert s.at(10) == pytest.approx(0.75)
    assert s.at(25) == pytest.approx(0.75)
    assert s.at(30) == pytest.approx(0.375)
    assert s.at(40) == 0.0
    assert s.quantile_after(0, cured=False) == 30  # S(30) = 0.375 ≤ 0.5
    assert s.quantile_after(25, cured=False) == 30  # 0.375 ≤ 0.75 / 2
    assert s.quantile_after(35, cured=False) == 40
    assert s.between(25, 25, 30) == pytest.approx(0.5)


def test_the_share_that_never_ends_is_set_apart_for_old_items():
    # half pay at 10 days, half never (censored at 100): an item 50 days old is among the
    # never-payers by the plain curve, but the cure model gives it the payers' pace
    s = Survival.fit(np.array([10] * 5 + [100] * 5), np.array([True] * 5 + [False] * 5))
    assert s.floor == pytest.approx(0.5)
    assert s.quantile_after(50, cured=False) is None
    assert s.quantile_after(0, cured=True) == 10


def _row(**kw):
    base = dict(
        company_code="1000",
        fiscal_year="2026",
        document_no="1",
        line_item="001",
        customer="K1",
        segment="hospital",
        document_date=pd.Timestamp("2026-09-01"),
        due_date=pd.Timestamp("2026-10-01"),
        status="",
        status_date=pd.NaT,
        expected_pay_date=pd.NaT,
    )
    return base | kw


def _model(as_of=date(2026, 11, 23)):
    curve = Survival.fit(np.arange(30, 130, 10), np.ones(10, bool))  # 30, 40, … 120 days
    stage = Survival.fit(np.full(30, 20), np.ones(30, bool))  # 20 days from the stage
    return paydate.PayModel(
        as_of, {"": curve, "hospital": curve}, {("", "APPROVED"): stage, ("", "PAID"): stage}
    )


def test_rules_in_order_portal_promise_history_due_date():
    m = _model()
    items = pd.DataFrame(
        [
            _row(document_no="1", status="APPROVED", status_date=pd.Timestamp("2026-11-16")),
            _row(document_no="2"),
            _row(document_no="3", document_date=pd.NaT, due_date=pd.Timestamp("2026-12-10")),
            _row(document_no="4"),
        ]
    )
    promises = pd.DataFrame([dict(_row(document_no="4"), promise_date=pd.Timestamp("2026-12-02"))])
    got = paydate.estimate(items, m, promises=promises[[*KEY, "promise_date"]])
    assert got["source"].tolist() == ["portal", "history", "due_date", "promise"]
    # approved 7 days ago, 20 days from the stage: 2026-12-06 is a Sunday → Monday 12-07
    assert got["expected_date"].iloc[0] == pd.Timestamp("2026-12-07")
    # 83 days old: the next payment time past 83 is 90, half of what is left by 100 days
    assert got["expected_date"].iloc[1] == pd.Timestamp("2026-09-01") + pd.Timedelta(days=100)
    assert got["expected_date"].iloc[2] == pd.Timestamp("2026-12-10")
    assert got["expected_date"].iloc[3] == pd.Timestamp("2026-12-02")
    assert got["confidence"].iloc[2] == 0.0


def test_dates_fall_on_chinese_working_days():
    m = _model(date(2026, 9, 20))
    # approved on 09-12, 20 days later is 10-02, inside the National Day week: first working day
    items = pd.DataFrame([_row(status="APPROVED", status_date=pd.Timestamp("2026-09-12"))])
    got = paydate.estimate(items, m)
    assert got["expected_date"].iloc[0] == pd.Timestamp("2026-10-08")


def evaluate(as_of: date, cleared_days: int = 400, horizon: int = 540) -> pd.DataFrame:
    """Per item: the estimate, the due date and the SAP clearing date ``horizon`` days on."""
    w = World(20261123, "small", as_of)
    fr = world_frames(w)
    since = as_of - timedelta(days=cleared_days)
    cleared = fr["cleared_items"]
    cleared = cleared[cleared["clearing_date"] >= pd.Timestamp(since)].reset_index(drop=True)
    wl = reconcile(
        fr["open_items"],
        cleared,
        fr["customers"],
        fr["portal_records"],
        as_of=as_of,
        settings=ReconcileSettings(),
    )
    wl = wl[(wl["amount"] > 0) & (wl["special_gl"] == "")].reset_index(drop=True)
    stages = stage_history(w)
    model = paydate.learn(fr["open_items"], cleared, fr["customers"], stages, as_of, since)
    est = paydate.estimate(wl, model, stages=stages)
    later = w.at(as_of + timedelta(days=horizon)).ledger.rename(
        columns={
            "BUKRS": "company_code",
            "GJAHR": "fiscal_year",
            "BELNR": "document_no",
            "BUZEI": "line_item",
        }
    )[[*KEY, "AUGDT"]]
    return wl[[*KEY, "segment", "due_date"]].merge(est, on=KEY).merge(later, on=KEY)


def test_the_estimate_beats_the_due_date_in_every_segment_of_the_world():
    df = evaluate(date(2026, 11, 23))
    paid = df[df["AUGDT"].notna()]
    err = (paid["expected_date"] - paid["AUGDT"]).dt.days.abs()
    base = (paid["due_date"] - paid["AUGDT"]).dt.days.abs()
    by = pd.DataFrame({"seg": paid["segment"], "err": err, "base": base}).groupby("seg").mean()
    assert set(by.index) == {"academic", "commercial", "government", "hospital"}
    assert (by["err"] < by["base"]).all(), by
    assert err.mean() < 0.5 * base.mean(), by
    assert set(df["source"]) <= {"portal", "history", "promise", "due_date"}
    assert df["confidence"].between(0, 1).all()
