"""Which open items a customer is reminded of, and at which level (polite / firm / final).

Pure: frames in, frames out.  **An item needs a reminder** when it is owed to us (amount > 0),
at least ``min_days_overdue`` days overdue and none of these holds (the reason kept in
``excluded``):

=====================  ==================================================================
``disputed``           an open dispute: the dispute is worked, not dunned
``dunning_block``      SAP's dunning block (MANSP) is set
``paid_not_applied``   the portal shows it paid: cash application, not the customer
``in_process``         moving through the customer's portal, not stuck (stuck ones are dunned)
``our_action``         NOT_SUBMITTED / REJECTED: we must submit or fix it first
``check_first``        AMBIGUOUS / AMOUNT_MISMATCH / STALE: a person looks first
``promised``           a promise to pay is open for a date not yet past (with its grace days)
=====================  ==================================================================

**The level** of a customer's reminder is the highest of: by age — *final* from
``final_days`` overdue, *firm* from ``firm_days``, else *polite*; by promises — *firm* after a
promise not kept (partly kept or broken) on an item listed, *final* after two; by the ladder —
one level above the last reminder sent (SAP's dunning levels rise one per dunning run).  A
customer reminded less than ``interval_days`` ago gets none (SAP's dunning interval).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

LEVELS = ("polite", "firm", "final")
RANK = {lv: i for i, lv in enumerate(LEVELS)}

CUSTOMER_COLUMNS = ["customer", "level", "why", "items", "max_days_overdue", "broken_promise"]
EXCLUDED_COLUMNS = ["item_key", "customer", "why"]


@dataclass(frozen=True)
class DunningRules:
    min_days_overdue: int = 1
    firm_days: int = 30
    final_days: int = 90
    interval_days: int = 7
    grace_days: int = 0  # a promise is open until promised date + grace days


@dataclass(frozen=True)
class Dunning:
    items: pd.DataFrame  # worklist rows to list, with item_key
    customers: pd.DataFrame  # CUSTOMER_COLUMNS: one row per customer to remind
    excluded: pd.DataFrame  # EXCLUDED_COLUMNS: overdue items left out, and why
    skipped: pd.DataFrame  # customers reminded within the interval: customer, last, level


def item_key(df: pd.DataFrame) -> pd.Series:
    if df.empty:
        return pd.Series([], dtype=object, index=df.index)
    return (
        df["company_code"].astype(str)
        + "|"
        + df["fiscal_year"].astype(str)
        + "|"
        + df["document_no"].astype(str)
        + "|"
        + df["line_item"].astype(str)
    )


def choose(
    worklist: pd.DataFrame,
    *,
    as_of: date,
    rules: DunningRules,
    disputed: set[str] | frozenset[str] = frozenset(),
    promises: pd.DataFrame | None = None,
    last_reminders: Mapping[str, Mapping[str, object]] | None = None,
    drafted: Mapping[str, Mapping[str, object]] | None = None,
) -> Dunning:
    """The reminders due at ``as_of``.  ``promises``: item_key, promised_date, state
    (engine.promises STATES); ``last_reminders``: customer → {level, as_of} of the newest
    reminder sent (the ladder); ``drafted``: of the newest drafted or sent (the interval; by
    default the sent ones)."""
    wl = worklist.copy()
    wl["item_key"] = item_key(wl)
    overdue = wl[(wl["amount"] > 0) & (wl["days_overdue"] >= rules.min_days_overdue)]
    why = pd.Series("", index=overdue.index, dtype=object)

    def mark(mask: pd.Series, reason: str) -> None:
        why.loc[mask & (why == "")] = reason

    f = overdue["finding"]
    mark(overdue["item_key"].isin(disputed), "disputed")
    mark(overdue["dunning_block"].fillna("").astype(str).str.strip() != "", "dunning_block")
    mark(f == "PAID_NOT_APPLIED", "paid_not_applied")
    mark((f == "IN_PROCESS") & ~overdue["stuck"].fillna(False).astype(bool), "in_process")
    mark(f.isin(["NOT_SUBMITTED", "REJECTED"]), "our_action")
    mark(f.isin(["AMBIGUOUS", "AMOUNT_MISMATCH", "STALE", "UNAPPLIED_CREDIT"]), "check_first")
    open_promise, not_kept = _promises(promises, as_of, rules.grace_days)
    mark(overdue["item_key"].isin(open_promise), "promised")

    listed = overdue[why == ""]
    excluded = pd.DataFrame(
        {"item_key": overdue["item_key"], "customer": overdue["customer"], "why": why}
    )[why != ""].reset_index(drop=True)

    rows, skipped = [], []
    last = dict(last_reminders or {})
    recent = dict(drafted if drafted is not None else last)
    for customer, g in listed.groupby("customer", sort=True):
        prev = last.get(str(customer))
        near = recent.get(str(customer))
        if near is not None and _days_since(near.get("as_of"), as_of) < rules.interval_days:
            skipped.append(
                {"customer": customer, "last": near.get("as_of"), "level": near.get("level")}
            )
            continue
        days = int(g["days_overdue"].max())
        level, reasons = "polite", [f"{days} days overdue"]
        if days >= rules.final_days:
            level = "final"
        elif days >= rules.firm_days:
            level = "firm"
        kept_not = not_kept[not_kept["item_key"].isin(set(g["item_key"]))]
        broken_on = None
        if len(kept_not):
            n = len(kept_not)
            reasons.append(f"{n} promise(s) not kept")
            level = _max(level, "final" if n >= 2 else "firm")
            broken_on = max(kept_not["promised_date"])
        if prev is not None and prev.get("level") in RANK:
            up = LEVELS[min(RANK[str(prev["level"])] + 1, len(LEVELS) - 1)]
            if RANK[up] > RANK[level]:
                reasons.append(f"reminded ({prev['level']}) on {prev.get('as_of')}")
                level = up
        rows.append(
            {
                "customer": customer,
                "level": level,
                "why": "; ".join(reasons),
                "items": len(g),
                "max_days_overdue": days,
                "broken_promise": broken_on,
            }
        )
    customers = pd.DataFrame(rows, columns=CUSTOMER_COLUMNS)
    chosen = set(customers["customer"])
    return Dunning(
        items=listed[listed["customer"].isin(chosen)].reset_index(drop=True),
        customers=customers,
        excluded=excluded,
        skipped=pd.DataFrame(skipped, columns=["customer", "last", "level"]),
    )


def _promises(
    promises: pd.DataFrame | None, as_of: date, grace: int
) -> tuple[set[str], pd.DataFrame]:
    empty = pd.DataFrame(columns=["item_key", "promised_date"])
    if promises is None or promises.empty:
        return set(), empty
    p = promises.copy()
    p["promised_date"] = pd.to_datetime(p["promised_date"]).dt.date
    window_open = p["promised_date"].map(lambda d: d + timedelta(days=grace) >= as_of)
    open_ = p[(p["state"] == "open") & window_open]
    not_kept = p[p["state"].isin(["partly_kept", "broken"])]
    return set(open_["item_key"]), not_kept[["item_key", "promised_date"]]


def _days_since(day: object, as_of: date) -> int:
    if day is None or (isinstance(day, float) and pd.isna(day)):
        return 10**6
    d = pd.Timestamp(day).date()  # type: ignore[arg-type]
    return (as_of - d).days


def _max(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b
