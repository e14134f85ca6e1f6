"""Pick one record per item, and split a record's amounts over the invoices it covers.

Choice: when several records match an item, the newest by status date is the invoice's
state (a rejected invoice resubmitted as a new record: the resubmission; a live record rejected
later: the rejection); the others are its history, named in the reason.  Where a candidate shows
no status date, a live record wins over a REJECTED one and a REJECTED over a CANCELLED one, then
the newest.  Ties: live before dead, the most recent read, then portal and id (so that the
result never depends on input order).

Split: a record that pays several invoices carries their total.  Each open item gets a
share in proportion to its invoice amount among all invoices the record covers —
including invoices already cleared in SAP, so that an item does not inherit their money.
Shares are integers that add up to the record amount exactly (cumulative rounding).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DEAD_RANK = {"REJECTED": 1, "CANCELLED": 2}


def choose(cand: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
    """One row per item: ``ipos, rpos, rule, confidence, n_records`` (records that matched) and
    ``history``: the other records, newest first, ``, ``-separated
    (``hosp-sh/JS01 rejected 2026-10-01 (reason)``).  ``rpos`` is a row's position in
    ``recs``."""
    rp = cand["rpos"].to_numpy(dtype=np.int64)
    c = cand.copy()
    c["_dead"] = _dead_rank(recs["status"].to_numpy()[rp])
    c["_date"] = recs["status_date"].to_numpy()[rp]
    c["_read"] = recs["fetched_at"].to_numpy()[rp]
    c["n_records"] = c.groupby("ipos")["rpos"].transform("size").astype("int64")
    undated = c["_date"].isna()
    c["_first"] = 0
    if undated.any():  # without dates, live before dead decides first
        some = undated.groupby(c["ipos"]).transform("any")
        c["_first"] = c["_dead"].where(some, 0)
    # rpos follows (portal, account, record_id): the last tie-break costs no string sort.
    c = c.sort_values(
        ["ipos", "_first", "_date", "_dead", "_read", "rpos"],
        ascending=[True, True, False, True, False, True],
        na_position="last",
        kind="stable",
    )
    out = c.drop_duplicates("ipos", keep="first")
    out = out[["ipos", "rpos", "rule", "confidence", "n_records"]].reset_index(drop=True)
    rest = c.loc[c.duplicated("ipos", keep="first"), ["ipos", "rpos"]]
    out["history"] = ""
    if len(rest):
        top = rest.loc[rest.groupby("ipos").cumcount().to_numpy() < 3]
        hist = _history(top, recs).groupby(top["ipos"].to_numpy()).agg(", ".join)
        more = rest.groupby("ipos").size().sub(3)
        more = more.loc[more.gt(0)]
        hist.loc[more.index] = hist.loc[more.index] + ", … " + more.astype(str) + " more"
        out["history"] = out["ipos"].map(hist).fillna("").astype(object)
    return out


def _dead_rank(status: np.ndarray) -> np.ndarray:
    """0 for a live status, then ``_DEAD_RANK`` (REJECTED 1, CANCELLED 2)."""
    rank = np.zeros(len(status), dtype=np.float64)
    for word, n in _DEAD_RANK.items():
        rank[status == word] = n
    return rank


def _history(rest: pd.DataFrame, recs: pd.DataFrame) -> pd.Series:
    """``portal/record_id status date (reason)`` of each record in ``rest``."""
    rp = rest["rpos"].to_numpy()
    status = recs["status"].to_numpy(dtype=object)[rp]
    word = np.where(
        status == "REJECTED", "rejected", np.where(status == "CANCELLED", "cancelled", status)
    )
    date = (
        pd.Series(recs["status_date"].to_numpy()[rp])
        .dt.strftime("%Y-%m-%d")
        .fillna("")
        .to_numpy(dtype=object)
    )
    reason = recs["reason"].to_numpy(dtype=object)[rp]
    ident = recs["portal"].to_numpy(dtype=object)[rp] + "/" + recs["record_id"].to_numpy()[rp]
    text = [
        " ".join(x for x in (i, w, d) if x) + (f" ({why})" if why else "")
        for i, w, d, why in zip(ident, word, date, reason)
    ]
    return pd.Series(text, index=rest.index, dtype=object)


def split(
    chosen: pd.DataFrame,
    items: pd.DataFrame,
    recs: pd.DataFrame,
    rkeys: pd.DataFrame,
    ckeys: pd.DataFrame,
) -> pd.DataFrame:
    """``chosen`` plus ``share_amount`` and ``share_paid`` (Int64; NA when the record shows none)."""
    if not len(chosen):
        return chosen.assign(
            share_amount=pd.Series(dtype="Int64"), share_paid=pd.Series(dtype="Int64")
        )
    ip = chosen["ipos"].to_numpy(dtype=np.int64)  # positions in items (as rpos in recs)
    ch = chosen.assign(
        customer=items["customer"].to_numpy()[ip],
        basis_id=items["basis_id"].to_numpy()[ip],
        basis_amount=items["basis_amount"].to_numpy()[ip].astype("int64"),
    )
    # Cleared invoices the same records name (only records that name more than one invoice).
    multi = rkeys.loc[rkeys["rpos"].isin(ch["rpos"])]
    multi = multi.loc[
        multi.groupby("rpos")["key"].transform("size").gt(1), ["rpos", "key", "tail", "long"]
    ]
    rcust = ch.drop_duplicates("rpos").set_index("rpos")["customer"]
    multi = multi.assign(customer=multi["rpos"].map(rcust))
    exact = multi.merge(ckeys, on=["customer", "key"])[["rpos", "basis_id", "basis_amount"]]
    tails = multi.merge(ckeys, on=["customer", "tail"], suffixes=("", "_c"))
    long_both = tails["long"].astype(bool) & tails["long_c"].astype(bool)
    tails = tails.loc[~long_both, ["rpos", "basis_id", "basis_amount"]]
    cover = pd.concat([ch[["rpos", "basis_id", "basis_amount"]], exact, tails], ignore_index=True)
    cover = cover.drop_duplicates(["rpos", "basis_id"]).sort_values(
        ["rpos", "basis_id"], kind="stable"
    )
    cover["cum"] = cover.groupby("rpos")["basis_amount"].cumsum()
    cover["total"] = cover.groupby("rpos")["basis_amount"].transform("sum")
    out = ch.merge(cover[["rpos", "basis_id", "cum", "total"]], on=["rpos", "basis_id"], how="left")
    prev = out["cum"] - out["basis_amount"]
    # A record may name an invoice SAP does not have (not posted yet, another company code):
    # then the known invoices' share of the record is their own amount, as long as the record
    # is large enough to hold them.  (A field's keys are distinct, so a record's number of keys
    # is its number of rows in rkeys.)
    rp = out["rpos"].to_numpy(dtype=np.int64)
    n_keys = pd.Series(np.bincount(rkeys["rpos"], minlength=len(recs))[rp], index=out.index)
    n_docs = out["rpos"].map(cover.groupby("rpos").size())
    partial = n_keys.gt(n_docs).to_numpy()
    record = pd.Series(recs["amount"].array.take(rp), index=out.index)
    # pandas-stubs: `Series.where`'s `other` may be an ndarray.
    bigger = np.maximum(out["total"], record.fillna(0).astype("int64"))
    total = out["total"].where(~partial, bigger)  # type: ignore[arg-type]
    for col, src in (("share_amount", "amount"), ("share_paid", "paid_amount")):
        whole = pd.Series(recs[src].array.take(rp), index=out.index)
        out[col] = _share(whole, out["cum"], prev, total)
    return out.drop(columns=["customer", "basis_id", "basis_amount", "cum", "total"])


def _share(whole: pd.Series, cum: pd.Series, prev: pd.Series, total: pd.Series) -> pd.Series:
    """round(whole·cum/total) − round(whole·prev/total), half up; exact in integers."""
    known = whole.notna().to_numpy()
    w = whole.fillna(0).astype("int64").to_numpy()
    c, p, t = (x.astype("int64").to_numpy() for x in (cum, prev, total))
    t = np.where(t <= 0, 1, t)
    solo = (p == 0) & (c == t)
    if len(w) and int(np.abs(w).max()) * int(np.abs(c).max(initial=1)) >= 2**62:
        w, c, p, t = (x.astype(object) for x in (w, c, p, t))  # Python ints: no overflow
    hi = (2 * w * c + t) // (2 * t)
    lo = (2 * w * p + t) // (2 * t)
    res = np.where(solo, w, hi - lo).astype("int64")
    return pd.Series(res, index=whole.index, dtype="Int64").where(known)
