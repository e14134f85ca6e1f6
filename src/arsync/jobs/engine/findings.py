"""One finding per open item, from its chosen record (DESIGN.md, "Findings").

Precedence, first that applies:
REVERSED (an invoice and the red-letter credit memos that cover it, :mod:`credit_memos`) →
UNAPPLIED_CREDIT (open credit item) → STALE (the record's portal, or for an unmatched
item one of the customer's portals, could not be read this run) → AMBIGUOUS → no record:
NOT_SUBMITTED for a portal customer, NO_PORTAL otherwise → only a CANCELLED record:
NOT_SUBMITTED → REJECTED → AMOUNT_MISMATCH (the record's share or currency differs from
the open amount beyond tolerance; also a PAID record whose paid amount does, and a PAID
remainder of a short payment whose invoice is not among the cleared items) →
PAID_NOT_APPLIED (PAID in full) → IN_PROCESS.  An invoice partly credited is weighed against
both its amount and what is owed after the credit.  Records that matched but were not chosen
(an older rejection, a newer resubmission's predecessor) are named at the end of the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.common.money import DECIMALS

_LIVE = {"SUBMITTED", "ACCEPTED", "UNDER_REVIEW", "APPROVED", "PAYING", "UNKNOWN"}
REC_COLS = [
    "portal",
    "record_id",
    "status",
    "status_text",
    "status_date",
    "paid_date",
    "payment_ref",
    "expected_pay_date",
    "reason",
    "currency",
    "paid_amount",
]


def decide(
    oi: pd.DataFrame,
    items: pd.DataFrame,
    chosen: pd.DataFrame,
    ambiguous: pd.DataFrame,
    recs: pd.DataFrame,
    cust_portals: pd.Series,
    stale: dict[str, pd.Timestamp],
    as_of: pd.Timestamp,
    tol: int,
    stuck_days: int,
    memos: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The record-derived worklist columns, one row per open item (index = ipos); ``memos`` is
    :func:`arsync.jobs.engine.credit_memos.pair` of ``oi``."""
    n = len(oi)
    ch = chosen.set_index("ipos").reindex(range(n))
    rpos = ch["rpos"].fillna(-1).astype("int64").to_numpy()
    hit = rpos >= 0
    rec = _take(recs, rpos)
    amount = oi["amount"].to_numpy()
    credit = amount < 0
    portals = oi["customer"].map(cust_portals).fillna("").astype(object)
    share = ch["share_amount"].astype("Int64")
    paid = ch["share_paid"].astype("Int64")
    if memos is None:
        from arsync.jobs.engine.credit_memos import pair

        memos = pair(oi, tol)
    owed = oi["amount"] + memos["credited"].to_numpy()

    stale_date = rec["portal"].map(stale)
    unmatched_stale = _first_stale(portals, stale)
    stale_hit = np.where(hit, stale_date.notna(), unmatched_stale.ne(""))
    amb = np.isin(np.arange(n), ambiguous["ipos"].to_numpy()) & ~hit
    status = rec["status"].to_numpy()
    cur_diff = hit & (rec["currency"].to_numpy() != oi["currency"].to_numpy())
    share_diff = _off(share, oi["amount"], owed, tol)
    paid_diff = _off(paid, oi["amount"], owed, tol)
    is_paid = status == "PAID"
    # A debit that refers to an invoice no longer open is the remainder of a short payment. When
    # the invoice itself is not among the cleared items read (cleared before the window), the
    # portal's "paid" cannot be weighed against it: the customer paid what it meant to pay, and
    # the remainder is a short payment to look into, not cash waiting to be applied.
    orphan_rest = (
        ~credit & oi["invoice_ref"].ne("").to_numpy() & ~items["via_ref"].to_numpy(dtype=bool)
    )
    conds = [
        memos["reversed"].to_numpy(dtype=bool),
        credit,
        stale_hit & ~credit,
        amb,
        ~hit & portals.ne("").to_numpy(),
        ~hit,
        status == "CANCELLED",
        status == "REJECTED",
        cur_diff | share_diff,
        is_paid & paid_diff,
        is_paid & orphan_rest,
        is_paid,
    ]
    names = [
        "REVERSED",
        "UNAPPLIED_CREDIT",
        "STALE",
        "AMBIGUOUS",
        "NOT_SUBMITTED",
        "NO_PORTAL",
        "NOT_SUBMITTED",
        "REJECTED",
        "AMOUNT_MISMATCH",
        "AMOUNT_MISMATCH",
        "AMOUNT_MISMATCH",
        "PAID_NOT_APPLIED",
    ]
    finding = pd.Series(np.select(conds, names, default="IN_PROCESS"), dtype=object)

    out = pd.DataFrame(index=pd.RangeIndex(n))
    for c in ("portal", "record_id", "status", "status_text", "payment_ref"):
        out[c] = rec[c].where(hit, "")
    out.loc[~hit & stale_hit, "portal"] = unmatched_stale[~hit & stale_hit]
    for c in ("status_date", "paid_date"):
        out[c] = rec[c].where(hit)
    out["portal_amount"] = share.where(hit).astype("Int64").to_numpy()
    out["match_rule"] = ch["rule"].fillna("").astype(object).to_numpy()
    via = items["via_ref"].to_numpy(dtype=bool) & hit
    out.loc[via, "match_rule"] = "invoice_ref:" + out.loc[via, "match_rule"]
    out["match_confidence"] = ch["confidence"].fillna(0.0).astype(float).to_numpy()
    out["finding"] = finding
    out["expected_pay_date"] = rec["expected_pay_date"].where(~is_paid, rec["paid_date"]).where(hit)
    age = (as_of - out["status_date"]).dt.days.astype("Int64")
    last_read = pd.to_datetime(stale_date.where(hit, unmatched_stale.map(stale))).dt.normalize()
    age = age.where(~stale_hit, (as_of - last_read).dt.days.astype("Int64"))
    # a status dated after the as-of day (a run for an earlier day, a portal's clock ahead)
    # is 0 days old, never negative
    out["status_age_days"] = age = age.clip(lower=0)
    out["stuck"] = (
        np.isin(status, list(_LIVE)) & hit & age.gt(stuck_days).fillna(False).to_numpy(dtype=bool)
    )
    out["reason"] = _reasons(
        oi, items, out, rec, ambiguous, recs, portals, last_read, share, paid, cur_diff, tol, memos
    )
    rest = (
        (finding.to_numpy() == "AMOUNT_MISMATCH")
        & is_paid
        & orphan_rest
        & ~share_diff
        & ~paid_diff
        & ~cur_diff
    )
    out.loc[rest, "reason"] = (
        "portal shows it paid; remainder of a short payment of invoice "
        + oi["invoice_ref"].to_numpy()[rest]
        + " (cleared before the cleared items read)"
    )
    part = memos["credited"].to_numpy() < 0
    if part.any():
        cur = oi["currency"].to_numpy()[part]
        said = pd.Series(out.loc[part, "reason"].to_numpy(dtype=object))
        note = (
            "credit memo "
            + memos["memo"].to_numpy(dtype=object)[part]
            + " "
            + money(pd.Series(memos["credited"].to_numpy()[part]), pd.Series(cur)).to_numpy()
            + "; owed "
            + money(pd.Series(owed.to_numpy()[part]), pd.Series(cur)).to_numpy()
        )
        out.loc[part, "reason"] = np.where(said.ne(""), said + "; " + note, note)
    history = ch["history"].fillna("").astype(object).to_numpy() if "history" in ch else None
    if history is not None:
        has = (history != "") & hit & (finding.to_numpy() != "REVERSED")
        if has.any():
            said = pd.Series(out.loc[has, "reason"].to_numpy(dtype=object))
            note = "other records: " + pd.Series(history[has])
            out.loc[has, "reason"] = np.where(said.ne(""), said + "; " + note, note)
    return out


