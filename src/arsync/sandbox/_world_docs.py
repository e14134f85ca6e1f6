"""Turn one generated month into SAP line items and portal records (numeric columns + strings).

Ledger rules (reference/sap-ar-rfc.md §5): a full payment is a DZ document whose customer line
is cleared together with the invoices (AUGBL = the DZ); a short payment either leaves a residual
item (invoice cleared, new open S line in the DZ with REBZG) or a partial payment (invoice open,
open H line with REBZG); money the bank could not assign sits on account (open H, no REBZG).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from arsync.sandbox._calendar import add_workdays, roll_workday
from arsync.sandbox._world_month import (
    AMT_DIFF,
    CM,
    FULL,
    INV,
    NOTE,
    ON_ACCOUNT,
    ONACC,
    PART,
    PAY,
    PAY2,
    RESID,
    ROUND,
    SHORT_PART,
    SHORT_RES,
    NaT,
    _year_of,
)

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_PROV = np.array(["31", "11", "13"])  # 数电 province part by company code (上海, 北京, -)


def zpad(values: npt.ArrayLike, width: int) -> np.ndarray:
    """Non-negative ints → zero-padded str objects, without a Python loop.

    ``10**width + v`` printed by numpy has exactly ``width + 1`` digits; dropping the leading
    '1' leaves the padded number.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size and (v.min() < 0 or v.max() >= 10**width):
        raise ValueError(f"zpad: values outside 0..{10**width - 1}")
    s = (v + 10**width).astype(f"U{width + 1}").reshape(-1)
    body = np.ascontiguousarray(s.view(np.uint32).reshape(-1, width + 1)[:, 1:])
    return body.view(f"U{width}").ravel().astype(object)


def invoice_numbers(g: dict) -> tuple[np.ndarray, np.ndarray]:
    """(XBLNR, XBLNR_LONG): 20-digit 数电 numbers live in the long reference, XBLNR keeps the last 8."""
    inv = g["inv"]
    is20 = inv["is20"]
    xblnr = np.empty(len(is20), dtype=object)
    xblnr[is20] = zpad(inv["tail8"][is20], 8)
    xblnr[~is20] = zpad(inv["legacy"][~is20], 8)
    # yy + province + channel digit + 15-digit sequence (7 zeros + the 8-digit tail)
    code = (_year_of(inv["bldat"][is20]) % 100) * 10 + inv["bukrs"][is20]
    keys, pos = np.unique(code, return_inverse=True)
    heads = np.array([f"{k // 10:02d}{_PROV[k % 10]}20000000" for k in keys], dtype=object)
    xlong = np.full(len(is20), "", dtype=object)
    xlong[is20] = heads[pos.reshape(-1)] + xblnr[is20]
    return xblnr, xlong


