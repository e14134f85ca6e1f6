"""Promises to pay, judged: the rule, the facts it reads, and what a judgement does to an item.

**The rule** (:func:`judge`) follows SAP FSCM Collections Management's valuation of promises to
pay, program FDM_P2P_JUDGE (reference/collections-kpis.md §4): a promise is judged over a
window that ends ``grace_days`` after the promised date (SAP's *tolerance days*), counting
what the customer paid by then.  With ``P`` the promised amount, ``τ`` the amount tolerance,
``D`` the as-of date and ``W = promised date + grace_days`` the end of the window:

============================  ===========================================================
state                          when (checked in this order)
============================  ===========================================================
``kept``                       paid by ``min(D, W)`` ≥ P − τ, and SAP has applied ≥ P − τ
``kept_pending``               paid by ``min(D, W)`` ≥ P − τ, but only the portal shows it:
                               kept — pending cash application
``open``                       D ≤ W (the window is still running)
``partly_kept``                0 < paid by W < P − τ (``short`` = P − paid)
``broken``                     nothing paid by W (``short`` = P)
============================  ===========================================================

"Paid by a date" counts money paid on or after the day the promise was made (``made_on``:
what was paid before is not what was promised), and is the larger of what SAP applied by then (partial payments on their posting
date, the rest of the invoice on its clearing date) and what the portal reports paid by then:
the two describe the same money, so they are never added.  Money paid after the window does
not mend a promise (SAP judges once the window closes), but cash the portal saw paid in time
and SAP applies later turns ``kept_pending`` into ``kept``.  A promise made on several items
of one customer for one date is judged once more as a whole (promised and paid summed over
its items): the per-customer judgement.

All amounts are integer minor units of the promise's currency; dates are ``datetime.date``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

#: Valuation states, in the order the rule checks them.
STATES = ("kept", "kept_pending", "open", "partly_kept", "broken")
#: States that lower an item's standing with us: they raise its priority.
NOT_KEPT = ("partly_kept", "broken")


@dataclass(frozen=True)
class Payment:
    """Money seen against an item: ``amount`` minor units on ``on``, from ``source``
    (``"sap"``: applied in SAP; ``"portal"``: the customer's portal shows it paid)."""

    on: date
    amount: int
    source: str


@dataclass(frozen=True)
class Judgement:
    state: str  # one of STATES
    paid: int  # minor units paid within the window (so far, while open)
    short: int  # promised − paid for partly_kept / broken, else 0
    window_end: date  # promised date + grace days


def judge(
    promised: int,
    promised_date: date,
    as_of: date,
    payments: Iterable[Payment],
    *,
    grace_days: int = 0,
    tolerance: int = 0,
    made_on: date | None = None,
) -> Judgement:
    """Judge one promise of ``promised`` minor units by ``promised_date`` as of ``as_of``.

    ``payments`` is every payment seen against the promise's item(s), from SAP and from the
    portal; those before ``made_on`` (when given) do not count.  ``grace_days`` ≥ 0 (days), ``tolerance`` ≥ 0 (minor units).  The rule is the
    module's table.  Raises ``ValueError`` for a negative promise, grace or tolerance.
    """
    if promised < 0 or grace_days < 0 or tolerance < 0:
        raise ValueError("promised amount, grace days and tolerance must not be negative")
    window_end = promised_date + timedelta(days=grace_days)
    upto = min(as_of, window_end)
    pays = [p for p in payments if made_on is None or p.on >= made_on]
    sap_in_time = sum(p.amount for p in pays if p.source == "sap" and p.on <= upto)
    portal_in_time = sum(p.amount for p in pays if p.source == "portal" and p.on <= upto)
    sap_now = sum(p.amount for p in pays if p.source == "sap" and p.on <= as_of)
    paid = max(sap_in_time, portal_in_time)
    target = promised - tolerance
    if paid >= target:
        state = "kept" if sap_now >= target else "kept_pending"
        return Judgement(state, paid, 0, window_end)
    if as_of <= window_end:
        return Judgement("open", paid, 0, window_end)
    if paid > 0:
        return Judgement("partly_kept", paid, promised - paid, window_end)
    return Judgement("broken", 0, promised, window_end)


def judge_group(
    promised: Sequence[int],
    promised_date: date,
    as_of: date,
    payments: Iterable[Payment],
    *,
    grace_days: int = 0,
    tolerance: int = 0,
    made_on: date | None = None,
) -> Judgement:
    """A promise made on several items of one customer for one date, judged as a whole:
    the items' promised amounts summed against every payment on any of them."""
    return judge(
        sum(promised),
        promised_date,
        as_of,
        payments,
        grace_days=grace_days,
        tolerance=tolerance,
        made_on=made_on,
    )


def paid_before(payments: Iterable[Payment], day: date) -> int:
    """What SAP applied before ``day`` (minor units): a promise without an amount is for the
    item's amount less this."""
    return sum(p.amount for p in payments if p.source == "sap" and p.on < day)


# --- the facts: what SAP and the portals say was paid against each item --------------------


def item_payments(
    keys: Iterable[tuple[str, str, str, str]],
    open_items: pd.DataFrame,
    cleared_items: pd.DataFrame,
    worklist: pd.DataFrame,
) -> dict[tuple[str, str, str, str], list[Payment]]:
    """Payments seen against each item key ``(company_code, fiscal_year, document_no,
    line_item)`` in the canonical frames:

    - SAP, partial payments: credit items (not credit memos, ``doc_type`` ≠ DG) of the same
      company code and customer whose ``invoice_ref`` (REBZG) is the item's document number,
      each on its posting date;
    - SAP, clearing: an item in ``cleared_items`` adds, on its clearing date, its amount less
      the partial payments above and less any residual item (a debit that refers to it);
    - portal: a worklist row with status PAID adds its ``portal_amount`` (else the item's
      amount) on its ``paid_date``.
    """
    wanted = set(keys)
    out: dict[tuple[str, str, str, str], list[Payment]] = {k: [] for k in wanted}
    if not wanted:
        return out
    items = pd.concat(
        [open_items.assign(is_cleared=False), cleared_items.assign(is_cleared=True)],
        ignore_index=True,
    )
    refs = items[items["invoice_ref"].ne("")]
    partial = refs[refs["amount"].lt(0) & refs["doc_type"].ne("DG")]
    residual = refs[refs["amount"].gt(0)]
    part_by: dict[tuple[str, str, str], list[tuple[date, int]]] = {}
    for cc, cust, ref, day, amt in zip(
        partial["company_code"],
        partial["customer"],
        partial["invoice_ref"],
        partial["posting_date"],
        partial["amount"],
    ):
        part_by.setdefault((cc, cust, ref), []).append((_day(day), -int(amt)))
    resid_by: dict[tuple[str, str, str], int] = {}
    for cc, cust, ref, amt in zip(
        residual["company_code"], residual["customer"], residual["invoice_ref"], residual["amount"]
    ):
        resid_by[cc, cust, ref] = resid_by.get((cc, cust, ref), 0) + int(amt)

    key_cols = ["company_code", "fiscal_year", "document_no", "line_item"]
    mine = items[pd.MultiIndex.from_frame(items[key_cols]).isin(list(wanted))]
    for k, cust, amount, is_cleared, cleared_on in zip(
        _keys(mine),
        mine["customer"].astype(str),
        mine["amount"].astype("int64"),
        mine["is_cleared"],
        mine["clearing_date"] if "clearing_date" in mine else [pd.NaT] * len(mine),
    ):
        ref = (k[0], cust, k[2])
        parts = part_by.get(ref, [])
        out[k].extend(Payment(d, a, "sap") for d, a in parts)
        if is_cleared and not pd.isna(cleared_on):
            rest = int(amount) - sum(a for _, a in parts) - resid_by.get(ref, 0)
            if rest > 0:
                out[k].append(Payment(_day(cleared_on), rest, "sap"))
    wl = worklist[worklist["status"].eq("PAID") & worklist["paid_date"].notna()]
    wl = wl[pd.MultiIndex.from_frame(wl[key_cols]).isin(list(wanted))]
    shown = wl["portal_amount"].fillna(wl["amount"]).astype("int64")
    for k, paid_on, amount in zip(_keys(wl), wl["paid_date"], shown):
        out[k].append(Payment(_day(paid_on), int(amount), "portal"))
    return out


def _keys(df: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    return list(
        zip(
            df["company_code"].astype(str),
            df["fiscal_year"].astype(str),
            df["document_no"].astype(str),
            df["line_item"].astype(str),
        )
    )


def _day(v: object) -> date:
    return pd.Timestamp(v).date()  # type: ignore[arg-type]


# --- what a judgement does to the worklist -----------------------------------------------


def raise_priority(priority: pd.Series, not_kept: pd.Series, steps: int = 1) -> pd.Series:
    """Priority (1 = most urgent … 5) after promises: an item whose latest promise is
    partly kept or broken moves ``steps`` more urgent, never above 1."""
    p = priority.to_numpy() - steps * not_kept.to_numpy().astype("int64")
    return pd.Series(np.clip(p, 1, 5).astype("int64"), index=priority.index)


def due_flag(day: date | None, as_of: date) -> str:
    """``today`` when ``day`` is the as-of date, ``overdue`` when it has passed, else ''."""
    if day is None:
        return ""
    if day == as_of:
        return "today"
    return "overdue" if day < as_of else ""
