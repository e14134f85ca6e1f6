"""The portals' view on an as-of date, the buyer names they show, and the ground truth.

``truth`` is computed from the generated facts, not from the portal text: for every open debit
item it says which record (if any) is live for it and what a perfect reconciler must conclude.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.common.frames import STATUSES
from arsync.sandbox import _world_noise as noise
from arsync.sandbox._world_docs import zpad
from arsync.sandbox._world_facts import Facts
from arsync.sandbox._world_master import COMPANY_CODES, PORTALS
from arsync.sandbox._world_month import INV, RESID, NaT, _year_of
from arsync.sandbox._world_records import REASONS
from arsync.sandbox._world_view import frame

_STATUS = np.array(STATUSES, dtype=object)
_STAGE_COLS = ("submitted_on", "accepted_on", "review_on", "approved_on", "paying_on", "paid_on")


def _dt(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype="datetime64[D]").astype("datetime64[ns]")


def portal_customers(f: Facts) -> pd.DataFrame:
    """Buyer names as the portals spell them: NAME2 in full-width brackets, 市 dropped, or exact."""
    c = f.cust
    on = np.flatnonzero(c.portal >= 0)
    rng = np.random.default_rng([len(c.kunnr), 0xB0])
    kna1 = c.kna1.iloc[on]
    n1, n2 = kna1["NAME1"].to_numpy(dtype=object), kna1["NAME2"].to_numpy(dtype=object)
    u = rng.random(len(on))
    plain = c.name[on]
    bracket = np.where(n2 != "", n1 + "（" + n2 + "）", plain)
    nocity = pd.Series(plain, dtype=object).str.replace("市", "", n=1).to_numpy(dtype=object)
    buyer = np.where(u < 0.12, bracket, np.where(u < 0.2, nocity, plain)).astype(object)
    return pd.DataFrame(
        {"portal": PORTALS.portal.to_numpy()[c.portal[on]], "customer": c.kunnr[on], "buyer": buyer}
    )


def visible_records(f: Facts, as_of: np.datetime64) -> np.ndarray:
    return np.flatnonzero(f.recs["stages"][:, 0] <= as_of)


def record_state(f: Facts, as_of: np.datetime64, idx: np.ndarray) -> dict:
    """Stage dates reached by as-of, normalized status and its date, per record in ``idx``."""
    r = f.recs
    st = r["stages"][idx]
    st = np.where(st <= as_of, st, NaT)
    rej = np.where(r["rejected"][idx] <= as_of, r["rejected"][idx], NaT)
    canc = np.where(r["cancelled"][idx] <= as_of, r["cancelled"][idx], NaT)
    reached = (~np.isnat(st)).sum(axis=1)
    status = _STATUS[np.maximum(reached - 1, 0)]
    status = np.where(~np.isnat(rej), "REJECTED", np.where(~np.isnat(canc), "CANCELLED", status))
    last = np.max(np.where(np.isnat(st), np.datetime64("1970-01-01"), st), axis=1)
    date = np.where(~np.isnat(rej), rej, np.where(~np.isnat(canc), canc, last))
    return {"stages": st, "status": status.astype(object), "date": date, "rejected": rej}


def portal_records(
    f: Facts,
    as_of: np.datetime64,
    belnr: np.ndarray,
    gjahr: np.ndarray,
    buyers: pd.DataFrame,
    n_acc: int,
) -> pd.DataFrame:
    r, inv, claim = f.recs, f.inv, f.claim
    idx = visible_records(f, as_of)
    s = record_state(f, as_of, idx)
    st = s["stages"]
    n = len(idx)
    cl = r["claim"][idx]
    real = cl >= 0
    first = np.where(real, claim["first"][np.maximum(cl, 0)], 0)
    size = np.where(real, claim["size"][np.maximum(cl, 0)], 0)
    # the SAP items each record covers, BUKRS/GJAHR/BELNR/BUZEI joined by ';'
    bukrs = COMPANY_CODES.BUKRS.to_numpy() + "/"

    def ikey(i: np.ndarray) -> np.ndarray:
        d = inv["doc"][i]
        return bukrs[inv["bukrs"][i]] + gjahr[d] + "/" + belnr[d] + "/001"

    covers = np.full(n, "", dtype=object)
    covers[real] = ikey(first[real])
    for k in range(1, 4):
        has = size > k
        covers[has] = covers[has] + ";" + ikey(first[has] + k)
    cu = r["cust"][idx]
    portal = PORTALS.portal.to_numpy()[r["portal"][idx]]
    bmap = dict(zip(buyers["customer"], buyers["buyer"]))
    kunnr = f.cust.kunnr[cu]
    paid = st[:, 5]
    paying = st[:, 4]
    year = _year_of(np.where(np.isnat(st[:, 0]), as_of, st[:, 0]))
    pdt = pd.DatetimeIndex(_dt(paying))
    ymd = np.nan_to_num(pdt.year * 10000 + pdt.month * 100 + pdt.day).astype(np.int64)
    pay_ref = np.where(np.isnat(paying), "", "ZF" + zpad(ymd, 8) + zpad(idx % 1_000_000, 6)).astype(
        object
    )
    live = ~np.isin(s["status"], ["REJECTED", "CANCELLED"])
    buyer = noise.buyer_names(
        pd.Series(kunnr).map(bmap).fillna("").to_numpy(dtype=object),
        r["portal"][idx],
        r["variant"][idx],
    )
    # the customer the shown buyer name maps to, as the runner maps it: '' for a variant name
    bm = buyers.drop_duplicates(
        ["portal", "buyer"], keep="last"
    )  # a dict per portal: the last wins
    hit = pd.MultiIndex.from_arrays([bm["portal"], bm["buyer"]]).get_indexer(
        pd.MultiIndex.from_arrays([portal, buyer])
    )
    mapped = np.where(hit >= 0, bm["customer"].to_numpy(dtype=object)[np.maximum(hit, 0)], "")
    order_no = np.where(real, inv["order_no"][first], "").astype(object)
    df = frame(
        {
            "portal": portal,
            "account": np.array([f"acct-{a + 1:02d}" for a in range(n_acc)], dtype=object)[
                r["account"][idx]
            ],
            "record_id": r["record_id"][idx],
            "buyer": buyer,
            "customer": mapped.astype(object),
            "invoice_no": r["invoice_no"][idx],
            "order_no": noise.order_spelling(order_no, r["ostyle"][idx]),
            "contract_no": (
                "HT" + zpad(year, 4) + "-" + pd.Series(kunnr).str[-6:].to_numpy(dtype=object)
            ),
            "amount": r["amount"][idx].astype(np.int64),
            "paid_amount": np.where(np.isnat(paid), 0, r["paid_amount"][idx]).astype(np.int64),
            "currency": np.full(n, "CNY", dtype=object),
            "status": s["status"],
            "status_date": _dt(s["date"]),
            **{c: _dt(st[:, i]) for i, c in enumerate(_STAGE_COLS)},
            "expected_pay_date": _dt(np.where(live & ~np.isnat(st[:, 3]), r["expected"][idx], NaT)),
            "payment_ref": pay_ref,
            "reason": np.where(s["status"] == "REJECTED", REASONS[r["reason"][idx]], "").astype(
                object
            ),
            "invoices": covers,
        }
    )
    return df.sort_values(["portal", "account", "record_id"], ignore_index=True)


def truth(
    f: Facts, as_of: np.datetime64, led: pd.DataFrame, kind: np.ndarray, line: np.ndarray
) -> pd.DataFrame:
    r, inv, claim = f.recs, f.inv, f.claim
    open_ = led["AUGDT"].isna().to_numpy() & (led["BSTAT"].to_numpy() != "S")
    debit = open_ & (led["SHKZG"].to_numpy() == "S") & np.isin(kind, [INV, RESID])
    credit = open_ & (led["SHKZG"].to_numpy() == "H")
    rows = np.flatnonzero(debit | credit)
    ii = f.lines["inv"][line[rows]]
    cl = inv["claim"][ii]
    on_portal = claim["portal"][cl] >= 0
    # the live record of each claim: the resubmission once it exists, else the first record
    vis = r["stages"][:, 0] <= as_of
    rec_of = np.full((len(claim["first"]), 2), -1)
    has = r["claim"] >= 0
    rec_of[r["claim"][has], r["resub"][has].astype(int)] = np.flatnonzero(has)
    r1, r2 = rec_of[cl, 0], rec_of[cl, 1]
    live = np.where(
        (r2 >= 0) & vis[np.maximum(r2, 0)], r2, np.where((r1 >= 0) & vis[np.maximum(r1, 0)], r1, -1)
    )
    st = record_state(f, as_of, np.maximum(live, 0))
    status = np.where(live >= 0, st["status"], "").astype(object)
    paid_on = np.where(live >= 0, st["stages"][:, 5], NaT)
    lv = np.maximum(live, 0)
    want = claim["amount"][cl]
    amount_off = np.abs(r["amount"][lv] - want) > 1
    paid_off = np.abs(r["paid_amount"][lv] - want) > 1
    resid = kind[rows] == RESID
    # an ambiguous split: two order-only records of one order, equal amounts, in step
    ambig = claim["ambig"][cl]
    finding = np.select(
        [
            credit[rows],
            ~on_portal,
            (live < 0) | (status == "CANCELLED"),
            ambig,
            status == "REJECTED",
            resid,
            (status == "PAID") & paid_off,
            status == "PAID",
            amount_off,
        ],
        [
            "UNAPPLIED_CREDIT",
            "NO_PORTAL",
            "NOT_SUBMITTED",
            "AMBIGUOUS",
            "REJECTED",
            "AMOUNT_MISMATCH",
            "AMOUNT_MISMATCH",
            "PAID_NOT_APPLIED",
            "AMOUNT_MISMATCH",
        ],
        "IN_PROCESS",
    )
    show = (live >= 0) & ~np.isin(finding, ["UNAPPLIED_CREDIT", "NO_PORTAL", "AMBIGUOUS"])
    sub = led.iloc[rows]
    return pd.DataFrame(
        {
            "company_code": sub["BUKRS"].to_numpy(),
            "fiscal_year": sub["GJAHR"].to_numpy(),
            "document_no": sub["BELNR"].to_numpy(),
            "line_item": sub["BUZEI"].to_numpy(),
            "finding": finding.astype(object),
            "portal": np.where(show, PORTALS.portal.to_numpy()[r["portal"][lv]], "").astype(object),
            "record_id": np.where(show, r["record_id"][lv], "").astype(object),
            "status": np.where(show, status, "").astype(object),
            "paid_on_portal": show & (status == "PAID"),
            "paid_date": _dt(np.where(show, paid_on, NaT)),
        }
    )
