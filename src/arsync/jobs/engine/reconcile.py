"""The reconciliation: SAP open items × portal records → the collectors' worklist.

A pure, deterministic function of frames (no clock, no I/O): the same inputs and
``as_of`` give the same worklist, row for row, whatever their order.  Matching rules are
in ``_match``, the choice between records and the split of multi-invoice records in
``_shares``, findings in ``_findings``, cash-application proposals in ``_clearing`` and
aging / priority in ``_priority``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from arsync.common.frames import (
    CLEARED_ITEMS,
    CUSTOMERS,
    NEXT_ACTIONS,
    OPEN_ITEMS,
    PORTAL_RECORDS,
    WORKLIST,
)
from arsync.common.schema import Schema
from arsync.config.settings import ReconcileSettings
from arsync.jobs.engine import allocation as _shares
from arsync.jobs.engine import clearing as _clearing
from arsync.jobs.engine import credit_memos as _credit_memos
from arsync.jobs.engine import findings as _findings
from arsync.jobs.engine import match as _match
from arsync.jobs.engine import priority as _priority


def reconcile(
    open_items: pd.DataFrame,
    cleared_items: pd.DataFrame,
    customers: pd.DataFrame,
    portal_records: pd.DataFrame,
    *,
    as_of: dt.date | dt.datetime | pd.Timestamp,
    settings: ReconcileSettings = ReconcileSettings(),
    stale_portals: dict[str, dt.datetime] | None = None,
) -> pd.DataFrame:
    """One worklist row per open item (WORKLIST schema), sorted by item key.

    ``stale_portals`` maps a portal that could not be read this run to when it was last
    read; ``portal_records`` then holds its last known records and its items become STALE.
    """
    oi = _checked(open_items, OPEN_ITEMS, "reconcile: open_items")
    ci = CLEARED_ITEMS.validate(cleared_items, "reconcile: cleared_items")
    cu = CUSTOMERS.validate(customers, "reconcile: customers")
    # a new frame either way (validate's shallow copy or the sorted copy): adding and
    # replacing columns below leaves the caller's frame as it was
    recs = _checked(portal_records, PORTAL_RECORDS, "reconcile: portal_records")
    recs["rpos"] = np.arange(len(recs), dtype=np.int64)
    day = pd.Timestamp(as_of).normalize()
    stale = {str(p): pd.Timestamp(t) for p, t in (stale_portals or {}).items()}
    tol = settings.amount_tolerance

    cust_portals = cu.set_index("customer")["portals"].str.replace(r"\s+", "", regex=True)
    portal_of = cust_portals.str.split(";").explode()
    pairs = portal_of.loc[portal_of.fillna("").ne("")].rename("portal").reset_index()
    pairs["name"] = pairs["customer"].map(
        cu.drop_duplicates("customer").set_index("customer")["name"]
    )

    recs["customer"] = _match.map_buyers(recs, cu, pairs)
    items = _match.prepare_items(oi, ci)
    ikeys, rkeys, ckeys = _match.keys(items, recs, ci, len(oi))
    cand, ambiguous = _match.candidates(
        items,
        recs,
        rkeys,
        ikeys,
        pairs,
        tolerance=tol,
        window_days=settings.date_window_days,
    )
    chosen = _shares.choose(cand, recs)
    chosen = _shares.split(chosen, items, recs, rkeys, ckeys)
    del cand, ikeys, rkeys, ckeys  # a million rows each, not needed past here: memory's peak

    memos = _credit_memos.pair(oi, tol)
    rec = _findings.decide(
        oi,
        items,
        chosen,
        ambiguous,
        recs,
        cust_portals,
        stale,
        day,
        tol,
        settings.stuck_days,
        memos,
    )
    rpos = (
        chosen.set_index("ipos")["rpos"]
        .reindex(range(len(oi)))
        .fillna(-1)
        .astype("int64")
        .to_numpy()
    )
    rec["proposed_clearing"] = _clearing.propose(oi, rec["finding"], rpos, recs, day, tol)

    info = cu.set_index("customer")
    # The worklist is built column by column and assembled in its schema's order without
    # consolidating its columns into 2-D blocks (which copied every value twice, ≈ 2 s at a
    # million rows).  The open items' columns are copied, one by one: the worklist shares no
    # array with the caller's frame.
    wl: dict[str, Any] = {c: oi[c].copy() for c in oi.columns}
    for c in ("name", "segment", "collector"):
        wl["customer_name" if c == "name" else c] = (
            oi["customer"].map(info[c]).fillna("").astype(object)
        )
    # a reversed invoice is owed by nobody: not overdue in aging, priority or summaries
    days = _priority.days_overdue(oi, day)
    wl["days_overdue"] = days.where(~memos["reversed"].to_numpy(), days.clip(upper=0))
    wl["aging_bucket"] = _priority.aging(wl["days_overdue"], settings.aging_limits)
    for c in rec.columns:
        wl[c] = _as_kind(rec[c], WORKLIST.kind(c))
    wl["next_action"] = wl["finding"].map(NEXT_ACTIONS).astype(object)
    wl["priority"] = _priority.priority(
        wl["finding"],
        wl["days_overdue"],
        oi["local_amount"],
        wl["stuck"],
        settings.aging_limits,
        settings.priority_amount,
    )
    if sorted(wl) != sorted(WORKLIST.names):  # the schema check names what is off
        return WORKLIST.validate(pd.DataFrame(wl), "reconcile: worklist")
    frame = pd.DataFrame({c: wl[c] for c in WORKLIST.names}, copy=False)
    return _WORKLIST_ROWS.validate(frame, "reconcile: worklist")


def _checked(frame: pd.DataFrame, schema: Schema, where: str) -> pd.DataFrame:
    """``schema.validate(frame)``, sorted by the schema's key (stable, index 0..n-1).

    Rows already in key order (SAP's and the portals' extracts mostly are) are not sorted
    again, which saves factorising and copying a million rows.  The key is checked unique on
    the sorted rows, where a duplicate is the next row, instead of hashing every key; a
    duplicate is then reported by ``schema.validate`` itself, in its words."""
    df = replace(schema, key=()).validate(frame, where)
    by = list(schema.key)
    ties = _ties(df, by)
    if ties is None:
        df = df.sort_values(by, kind="stable", ignore_index=True)
        ties = _ties(df, by)
    if ties is None or len(ties):
        schema.validate(frame, where)  # raises SchemaError: duplicate key …
    return df


def _ties(df: pd.DataFrame, by: list[str]) -> np.ndarray | None:
    """``None`` unless each row is ≤ the next in the order of ``by`` (column by column, in
    Python's order of values: what ``sort_values`` gives for text); then the positions of the
    rows equal to the next one on all of ``by``."""
    at = np.arange(max(len(df) - 1, 0))
    for c in by:
        if not len(at):
            break
        v = df[c].to_numpy()
        a, b = v[at], v[at + 1]
        if (b < a).any():
            return None
        at = at[b == a]
    return at


# The worklist has one row per open item, and the open items' key (the worklist's) was checked
# when they came in: checking a million keys again would find nothing new.
_WORKLIST_ROWS = replace(WORKLIST, key=())


# Values are what ``Series.astype`` takes; pandas-stubs types it by overloads per literal.
_DTYPES: dict[str, Any] = {
    "str": object,
    "int": "int64",
    "int?": "Int64",
    "float": "float64",
    "date": "datetime64[ns]",
    "bool": bool,
}


def _as_kind(s: pd.Series, kind: str) -> pd.Series:
    """Cast to the declared dtype (cheaper than Schema.coerce, which re-maps every string)."""
    out: pd.Series = s.reset_index(drop=True).astype(_DTYPES[kind])
    return out