def build_lines(g: dict) -> dict:
    """Every customer line item the month causes, with future clearing; doc ids month-local."""
    rng, inv, c = g["rng"], g["inv"], g["claim"]
    n = g["n_inv"]
    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in ("doc", "buzei", "kind", "inv", "amount", "budat", "clear", "clear_doc", "ref")
    }

    def add(doc, buzei, kind, invi, amount, budat, clear, clear_doc, ref):
        m = len(doc)
        for key, v in (
            ("doc", doc),
            ("buzei", buzei),
            ("kind", kind),
            ("inv", invi),
            ("amount", amount),
            ("budat", budat),
            ("clear", clear),
            ("clear_doc", clear_doc),
            ("ref", ref),
        ):
            cols[key].append(
                np.broadcast_to(np.asarray(v), (m,)).copy() if np.ndim(v) == 0 else np.asarray(v)
            )

    inv_clear = np.full(n, NaT)
    inv_cdoc = np.full(n, -1)
    nxt = n
    # payments that clear the claim's invoices: one DZ per claim, its H line cleared with them
    kind = c["kind"]
    clears = c["paid"] & np.isin(kind, [FULL, ROUND, SHORT_RES, AMT_DIFF])
    ci = np.flatnonzero(clears)
    pdoc = nxt + np.arange(len(ci))
    nxt += len(ci)
    add(pdoc, 1, PAY, c["first"][ci], c["amount"][ci], c["clear"][ci], c["clear"][ci], pdoc, -1)
    member = np.repeat(clears, c["size"])
    inv_clear[member] = np.repeat(c["clear"][ci], c["size"][ci])
    inv_cdoc[member] = np.repeat(pdoc, c["size"][ci])
    # residual items of short payments (line 2 of the DZ), some paid later by a second DZ
    rs = np.isin(kind[ci], [SHORT_RES, AMT_DIFF])
    ri, rdoc = ci[rs], pdoc[rs]
    later = rng.random(len(ri)) < 0.4
    rpay = np.where(
        later,
        roll_workday(c["clear"][ri] + rng.integers(20, 91, len(ri)).astype("timedelta64[D]")),
        NaT,
    )
    r2doc = np.where(later, nxt + np.cumsum(later) - 1, -1)
    nxt += int(later.sum())
    ramt = c["amount"][ri] - c["paid_amount"][ri]
    add(rdoc, 2, RESID, c["first"][ri], ramt, c["clear"][ri], rpay, r2doc, c["first"][ri])
    add(
        r2doc[later],
        1,
        PAY2,
        c["first"][ri][later],
        ramt[later],
        rpay[later],
        rpay[later],
        r2doc[later],
        -1,
    )
    # partial payments: open credit referring to the invoice; the invoice stays open
    pi = np.flatnonzero(c["paid"] & (kind == SHORT_PART))
    add(
        nxt + np.arange(len(pi)),
        1,
        PART,
        c["first"][pi],
        c["paid_amount"][pi],
        c["clear"][pi],
        NaT,
        -1,
        c["first"][pi],
    )
    nxt += len(pi)
    # payments on account: the bank booked the money without an invoice reference
    oi = np.flatnonzero(c["paid"] & (kind == ON_ACCOUNT))
    on = add_workdays(c["pay"][oi], rng.integers(1, 4, len(oi)))
    add(nxt + np.arange(len(oi)), 1, ONACC, c["first"][oi], c["paid_amount"][oi], on, NaT, -1, -1)
    nxt += len(oi)
    # credit memos (DG), most referring to an invoice; they stay open until someone applies them
    cm = np.flatnonzero(rng.random(n) < 0.012)
    cm_amt = np.maximum((inv["amount"][cm] * rng.uniform(0.05, 0.3, len(cm))).astype(np.int64), 1)
    cm_ref = np.where(rng.random(len(cm)) < 0.7, cm, -1)
    add(
        nxt + np.arange(len(cm)),
        1,
        CM,
        cm,
        cm_amt,
        add_workdays(inv["bldat"][cm], rng.integers(5, 60, len(cm))),
        NaT,
        -1,
        cm_ref,
    )
    nxt += len(cm)
    # noted items (down-payment requests, BSTAT 'S'): a handful
    nt = np.flatnonzero(rng.random(n) < 0.003)
    add(
        nxt + np.arange(len(nt)),
        1,
        NOTE,
        nt,
        (inv["amount"][nt] // 5),
        inv["budat"][nt],
        NaT,
        -1,
        -1,
    )
    nxt += len(nt)
    # the invoices themselves (first, so that line i is invoice i)
    add(np.arange(n), 1, INV, np.arange(n), inv["amount"], inv["budat"], inv_clear, inv_cdoc, -1)
    out = {k: np.concatenate(v[-1:] + v[:-1]) if v else np.zeros(0) for k, v in cols.items()}
    out["clear"] = out["clear"].astype("datetime64[D]")
    out["budat"] = out["budat"].astype("datetime64[D]")
    return out | {"n_docs": nxt}


def _record_ids(family: np.ndarray, m: int, rank: np.ndarray, sub: np.ndarray, rng) -> np.ndarray:
    gov = 1_800_000_000_000_000_000 + m * 10**12 + rank * 1000 + rng.integers(0, 1000, len(rank))
    ym = pd.DatetimeIndex(sub)
    yymm = zpad((ym.year % 100) * 100 + ym.month, 4)
    yyyymm = zpad(ym.year * 100 + ym.month, 6)
    hosp = "JS" + yymm + zpad((m % 100) * 1_000_000 + rank, 8)
    uni = "YY" + yyyymm + zpad((m % 10) * 1_000_000 + rank, 7)
    return np.select(
        [family == "government", family == "hospital"], [gov.astype(str).astype(object), hosp], uni
    )


def displayed_numbers(g: dict, xblnr: np.ndarray, xlong: np.ndarray) -> np.ndarray:
    """The invoice number as a portal user typed it: prefixes, dropped zeros, full width, spaces, 8-of-20.

    Only invoices of portal customers are ever shown, so only they get noise.
    """
    canon = np.where(xlong != "", xlong, xblnr).astype(object)
    shown = g["claim"]["portal"][g["inv"]["claim"]] >= 0
    noise = np.where(shown, g["inv"]["noise"], 0)
    out = canon.copy()
    for code, fn in (
        (1, lambda s: "No." + s),
        (2, lambda s: "发票号:" + s),
        (3, lambda s: s.str.lstrip("0").replace("", "0")),
        (4, lambda s: s.str.translate(_FULLWIDTH)),
        (5, lambda s: s.str[:4] + " " + s.str[4:8] + " " + s.str[8:]),
    ):
        sel = noise == code
        if sel.any():
            out[sel] = fn(pd.Series(canon[sel], dtype=object)).to_numpy(dtype=object)
    eight = (noise == 6) & (xlong != "")
    out[eight] = xblnr[eight]
    return out
