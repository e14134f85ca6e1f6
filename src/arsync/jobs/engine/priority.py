"""Days overdue, aging bucket and priority of each worklist row.

Priority, 1 = most urgent, 5 = least; it starts from what the finding asks of us and
moves for money and time:

- base by finding: REJECTED 1 (we must fix and resubmit before anyone pays); NOT_SUBMITTED,
  PAID_NOT_APPLIED, AMOUNT_MISMATCH 2 (work on our side with money behind it);
  AMBIGUOUS, STALE, UNAPPLIED_CREDIT, NO_PORTAL 3; IN_PROCESS 4;
- one step more urgent each for: overdue beyond the fourth aging limit (default 90 days),
  an amount of at least ``priority_amount`` minor units of the local currency, and an item
  stuck at one portal stage;
- one step less urgent for IN_PROCESS / NO_PORTAL items not yet due;
- clipped to 1..5;
- REVERSED (an invoice and the red-letter credit memo that cancels it) is always 5: nothing
  is owed, only a clearing to post.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

BASE = {
    "REJECTED": 1,
    "NOT_SUBMITTED": 2,
    "PAID_NOT_APPLIED": 2,
    "AMOUNT_MISMATCH": 2,
    "AMBIGUOUS": 3,
    "STALE": 3,
    "UNAPPLIED_CREDIT": 3,
    "NO_PORTAL": 3,
    "IN_PROCESS": 4,
    "REVERSED": 5,
}


def days_overdue(oi: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """as_of − net due date in days (negative when not yet due); baseline / document date when
    the due date is missing, 0 when no date at all."""
    due = oi["due_date"].fillna(oi["baseline_date"]).fillna(oi["document_date"])
    days: pd.Series = (as_of - due).dt.days
    return days.fillna(0).astype("int64")


def bucket_labels(limits: list[int]) -> list[str]:
    """``[0, 30, 60]`` → ``not due, 1-30, 31-60, >60`` (the default limits give AGING_BUCKETS)."""
    labels = ["not due" if limits[0] == 0 else f"<={limits[0]}"]
    labels += [f"{a + 1}-{b}" for a, b in itertools.pairwise(limits)]
    return [*labels, f">{limits[-1]}"]


def aging(days: pd.Series, limits: list[int]) -> pd.Series:
    edges = np.asarray(limits)
    idx = np.searchsorted(edges, days.to_numpy(), side="left")
    return pd.Series(
        np.asarray(bucket_labels(limits), dtype=object)[idx], index=days.index, dtype=object
    )


def priority(
    finding: pd.Series,
    days: pd.Series,
    local_amount: pd.Series,
    stuck: pd.Series,
    limits: list[int],
    large: int,
) -> pd.Series:
    p = finding.map(BASE).astype("int64").to_numpy()
    late = limits[min(3, len(limits) - 1)]
    p = p - (days.to_numpy() > late) - (local_amount.abs().to_numpy() >= large) - stuck.to_numpy()
    calm = finding.isin(["IN_PROCESS", "NO_PORTAL"]).to_numpy() & (days.to_numpy() <= 0)
    p = np.where(finding.eq("REVERSED").to_numpy(), 5, p + calm)
    return pd.Series(np.clip(p, 1, 5).astype("int64"), index=finding.index)
