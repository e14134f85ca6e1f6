"""The expected-payment-date estimate against the sandbox world's ground truth; prints, asserts nothing.

    .venv/bin/python bench/eval_paydate.py                       # small world, 2026-11-23
    .venv/bin/python bench/eval_paydate.py --as-of 2026-03-02 --size medium

On the as-of date the pipeline's frames (open items, cleared items read for ``--cleared-days``,
customers, portal records), the worklist and the stage history a daily run would have kept are
what the estimator sees; the truth is the SAP clearing date of each open debit item in the same
world ``--horizon`` days later.  Items not cleared by then are counted, not scored.  Mean
absolute error in days, by segment, for the estimate and two baselines: the due date, and the
due date or tomorrow when it has passed.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import numpy as np
import pandas as pd

from arsync.config.settings import ReconcileSettings
from arsync.jobs.engine import paydate
from arsync.jobs.engine.reconcile import reconcile
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import stage_history, world_frames

KEY = paydate.KEY


def evaluate(
    seed: int = 20261123,
    size: str = "small",
    as_of: date = date(2026, 11, 23),
    cleared_days: int = 400,
    horizon: int = 540,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-item frame with truth and estimates, MAE table by segment)."""
    w = World(seed, size, as_of)
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
    later = World(seed, size, as_of + timedelta(days=horizon)).ledger
    later = later.rename(
        columns={
            "BUKRS": "company_code",
            "GJAHR": "fiscal_year",
            "BELNR": "document_no",
            "BUZEI": "line_item",
        }
    )[[*KEY, "AUGDT"]]
    df = (
        wl[[*KEY, "segment", "due_date", "local_amount"]]
        .merge(est, on=KEY)
        .merge(later, on=KEY, how="left")
    )
    t = pd.Timestamp(as_of)
    df["paid"] = df["AUGDT"].notna()
    df["err"] = (df["expected_date"] - df["AUGDT"]).dt.days.abs()
    df["err_due"] = (df["due_date"] - df["AUGDT"]).dt.days.abs()
    due_or_tomorrow = df["due_date"].where(df["due_date"] > t, t + pd.Timedelta(days=1))
    df["err_due_tomorrow"] = (due_or_tomorrow - df["AUGDT"]).dt.days.abs()
    scored = df[df["paid"]]
    table = scored.groupby("segment").agg(
        items=("err", "size"),
        mae=("err", "mean"),
        mae_due=("err_due", "mean"),
        mae_due_or_tomorrow=("err_due_tomorrow", "mean"),
        median_err=("err", "median"),
    )
    table.loc["all"] = [
        len(scored),
        scored["err"].mean(),
        scored["err_due"].mean(),
        scored["err_due_tomorrow"].mean(),
        scored["err"].median(),
    ]
    table["not_cleared"] = df[~df["paid"]].groupby("segment").size().reindex(table.index).fillna(0)
    table.loc["all", "not_cleared"] = (~df["paid"]).sum()
    return df, table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--size", default="small")
    ap.add_argument("--as-of", default="2026-11-23")
    ap.add_argument("--cleared-days", type=int, default=400)
    args = ap.parse_args()
    df, table = evaluate(args.seed, args.size, date.fromisoformat(args.as_of), args.cleared_days)
    pd.set_option("display.width", 160)
    print(table.round(1).to_string())
    print()
    print(
        df.groupby("source")
        .agg(items=("err", "size"), mae=("err", "mean"), conf=("confidence", "mean"))
        .round(2)
        .to_string()
    )
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()
