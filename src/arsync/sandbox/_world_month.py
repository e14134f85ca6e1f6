"""One month of the world: invoices and their whole future, drawn at once.

A month's RNG is seeded by ``(seed, month index)``, so month *m* is the same whatever the as-of
date.  Invoices of one portal customer may be bundled into one portal record (a *claim*); each
claim gets its portal lifecycle, payment and SAP clearing.  The result is plain numpy columns:
``inv`` (one row per invoice), ``lines`` (every customer line item the month causes, also the
future ones), ``recs`` (portal records).  ``_world_view`` filters them to an as-of date.
"""

from __future__ import annotations

import numpy as np

from arsync.sandbox._calendar import add_workdays, roll_workday, workdays_between
from arsync.sandbox._world_master import SEG_AMOUNT, SEG_DELAY, Customers

NaT = np.datetime64("NaT", "D")
# line kinds
INV, PAY, RESID, PART, ONACC, PAY2, CM, NOTE = range(8)
# payment kinds of a paid claim
FULL, ROUND, SHORT_RES, SHORT_PART, ON_ACCOUNT, AMT_DIFF = range(6)
BLARTS = ("RV", "DR", "DZ", "DG", "DA")
#: invoicing by calendar month: Spring Festival dip in Jan/Feb, year-end peak
SEASON = np.array([0.85, 0.7, 1.0, 1.0, 1.0, 1.0, 0.95, 0.95, 1.0, 0.9, 1.1, 1.25])


def _d(x) -> np.ndarray:
    return np.asarray(x, dtype="datetime64[D]")