def _off(portal: pd.Series, amount: pd.Series, owed: pd.Series, tol: int) -> np.ndarray:
    """The portal's amount differs beyond tolerance from the invoice and from what is owed."""
    a = (portal - amount).abs().gt(tol).fillna(False).to_numpy(dtype=bool)
    b = (portal - owed.to_numpy()).abs().gt(tol).fillna(False).to_numpy(dtype=bool)
    both: np.ndarray = a & b
    return both


def _take(recs: pd.DataFrame, rpos: np.ndarray) -> pd.DataFrame:
    safe = np.where(rpos >= 0, rpos, 0)
    if not len(recs):
        return pd.DataFrame(
            {
                c: pd.Series([""] * len(rpos), dtype=object)
                if c not in ("status_date", "paid_date", "expected_pay_date")
                else pd.Series([pd.NaT] * len(rpos), dtype="datetime64[ns]")
                for c in REC_COLS
            }
            | {"paid_amount": pd.Series([pd.NA] * len(rpos), dtype="Int64")}
        )
    # column by column: recs[REC_COLS] would copy them all once more before taking rows
    return pd.DataFrame({c: recs[c].iloc[safe].reset_index(drop=True) for c in REC_COLS})


def _first_stale(portals: pd.Series, stale: dict[str, pd.Timestamp]) -> pd.Series:
    """The first of the customer's portals that could not be read, or ''."""
    if not stale:
        return pd.Series([""] * len(portals), dtype=object)
    ex = portals.str.split(";").explode()
    ex = ex.loc[ex.isin(list(stale))]
    first = ex.groupby(level=0).first()
    return first.reindex(portals.index).fillna("").astype(object)


def money(minor: pd.Series, currency: pd.Series) -> pd.Series:
    """Minor units as plain major-unit text (``123456`` CNY → ``1234.56``), vectorised."""
    m = pd.Series(minor).astype("Int64").fillna(0).astype("int64").to_numpy()
    d = pd.Series(currency).map(DECIMALS).fillna(2).astype("int64").to_numpy()
    scale = 10**d
    whole, frac = np.divmod(np.abs(m), scale)
    sign = np.where(m < 0, "-", "")
    ws = pd.Series(whole).astype(str).to_numpy(dtype=object)
    fs = pd.Series(frac).astype(str).str.zfill(2).to_numpy(dtype=object)
    fs = np.where(d == 3, pd.Series(frac).astype(str).str.zfill(3).to_numpy(dtype=object), fs)
    return pd.Series(np.where(d == 0, sign + ws, sign + ws + "." + fs), dtype=object)


