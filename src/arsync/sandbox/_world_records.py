"""Portal records of one generated month: lifecycles, resubmissions and decoys.

Record 1 of a claim follows the drawn stages and stops where the claim got stuck, rejected or
cancelled; a resubmission is record 2 with the same stages shifted by the delay.  A decoy is a
record of *another* customer on the same portal that carries one of our invoice numbers (the
trap a matcher must not fall into); it covers none of our SAP items.
"""

from __future__ import annotations

import numpy as np

from arsync.sandbox._calendar import add_workdays, roll_workday
from arsync.sandbox._world_docs import _record_ids
from arsync.sandbox._world_master import PORTALS, Customers
from arsync.sandbox._world_month import NaT

REASONS = np.array(
    [
        "发票信息有误，请重新开具",
        "金额与合同不符",
        "缺少验收单",
        "发票抬头错误",
        "重复提交",
        "附件不清晰，请重新上传",
        "收款账户信息有误",
        "预算指标未下达",
    ],
    dtype=object,
)


def _join(parts: np.ndarray, first: np.ndarray, size: np.ndarray, sep: np.ndarray) -> np.ndarray:
    """parts[first] + sep + parts[first+1] ... for groups of at most four contiguous items."""
    out = parts[first].copy()
    for k in range(1, 4):
        has = size > k
        out[has] = out[has] + sep[has] + parts[first[has] + k]
    return out


def build_records(g: dict, m: int, cust: Customers, disp: np.ndarray, canon: np.ndarray) -> dict:
    rng, c, life = g["rng"], g["claim"], g["life"]
    portal_c = c["portal"] >= 0
    i1 = np.flatnonzero(portal_c & ~life["never_sub"])
    st1 = life["stages"][i1].copy()
    col = np.arange(6)
    st1[life["stuck"][i1][:, None] & (col[None, :] > life["stuck_at"][i1][:, None])] = NaT
    cutc = (life["reject"] | life["cancel"])[i1]
    cut = life["cut"][i1]
    st1[cutc[:, None] & (st1 > cut[:, None])] = NaT
    i2 = np.flatnonzero(life["resub"])
    st2 = roll_workday(life["stages"][i2] + life["shift"][i2][:, None])
    claim = np.concatenate([i1, i2])
    st = np.concatenate([st1, st2])
    rej = np.concatenate([np.where(life["reject"][i1], cut, NaT), np.full(len(i2), NaT)])
    canc = np.concatenate([np.where(life["cancel"][i1], cut, NaT), np.full(len(i2), NaT)])
    cu = c["cust"][claim]
    amount = c["rec_amount"][claim]
    paid_amount = c["paid_amount"][claim]
    first, size = c["first"][claim], c["size"][claim]
    sep = np.where(rng.random(len(claim)) < 0.5, ";", "、").astype(object)
    inv_no = _join(disp, first, size, sep) if len(claim) else np.zeros(0, object)

    # decoys: another customer of the same portal shows one of our invoice numbers
    d_src = np.flatnonzero(rng.random(len(i1)) < 0.006)
    if len(i1) and not len(d_src):
        d_src = rng.integers(0, len(i1), 1)
    p_src = c["portal"][i1[d_src]]
    d_cust = np.full(len(d_src), -1)
    for p in range(len(PORTALS)):
        on = np.flatnonzero(cust.portal == p)
        sel = p_src == p
        if len(on) < 2 or not sel.any():
            continue
        pos = np.searchsorted(on, c["cust"][i1[d_src[sel]]])
        d_cust[sel] = on[(pos + 1 + rng.integers(0, len(on) - 1, sel.sum())) % len(on)]
    ok = d_cust >= 0
    d_src, d_cust = d_src[ok], d_cust[ok]
    nd = len(d_src)
    d_sub = add_workdays(st1[d_src, 0], rng.integers(0, 10, nd))
    steps = np.cumsum(rng.integers(3, 25, (nd, 6)), axis=1)
    d_st = roll_workday(d_sub[:, None] + (steps - steps[:, :1]).astype("timedelta64[D]"))
    d_st[col[None, :] > rng.integers(0, 6, nd)[:, None]] = NaT
    d_amt = (rng.lognormal(np.log(3_000_000), 0.8, nd)).astype(np.int64)

    claim = np.concatenate([claim, np.full(nd, -1)])
    st = np.concatenate([st, d_st]) if nd else st
    cu = np.concatenate([cu, d_cust])
    portal = cust.portal[cu]
    fam = PORTALS.family.to_numpy()[portal]
    nrec = len(claim)
    rank = np.zeros(nrec, np.int64)
    for p in range(len(PORTALS)):
        sel = portal == p
        rank[sel] = np.arange(sel.sum())
    rid = _record_ids(fam, m, rank, st[:, 0], rng) if nrec else np.zeros(0, object)
    appr, paid = st[:, 3], st[:, 5]
    expected = np.where(
        ~np.isnat(paid),
        paid + rng.integers(-3, 8, nrec).astype("timedelta64[D]"),
        appr + np.timedelta64(30, "D"),
    )
    return {
        "claim": claim,
        "cust": cu,
        "portal": portal,
        "account": cust.account[cu],
        "stages": st,
        "rejected": np.concatenate([rej, np.full(nd, NaT)]),
        "cancelled": np.concatenate([canc, np.full(nd, NaT)]),
        "reason": np.concatenate([life["reason"][i1], life["reason"][i2], np.zeros(nd, int)]),
        "amount": np.concatenate([amount, d_amt]),
        "paid_amount": np.concatenate([paid_amount, d_amt]),
        "expected": roll_workday(expected),
        "record_id": rid,
        "invoice_no": np.concatenate([inv_no, canon[c["first"][i1[d_src]]]]),
        "resub": np.concatenate(
            [np.zeros(len(i1), bool), np.ones(len(i2), bool), np.zeros(nd, bool)]
        ),
    }