def _month_of(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[M]").astype(int) % 12  # 0 = January


def _year_of(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[Y]").astype(int) + 1970


def window(epoch: np.datetime64, m: int) -> tuple[np.datetime64, np.datetime64]:
    first = epoch.astype("datetime64[M]") + m
    start = max(epoch, first.astype("datetime64[D]"))
    return start, (first + 1).astype("datetime64[D]")


def _seasonal(rng, inv_date: np.ndarray, pay: np.ndarray) -> np.ndarray:
    """Slow first quarter (budgets not yet issued) and the Nov-Dec year-end rush."""
    q1 = _month_of(pay) < 3
    pay = pay + np.where(q1, rng.integers(10, 40, len(pay)), 0).astype("timedelta64[D]")
    y = _year_of(inv_date)
    dec1 = (y - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 334  # ~Dec 1 (+1 leap)
    rush = (pay > dec1 + 24) & (_month_of(inv_date) < 10) & (rng.random(len(pay)) < 0.5)
    target = dec1 + rng.integers(0, 24, len(pay)).astype("timedelta64[D]")
    return np.where(rush & (target > inv_date + 20), target, pay)


def gen_month(seed: int, m: int, epoch: np.datetime64, cust: Customers) -> dict:
    rng = np.random.default_rng([seed, m, 0xA5])
    start, end = window(epoch, m)
    wd = workdays_between(start, end)
    mon = int(_month_of(_d([start]))[0])
    lam = cust.activity * SEASON[mon] * len(wd) / 21.0
    ci = np.repeat(np.arange(len(lam)), rng.poisson(lam))
    n = len(ci)
    if n >= 300_000:
        raise ValueError(f"world month {m}: {n} invoices overflow the invoice number ranges")
    bldat = wd[rng.integers(0, len(wd), n)] if len(wd) else _d(np.full(n, start))
    o = np.lexsort((bldat, ci))
    ci, bldat = ci[o], bldat[o]
    seg = cust.seg[ci]
    jpy = cust.jpy[ci] & (rng.random(n) < 0.35)
    bukrs = np.where(jpy, 2, cust.bukrs[ci])
    yuan = np.minimum(rng.lognormal(np.log(SEG_AMOUNT[seg]), 0.9), 5_000_000)
    cents = np.where(rng.random(n) < 0.3, rng.integers(1, 100, n), 0)
    amount = np.where(jpy, np.round(yuan * 20, -2), np.round(yuan) * 100 + cents).astype(np.int64)
    amount = np.maximum(amount, 1000)
    budat = add_workdays(bldat, rng.integers(0, 3, n))
    blart = np.where(rng.random(n) < 0.85, 0, 1)  # RV / DR
    share20 = min(0.5 + 0.04 * m, 0.92)
    is20 = ~jpy & (rng.random(n) < share20)
    # invoice numbers: 8-digit legacy numbers and the last 8 of 20-digit 数电 numbers never collide
    k = np.arange(n)
    legacy = 1_000_000 + m * 300_000 + k
    tail8 = 50_000_000 + m * 300_000 + k
    new_order = np.ones(n, bool)
    new_order[1:] = (ci[1:] != ci[:-1]) | (rng.random(n - 1) < 0.8) if n > 1 else True
    order = m * 1_000_000 + np.cumsum(new_order)

    # --- claims: portal invoices bundled per customer, at most four per record
    on_portal = (cust.portal[ci] >= 0) & ~jpy
    newc = np.ones(n, bool)
    if n > 1:
        newc[1:] = (
            (ci[1:] != ci[:-1]) | ~on_portal[1:] | ~on_portal[:-1] | (rng.random(n - 1) < 0.88)
        )
    gid = np.cumsum(newc) - 1
    pos = k - np.flatnonzero(newc)[gid]
    newc |= pos % 4 == 0
    claim = np.cumsum(newc) - 1
    first = np.flatnonzero(newc)
    nc = len(first)
    size = np.diff(np.append(first, n))
    last = first + size - 1
    c_cust = ci[first]
    c_portal = np.where(on_portal[first], cust.portal[c_cust], -1)
    c_amount = np.add.reduceat(amount, first) if n else np.zeros(0, np.int64)
    c_date = bldat[last]
    c_seg = seg[first]

    disputed = rng.random(nc) < 0.03
    u = rng.random(nc)
    portal_c = c_portal >= 0
    never_sub = portal_c & (u < 0.035)
    cancel = portal_c & (u >= 0.035) & (u < 0.055)
    reject = portal_c & (u >= 0.055) & (u < 0.115)
    stuck = portal_c & (((u >= 0.115) & (u < 0.16)) | disputed) & ~never_sub & ~cancel & ~reject
    resub = ((reject & (rng.random(nc) < 0.65)) | (cancel & (rng.random(nc) < 0.5))) & ~disputed

    # a record is submitted after every invoice it carries is posted in SAP
    c_posted = (
        np.maximum.reduceat(budat.astype(np.int64), first).astype("datetime64[D]") if n else c_date
    )
    sub = add_workdays(c_posted, rng.integers(1, 9, nc))
    delay = rng.gamma(4.0, SEG_DELAY[c_seg] / 4.0) * cust.pay_factor[c_cust]
    pay = _seasonal(rng, c_date, c_date + np.round(delay).astype("timedelta64[D]"))
    pay = roll_workday(np.maximum(pay, sub + np.timedelta64(10, "D")))
    paying = np.maximum(np.busday_offset(pay, -rng.integers(1, 5, nc), roll="backward"), sub)
    frac = np.cumsum(rng.dirichlet([1.0, 1.2, 2.0, 1.5], nc), axis=1)[:, :3]
    span = (paying - sub).astype(float)
    mid = roll_workday(sub[:, None] + np.round(frac * span[:, None]).astype("timedelta64[D]"))
    stages = np.column_stack([sub, mid, paying, pay])  # SUBMITTED..PAID
    stages = np.maximum.accumulate(stages.astype("int64"), axis=1).astype("datetime64[D]")
    stages = np.minimum(stages, pay[:, None])

    cut = roll_workday(sub + np.round(rng.uniform(0.1, 0.7, nc) * span).astype("timedelta64[D]"))
    stuck_at = rng.integers(1, 4, nc)  # last reached stage index when stuck
    resub_on = add_workdays(cut, rng.integers(3, 16, nc))
    shift = (resub_on - sub).astype("timedelta64[D]")

    # payment: portal claims pay on the (final) record's PAID date; others directly
    paid = ~disputed & ~never_sub & ~stuck & ((~cancel & ~reject) | resub)
    direct_never = ~portal_c & (rng.random(nc) < 0.05)
    paid &= ~direct_never
    pay_eff = np.where(resub, roll_workday(pay + shift), pay)
    uk = rng.random(nc)
    kind = np.select(
        [uk < 0.02, uk < 0.05, uk < 0.08, uk < 0.11, uk < 0.12],
        [ROUND, SHORT_RES, SHORT_PART, ON_ACCOUNT, AMT_DIFF],
        FULL,
    )
    kind = np.where((kind == SHORT_PART) & (size > 1), SHORT_RES, kind)
    kind = np.where(~portal_c & np.isin(kind, [ROUND, AMT_DIFF]), FULL, kind)
    short = np.maximum((c_amount * rng.uniform(0.01, 0.1, nc)).astype(np.int64), 1)
    rec_amount = np.where(
        kind == ROUND, c_amount - 1, np.where(kind == AMT_DIFF, c_amount - short, c_amount)
    )
    paid_amount = np.where(
        np.isin(kind, [SHORT_RES, SHORT_PART, AMT_DIFF]), c_amount - short, rec_amount
    )
    gap = np.where(portal_c, rng.integers(2, 41, nc), rng.integers(0, 3, nc))
    clear = roll_workday(pay_eff + gap.astype("timedelta64[D]"))
    clear = np.where(paid, clear, NaT)

    return {
        "n_inv": n,
        "n_claim": nc,
        "inv": {
            "cust": ci,
            "bukrs": bukrs,
            "bldat": bldat,
            "budat": budat,
            "amount": amount,
            "blart": blart,
            "is20": is20,
            "legacy": legacy,
            "tail8": tail8,
            "order": order,
            "claim": claim,
            "seg": seg,
            "terms": cust.terms[ci],
            "zlspr": np.repeat(disputed & (rng.random(nc) < 0.5), size),
            "mansp": np.repeat(disputed, size) & (rng.random(n) < 0.6),
            "noise": rng.choice(7, n, p=[0.70, 0.06, 0.06, 0.05, 0.05, 0.04, 0.04]),
        },
        "claim": {
            "first": first,
            "size": size,
            "cust": c_cust,
            "portal": c_portal,
            "amount": c_amount,
            "kind": kind,
            "paid": paid,
            "pay": pay_eff,
            "clear": clear,
            "rec_amount": rec_amount,
            "paid_amount": paid_amount,
            "date": c_date,
        },
        "life": {
            "stages": stages,
            "never_sub": never_sub,
            "cancel": cancel,
            "reject": reject,
            "stuck": stuck,
            "stuck_at": stuck_at,
            "cut": cut,
            "resub": resub,
            "shift": shift,
            "reason": rng.integers(0, 8, nc),
        },
        "rng": rng,
    }