def _reasons(
    oi: pd.DataFrame,
    items: pd.DataFrame,
    out: pd.DataFrame,
    rec: pd.DataFrame,
    ambiguous: pd.DataFrame,
    recs: pd.DataFrame,
    portals: pd.Series,
    last_read: pd.Series,
    share: pd.Series,
    paid: pd.Series,
    cur_diff: np.ndarray,
    tol: int,
    memos: pd.DataFrame,
) -> pd.Series:
    """Why each finding was chosen, in words; built only on the rows of each finding."""
    f = out["finding"].to_numpy()
    r = np.full(len(oi), "", dtype=object)

    def sub(s: pd.Series | np.ndarray, m: np.ndarray) -> pd.Series:
        return pd.Series(
            np.asarray(s, dtype=object)[m] if not isinstance(s, pd.Series) else s.to_numpy()[m]
        )

    m = f == "REVERSED"
    if m.any():
        memo = sub(memos["memo"], m)
        r[m] = np.where(
            oi["amount"].to_numpy()[m] > 0,
            "reversed in full by credit memo " + memo + " (红冲); nothing to collect",
            "red-letter credit memo reversing invoice " + memo,
        )
    m = f == "UNAPPLIED_CREDIT"
    if m.any():
        ref, dt = sub(oi["invoice_ref"], m), sub(oi["doc_type"], m)
        r[m] = np.where(
            ref.ne(""),
            np.where(dt.eq("DG"), "credit memo for invoice ", "credit for invoice ") + ref,
            np.where(dt.eq("DG"), "credit memo", "payment on account"),
        )
    m = f == "STALE"
    if m.any():
        text = (
            sub(out["portal"], m)
            + " not read; last read "
            + pd.Series(last_read.to_numpy()[m]).dt.strftime("%Y-%m-%d").fillna("never")
        )
        # A record last seen rejected keeps the portal's reason: the fix to make is still known.
        rejected = sub(out["status"], m).eq("REJECTED")
        why = sub(rec["reason"], m)
        text = text.where(
            ~rejected,
            text
            + "; last known: rejected — "
            + why.where(why.ne(""), "the portal shows no reason"),
        )
        r[m] = text.to_numpy()
    m = f == "AMBIGUOUS"
    if m.any():
        amb = ambiguous.assign(
            rid=recs["portal"].to_numpy()[ambiguous["rpos"]]
            + "/"
            + recs["record_id"].to_numpy()[ambiguous["rpos"]]
        )
        g = amb.sort_values("rid").groupby("ipos")["rid"]
        text = g.size().astype(str) + " candidate records: " + g.agg(lambda s: ", ".join(s.head(5)))
        r[m] = text.reindex(np.flatnonzero(m)).to_numpy()
    m = f == "NOT_SUBMITTED"
    if m.any():
        rid = sub(out["record_id"], m)
        r[m] = np.where(
            rid.eq(""),
            "no record on " + sub(portals, m).str.replace(";", ", "),
            "record " + rid + " was cancelled",
        )
    m = f == "REJECTED"
    if m.any():
        why = sub(rec["reason"], m)
        r[m] = why.where(why.ne(""), "rejected; the portal shows no reason")
    m = f == "AMOUNT_MISMATCH"
    if m.any():
        c, a = sub(oi["currency"], m), pd.Series(oi["amount"].to_numpy()[m])
        s, p = pd.Series(share.array[m]), pd.Series(paid.array[m])
        sap = money(a, c)
        by_paid = ~(s - a).abs().gt(tol).fillna(False)
        text = ("portal " + money(s, c) + " vs SAP " + sap).where(
            ~by_paid, "paid " + money(p, c) + " of " + sap
        )
        text = text.where(
            ~pd.Series(cur_diff[m]), "portal currency " + sub(rec["currency"], m) + " vs SAP " + c
        )
        r[m] = text.to_numpy()
    m = f == "PAID_NOT_APPLIED"
    if m.any():
        ref = sub(out["payment_ref"], m)
        r[m] = (
            "paid "
            + pd.Series(out["paid_date"].to_numpy()[m])
            .dt.strftime("%Y-%m-%d")
            .fillna("(date not shown)")
            + np.where(ref.ne(""), ", payment ref " + ref, "")
        )
    m = (f == "IN_PROCESS") & out["stuck"].to_numpy()
    if m.any():
        txt, st = sub(out["status_text"], m), sub(out["status"], m)
        r[m] = (
            txt.where(txt.ne(""), st)
            + " for "
            + pd.Series(out["status_age_days"].array[m]).astype(str)
            + " days"
        )
    via = items["via_ref"].to_numpy(dtype=bool) & (f != "UNAPPLIED_CREDIT")
    if via.any():
        before = pd.Series(r[via])
        r[via] = (
            before
            + np.where(before.ne(""), "; ", "")
            + "residual of "
            + sub(items["basis_doc"], via)
        )
    return pd.Series(r, dtype=object)
