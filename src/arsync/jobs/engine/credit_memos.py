"""Open credit memos that refer to an open invoice (红字发票 / red-letter credit memos).

In China a wrong or returned invoice is reversed by a red-letter (红字) credit memo; in SAP it
is a credit (DG, or an SD credit memo billed as RV) whose invoice reference (REBZG) is the
invoice.  Until someone clears the two (F-32), both stay open:

- credit memos that together cover the invoice (within tolerance) reverse it in full: the pair
  is REVERSED — nothing to collect, clear the invoice against the credit memo(s) named;
- less than that reduces what is owed: the invoice keeps its own finding, a portal amount (or
  paid amount) equal to the invoice *or* to what is owed after the credit is no mismatch, and
  the reason says what is owed.

Payments (DZ) that refer to an invoice are partial payments, not credit memos.  The fiscal year
of the reference (REBZJ) is not in the frame: the latest year not after the credit's own is
taken, as for residual items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: document types of credit memos (FI credit memo; SD billing, credit memos included)
CREDIT_MEMO_TYPES = ("DG", "RV")


def pair(oi: pd.DataFrame, tol: int) -> pd.DataFrame:
    """Per open item (index = position in ``oi``): ``reversed`` (bool: part of a pair that
    cancels out), ``credited`` (int64 ≤ 0: credit memos against this invoice when they do not
    cover it; 0 otherwise) and ``memo`` (the credit memo numbers of an invoice, or the invoice
    number of a credit memo, '' for others)."""
    n = len(oi)
    out = pd.DataFrame(
        {"reversed": np.zeros(n, bool), "credited": np.zeros(n, np.int64), "memo": ""},
        index=pd.RangeIndex(n),
    )
    out["memo"] = out["memo"].astype(object)
    cm = oi.loc[
        oi["amount"].lt(0) & oi["invoice_ref"].ne("") & oi["doc_type"].isin(CREDIT_MEMO_TYPES)
    ]
    if not len(cm):
        return out
    key = ["company_code", "customer", "document_no", "fiscal_year"]
    deb = oi.loc[oi["amount"].gt(0) & oi["document_no"].isin(cm["invoice_ref"].unique())]
    docs = deb.groupby(key, as_index=False).agg(owed=("amount", "sum"), cur=("currency", "first"))
    j = (
        cm[["company_code", "customer", "invoice_ref", "fiscal_year", "amount", "currency"]]
        .rename(columns={"invoice_ref": "document_no", "fiscal_year": "fy"})
        .reset_index(names="cpos")
        .merge(docs, on=["company_code", "customer", "document_no"])
    )
    j = j.loc[j["fiscal_year"].le(j["fy"])]
    # the latest invoice year not after the credit's own; another currency is no pair
    j = j.sort_values(["cpos", "fiscal_year"]).drop_duplicates("cpos", keep="last")
    j = j.loc[j["currency"].eq(j["cur"])]
    if not len(j):
        return out
    j = j.sort_values("cpos").assign(memo=oi["document_no"].to_numpy()[j["cpos"].to_numpy()])
    per = j.groupby(key, as_index=False).agg(
        credit=("amount", "sum"), owed=("owed", "first"), memos=("memo", ", ".join)
    )
    per["full"] = (per["owed"] + per["credit"]).le(tol)
    lines = deb[key].reset_index(names="ipos").merge(per, on=key)
    lines = lines.sort_values("ipos")
    out.loc[lines["ipos"].to_numpy(), "memo"] = lines["memos"].to_numpy()
    out.loc[lines.loc[lines["full"], "ipos"].to_numpy(), "reversed"] = True
    first = lines.loc[~lines["full"]].drop_duplicates(key)  # the credit once, on the first line
    out.loc[first["ipos"].to_numpy(), "credited"] = first["credit"].to_numpy()
    cms = j.merge(per[[*key, "full"]], on=key)
    out.loc[cms["cpos"].to_numpy(), "memo"] = cms["document_no"].to_numpy()
    out.loc[cms.loc[cms["full"], "cpos"].to_numpy(), "reversed"] = True
    return out
