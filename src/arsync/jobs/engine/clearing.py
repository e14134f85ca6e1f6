"""Propose the payment on account that most likely clears each PAID_NOT_APPLIED item.

The portal says the customer paid; SAP still has the invoice open, and usually the money
sits on the customer's account as an open credit without an invoice reference (a payment
on account).  A payment is a candidate when it is the customer's, in the item's currency,
and its amount equals — within tolerance — the item's amount or, when one portal record
paid several invoices, the record's payment total (then every item of that record gets the
same proposal).  The nearest posting date to the portal's paid date wins; each payment is
proposed once.  Ties are resolved in a few bounded rounds of vectorised greedy picks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_ROUNDS = 8


def propose(
    oi: pd.DataFrame,
    finding: pd.Series,
    rpos: np.ndarray,
    recs: pd.DataFrame,
    as_of: pd.Timestamp,
    tol: int,
) -> pd.Series:
    """``company/year/doc/item`` of the proposed payment per open item ('' when none)."""
    out = pd.Series([""] * len(oi), dtype=object)
    pna = np.flatnonzero(finding.eq("PAID_NOT_APPLIED").to_numpy())
    pay = oi.loc[oi["amount"].lt(0) & oi["invoice_ref"].eq("") & oi["doc_type"].ne("DG")]
    if not len(pna) or not len(pay):
        return out
    rp = rpos[pna]
    group_size = pd.Series(rp).map(pd.Series(rp).value_counts()).to_numpy()
    paid_total = recs["paid_amount"].to_numpy()[rp]
    rec_total = recs["amount"].to_numpy()[rp]
    total = pd.array(np.where(pd.isna(paid_total), rec_total, paid_total), dtype="Int64")
    split = group_size > 1
    t = pd.DataFrame(
        {
            "target": np.where(split, -1 - rp, pna),  # one target per split record, else per item
            "customer": oi["customer"].to_numpy()[pna],
            "currency": oi["currency"].to_numpy()[pna],
            "want": np.where(
                split, pd.Series(total).fillna(-1).to_numpy(), oi["amount"].to_numpy()[pna]
            ),
            "when": pd.Series(recs["paid_date"].to_numpy()[rp]).fillna(as_of).to_numpy(),
            "ipos": pna,
        }
    )
    targets = t.drop_duplicates("target")
    p = pd.DataFrame(
        {
            "cpos": np.arange(len(pay)),
            "customer": pay["customer"].to_numpy(),
            "currency": pay["currency"].to_numpy(),
            "got": -pay["amount"].to_numpy(),
            "posted": pay["posting_date"].to_numpy(),
            "doc": (
                pay["company_code"]
                + "/"
                + pay["fiscal_year"]
                + "/"
                + pay["document_no"]
                + "/"
                + pay["line_item"]
            ).to_numpy(),
        }
    )
    c = targets.merge(p, on=["customer", "currency"])
    c = c.loc[(c["got"] - c["want"]).abs().le(tol)]
    c = c.assign(dist=(c["posted"] - c["when"]).dt.days.abs().fillna(10**6))
    c = c.sort_values(["dist", "target", "cpos"], kind="stable")
    picked = []
    for _ in range(MAX_ROUNDS):
        if not len(c):
            break
        best = c.drop_duplicates("target").drop_duplicates("cpos")
        picked.append(best[["target", "doc"]])
        c = c.loc[~c["target"].isin(best["target"]) & ~c["cpos"].isin(best["cpos"])]
    if not picked:
        return out
    doc = pd.concat(picked).set_index("target")["doc"]
    got = t["target"].map(doc)
    ok = got.notna().to_numpy()
    # pandas-stubs: `.iloc[positions] = values` takes an ndarray of values (and of positions).
    out.iloc[t["ipos"].to_numpy()[ok]] = got[ok].to_numpy()  # type: ignore[call-overload]
    return out
